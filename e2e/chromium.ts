import { chromiumArgs, chromiumPath } from './chromium-flags.mjs';

export { chromiumArgs, chromiumPath };

export const chromiumLaunchOptions = {
  executablePath: chromiumPath,
  args: chromiumArgs,
};
