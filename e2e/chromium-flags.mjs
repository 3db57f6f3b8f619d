// Plain-JavaScript source of the Chromium launch settings, so Node scripts without a TypeScript
// runner (scripts/bench.mjs) share them with the Vitest and Playwright configs (e2e/chromium.ts).
import { existsSync } from 'node:fs';

// Debian's Chromium is the browser on CI and dev machines here; elsewhere Playwright's own is used.
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export const chromiumPath = existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined;

// --enable-unsafe-webgpu exposes navigator.gpu in headless mode (SwiftShader without a GPU);
// the network flags stop Chromium from retrying hosts a closed network refuses.
export const chromiumArgs = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
