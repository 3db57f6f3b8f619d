import { expect, type Locator, type Page } from '@playwright/test';

/** The studio as a user sees it: the GPU report and the "Check kernels" panel. */
export class StudioPage {
  readonly vendor: Locator;
  readonly architecture: Locator;
  readonly limits: Locator;
  readonly gpuError: Locator;
  readonly deviceLost: Locator;
  readonly checksPanel: Locator;
  readonly runError: Locator;
  readonly checkButton: Locator;
  readonly checkCount: Locator;
  readonly progress: Locator;
  readonly rows: Locator;
  readonly summary: Locator;
  readonly failures: Locator;
  readonly benchLines: Locator;

  constructor(readonly page: Page) {
    this.vendor = page.getByTestId('adapter-vendor');
    this.architecture = page.getByTestId('adapter-architecture');
    this.limits = page.getByTestId('limits-table');
    this.gpuError = page.getByTestId('gpu-error');
    this.deviceLost = page.getByTestId('device-lost');
    this.checksPanel = page.getByTestId('checks-panel');
    this.runError = page.getByTestId('run-error');
    this.checkButton = page.getByTestId('check-kernels');
    this.checkCount = page.getByTestId('check-count');
    this.progress = page.getByTestId('check-progress');
    this.rows = page.getByTestId('check-row');
    this.summary = page.getByTestId('check-summary');
    this.failures = page.getByTestId('check-failure');
    this.benchLines = page.getByTestId('bench-line');
  }

  async open(): Promise<void> {
    await this.page.goto('/');
  }

  /** The adapter as the GPU panel reports it, once the worker has acquired it. */
  async adapter(): Promise<{ vendor: string; architecture: string; description: string }> {
    await expect(this.vendor).toBeVisible();
    const text = async (id: string) => (await this.page.getByTestId(id).textContent()) ?? '';
    return {
      vendor: await text('adapter-vendor'),
      architecture: await text('adapter-architecture'),
      description: await text('adapter-description'),
    };
  }

  /** The number of registered checks, once the worker has listed them. */
  async registeredChecks(): Promise<number> {
    await expect(this.checkCount).not.toHaveAttribute('data-count', '0');
    return Number(await this.checkCount.getAttribute('data-count'));
  }

  /** Clicks "Check kernels" and waits until the run has visibly started. */
  async startCheck(): Promise<void> {
    await expect(this.checkButton).toBeEnabled();
    await this.checkButton.click();
    await expect(this.progress).toBeVisible();
  }

  /** Waits until the checks and the benchmark have finished (or the run stopped). */
  async waitForCheck(timeout: number): Promise<void> {
    await expect(this.checksPanel).toHaveAttribute('data-phase', 'done', { timeout });
  }

  /** How long the UI thread takes to paint the next frame: small when it is not blocked. */
  async frameLatencyMs(): Promise<number> {
    return this.page.evaluate(() => {
      const t0 = performance.now();
      return new Promise<number>((resolve) =>
        requestAnimationFrame(() => resolve(performance.now() - t0)),
      );
    });
  }

  /** Destroys the GPU device from the worker, as a driver reset would. */
  async loseDevice(): Promise<void> {
    await this.page.evaluate(() => window.studio.loseDevice());
  }
}
