import { expect, test } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './chromium';
import { StudioPage } from './pages/StudioPage';

// Without --enable-unsafe-webgpu, headless Chromium 156 on Linux still defines navigator.gpu but
// finds no adapter; other browsers lack navigator.gpu. Both are GpuUnavailableError messages.
const NO_WEBGPU =
  /WebGPU is not available in this browser|supports WebGPU but found no usable GPU adapter/;

test.use({
  launchOptions: {
    executablePath: chromiumPath,
    args: chromiumArgs.filter((a) => a !== '--enable-unsafe-webgpu'),
  },
});

test('without WebGPU the studio explains what to do instead of crashing', async ({ page }) => {
  const pageErrors: Error[] = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  const studio = new StudioPage(page);
  await studio.open();
  await expect(studio.gpuError).toBeVisible();
  await expect(studio.gpuError).toHaveAttribute('data-kind', 'unavailable');
  await expect(studio.gpuError).toHaveText(NO_WEBGPU);
  await expect(page.getByRole('heading', { name: 'WebGPU Training Studio' })).toBeVisible();
  await expect(studio.checkButton).toBeDisabled();
  expect(pageErrors).toEqual([]);
});
