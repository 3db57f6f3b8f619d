import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from '/work/wt/ftckpt/e2e/chromium.ts';

const PORT = 4186;

// SwiftShader runs every kernel on the CPU (two shared cores here): the full kernel check plus
// the matmul benchmark takes minutes, so the timeouts are generous.
export default defineConfig({
  testDir: '/work/wt/ftckpt/e2e',
  workers: 1,
  fullyParallel: false,
  timeout: 30 * 60_000,
  expect: { timeout: 30_000 },
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    launchOptions: chromiumLaunchOptions,
    trace: 'retain-on-failure',
  },
  webServer: {
    // The production build, as users get it: the worker is bundled the way Vite ships it.
    command: `npx vite build && npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}`,
    // Always a fresh build: a server left running would serve stale kernels.
    reuseExistingServer: false,
    timeout: 5 * 60_000,
  },
});
