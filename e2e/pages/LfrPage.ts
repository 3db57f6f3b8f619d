import { expect, type Locator, type Page } from '@playwright/test';
import type { LfrFieldKey } from '../../src/store/lfrSlice';
import type { LfrExportKind } from '../../src/worker/protocol';

/** The LFR parts of the training view: the schedule fields and the views of a scheduled run. */
export class LfrPage {
  readonly section: Locator;
  readonly run: Locator;
  readonly budget: Locator;
  readonly blockRows: Locator;
  readonly blockDetails: Locator;

  constructor(readonly page: Page) {
    this.section = page.getByTestId('lfr-section');
    this.run = page.getByTestId('lfr-run');
    this.budget = page.getByTestId('lfr-budget');
    this.blockRows = page.getByTestId('lfr-block-row');
    this.blockDetails = page.getByTestId('lfr-block-details');
  }

  async chooseLfr(): Promise<void> {
    await this.page.getByTestId('setting-schedule').selectOption('lfr');
  }

  async setField(key: LfrFieldKey, value: string): Promise<void> {
    await this.page.getByTestId(`setting-lfr-${key}`).fill(value);
  }

  phase(name: string): Locator {
    return this.page.getByTestId(`lfr-phase-${name}`);
  }

  histogram(phase: string): Locator {
    return this.page.getByTestId(`lfr-histogram-${phase}`);
  }

  /** Downloads one of the run's files and returns its text. */
  async download(role: 'lfr' | 'baseline', kind: LfrExportKind): Promise<string> {
    const [file] = await Promise.all([
      this.page.waitForEvent('download'),
      this.page.getByTestId(`lfr-export-${role}-${kind}`).first().click(),
    ]);
    const stream = await file.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async openBlock(row: number): Promise<void> {
    await this.blockRows.nth(row).getByRole('button').click();
    await expect(this.blockDetails).toBeVisible();
  }
}
