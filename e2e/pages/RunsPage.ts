import { expect, type Locator, type Page } from '@playwright/test';

/** The runs section of the training view: autosave, the saved runs, files in and out, failures. */
export class RunsPage {
  readonly autosave: Locator;
  readonly saveNow: Locator;
  readonly lastSave: Locator;
  readonly saveError: Locator;
  readonly rows: Locator;
  readonly runsError: Locator;
  readonly recovery: Locator;
  readonly recoveryContinue: Locator;
  readonly transferError: Locator;
  readonly transferDone: Locator;

  constructor(readonly page: Page) {
    this.autosave = page.getByTestId('setting-autosave');
    this.saveNow = page.getByTestId('save-now');
    this.lastSave = page.getByTestId('last-save');
    this.saveError = page.getByTestId('save-error');
    this.rows = page.getByTestId('run-row');
    this.runsError = page.getByTestId('runs-error');
    this.recovery = page.getByTestId('recovery');
    this.recoveryContinue = page.getByTestId('recovery-continue');
    this.transferError = page.getByTestId('transfer-error');
    this.transferDone = page.getByTestId('transfer-done');
  }

  async setAutosave(every: number): Promise<void> {
    await this.autosave.fill(String(every));
  }

  /** Waits until the current run has been saved at `step` or later. */
  async waitForSave(step: number, timeout: number): Promise<void> {
    await expect
      .poll(async () => Number((await this.lastSave.getAttribute('data-step')) ?? -1), { timeout })
      .toBeGreaterThanOrEqual(step);
  }

  async resume(row: Locator): Promise<void> {
    await row.getByTestId('run-resume').click();
  }

  /** Every training loss the page holds, in step order (the charts' data). */
  async losses(): Promise<number[]> {
    return this.page.evaluate(() =>
      window.studio.store.getState().history.steps.map((p) => p.loss),
    );
  }

  async loseDevice(): Promise<void> {
    await this.page.evaluate(() => window.studio.loseDevice());
  }

  async importCheckpoint(name: string, bytes: Buffer): Promise<void> {
    await this.page
      .getByTestId('import-checkpoint')
      .setInputFiles({ name, mimeType: 'application/octet-stream', buffer: bytes });
  }

  async importHf(files: { name: string; buffer: Buffer }[]): Promise<void> {
    await this.page
      .getByTestId('import-hf')
      .setInputFiles(files.map((f) => ({ ...f, mimeType: 'application/octet-stream' })));
  }
}
