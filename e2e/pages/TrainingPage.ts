import { expect, type Locator, type Page } from '@playwright/test';
import type { FieldKey } from '../../src/store/settingsForm';

declare global {
  interface Window {
    /** Long tasks seen since watchLongTasks(), in ms. */
    longTasks?: { start: number; duration: number }[];
  }
}

/** The training view as a user sees it: preset, settings, controls, readouts, charts, sampling. */
export class TrainingPage {
  readonly panel: Locator;
  readonly settingsErrors: Locator;
  readonly memory: Locator;
  readonly trainButton: Locator;
  readonly pauseButton: Locator;
  readonly resumeButton: Locator;
  readonly stepButton: Locator;
  readonly stopButton: Locator;
  readonly runSteps: Locator;
  readonly dataSummary: Locator;
  readonly lossReadout: Locator;
  readonly lossChart: Locator;
  readonly lrChart: Locator;
  readonly tokensPerSec: Locator;
  readonly errors: Locator;
  readonly samplePrompt: Locator;
  readonly sampleButton: Locator;
  readonly sampleText: Locator;

  constructor(readonly page: Page) {
    this.panel = page.getByTestId('training-panel');
    this.settingsErrors = page.getByTestId('settings-errors');
    this.memory = page.getByTestId('memory-estimate');
    this.trainButton = page.getByTestId('train-button');
    this.pauseButton = page.getByTestId('pause-button');
    this.resumeButton = page.getByTestId('resume-button');
    this.stepButton = page.getByTestId('step-button');
    this.stopButton = page.getByTestId('stop-button');
    this.runSteps = page.getByTestId('run-steps');
    this.dataSummary = page.getByTestId('data-summary');
    this.lossReadout = page.getByTestId('loss-readout');
    this.lossChart = page.getByTestId('loss-chart');
    this.lrChart = page.getByTestId('lr-chart');
    this.tokensPerSec = page.getByTestId('tokens-per-sec');
    this.errors = page.locator(
      '[data-testid="data-error"], [data-testid="start-error"], [data-testid="run-error-training"]',
    );
    this.samplePrompt = page.getByTestId('sample-prompt');
    this.sampleButton = page.getByTestId('sample-button');
    this.sampleText = page.getByTestId('sample-text');
  }

  async open(): Promise<void> {
    await this.page.goto('/');
    await expect(this.panel).toBeVisible();
  }

  async choosePreset(id: 'tiny' | 'small' | 'medium'): Promise<void> {
    await this.page.getByTestId(`preset-${id}`).getByRole('radio').check();
  }

  /** Types a value into a settings field, replacing what was there. */
  async setField(field: FieldKey, value: string): Promise<void> {
    await this.page.getByTestId(`setting-${field}`).fill(value);
  }

  /** From here on, every main-thread task over 50 ms is recorded (the browser's long tasks). */
  async watchLongTasks(): Promise<void> {
    await this.page.evaluate(() => {
      const since = performance.now();
      window.longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          if (e.startTime >= since)
            window.longTasks?.push({ start: e.startTime, duration: e.duration });
        }
      }).observe({ type: 'longtask', buffered: true });
    });
  }

  async longTasks(): Promise<{ start: number; duration: number }[]> {
    return this.page.evaluate(() => window.longTasks ?? []);
  }

  async train(): Promise<void> {
    await expect(this.trainButton).toBeEnabled();
    await this.trainButton.click();
  }

  async waitForPhase(phase: string, timeout: number): Promise<void> {
    await expect(this.panel).toHaveAttribute('data-phase', phase, { timeout });
  }

  async lossAt(end: 'first' | 'last'): Promise<number> {
    return Number(await this.lossReadout.getAttribute(`data-${end}-loss`));
  }

  /** Clicks "Download losses (JSON)" and returns the file's text. */
  async downloadLosses(): Promise<string> {
    const [file] = await Promise.all([
      this.page.waitForEvent('download'),
      this.page.getByTestId('download-losses').click(),
    ]);
    const stream = await file.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async sample(prompt: string): Promise<string> {
    await this.samplePrompt.fill(prompt);
    await expect(this.sampleButton).toBeEnabled();
    await this.sampleButton.click();
    await expect(this.sampleText).not.toBeEmpty({ timeout: 120_000 });
    return (await this.sampleText.textContent()) ?? '';
  }
}
