import { expect, test } from '@playwright/test';
import { StudioPage } from './pages/StudioPage';

// Every registered kernel check, then three matmuls, on SwiftShader: minutes, not seconds.
const CHECK_TIMEOUT = 25 * 60_000;

test('reports the GPU adapter and its key limits', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open();
  await expect(studio.vendor).not.toBeEmpty();
  await expect(studio.architecture).not.toBeEmpty();
  await expect(studio.vendor).not.toHaveText('(not reported)');
  await expect(studio.limits).toContainText('maxStorageBufferBindingSize');
  await expect(studio.limits).toContainText('maxComputeInvocationsPerWorkgroup');
  await expect(studio.gpuError).toHaveCount(0);
});

test('checks every registered kernel from the UI: all pass, then matmul speed is shown', async ({
  page,
}) => {
  const studio = new StudioPage(page);
  const pageErrors: Error[] = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  await studio.open();
  const total = await studio.registeredChecks();
  expect(total).toBeGreaterThan(0);

  await studio.startCheck();
  // The kernels run in the worker: the page keeps painting while they do.
  expect(await studio.frameLatencyMs()).toBeLessThan(3000);
  await studio.waitForCheck(CHECK_TIMEOUT);
  await expect(studio.runError).toHaveCount(0);

  await expect(studio.rows).toHaveCount(total);
  await expect(studio.rows.and(page.locator('[data-status="pass"]'))).toHaveCount(total);
  await expect(studio.failures).toHaveCount(0);
  await expect(studio.summary).toHaveAttribute('data-passed', String(total));
  await expect(studio.summary).toHaveAttribute('data-failed', '0');
  await expect(studio.summary).toHaveText(`${total} passed, 0 failed`);

  await expect(studio.benchLines).toHaveCount(3);
  for (const n of [128, 256, 512]) {
    await expect(studio.benchLines.filter({ hasText: `n = ${n} ` })).toContainText('GFLOP/s');
  }
  expect(pageErrors).toEqual([]);
});

test('shows a lost device as a message and stops offering the check', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.open();
  await expect(studio.architecture).not.toBeEmpty();
  await studio.loseDevice();
  await expect(studio.deviceLost).toContainText('device was lost');
  await expect(studio.deviceLost).toContainText('destroyed');
  await expect(studio.checkButton).toBeDisabled();
});
