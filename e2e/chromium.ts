import { existsSync } from 'node:fs';

// Debian's Chromium is the browser on CI and dev machines here; elsewhere Playwright's own is used.
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export const chromiumPath: string | undefined = existsSync(SYSTEM_CHROMIUM)
  ? SYSTEM_CHROMIUM
  : undefined;

// --enable-unsafe-webgpu exposes navigator.gpu in headless mode (SwiftShader without a GPU);
// the network flags stop Chromium from retrying hosts a closed network refuses.
export const chromiumArgs: string[] = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const chromiumLaunchOptions = {
  executablePath: chromiumPath,
  args: chromiumArgs,
};
