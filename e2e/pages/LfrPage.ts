import { expect, type Locator, type Page } from '@playwright/test';
import type { LfrFieldKey } from '../../src/store/lfrSlice';
import type { LfrExportKind } from '../../src/worker/protocol';

declare global {
  interface Window {
    /** "phase:rows" pairs seen: the run's phase and the heatmap's drawn dropped rows. */
    focusMarks?: string[];
  }
}

/** The LFR parts of the training view: the schedule fields and the views of a scheduled run. */
export class LfrPage {
  readonly section: Locator;
  readonly run: Locator;
  readonly budget: Locator;
  readonly blockRows: Locator;
  readonly blockDetails: Locator;
  /** The heatmap's canvas: data-dropped-rows is what its last frame marked. */
  readonly heatmapCanvas: Locator;

  constructor(readonly page: Page) {
    this.section = page.getByTestId('lfr-section');
    this.run = page.getByTestId('lfr-run');
    this.budget = page.getByTestId('lfr-budget');
    this.blockRows = page.getByTestId('lfr-block-row');
    this.blockDetails = page.getByTestId('lfr-block-details');
    this.heatmapCanvas = page.getByTestId('block-heatmap').locator('canvas');
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

  /**
   * From here on, records each (phase, dropped rows the heatmap drew) pair the page shows, so a
   * test can check every Focus was marked while it ran.
   */
  async watchFocusMarks(): Promise<void> {
    await this.page.evaluate(() => {
      const seen = new Set<string>();
      window.focusMarks = [];
      setInterval(() => {
        const phase = document.querySelector<HTMLElement>('[data-testid="lfr-run"]')?.dataset.phase;
        const canvas = document.querySelector<HTMLCanvasElement>(
          '[data-testid="block-heatmap"] canvas',
        );
        const mark = `${phase}:${canvas?.dataset.droppedRows}`;
        if (phase && canvas?.dataset.droppedRows !== undefined && !seen.has(mark)) {
          seen.add(mark);
          window.focusMarks?.push(mark);
        }
      }, 50);
    });
  }

  async focusMarks(): Promise<string[]> {
    return this.page.evaluate(() => window.focusMarks ?? []);
  }

  /**
   * What the LFR views show, as plain data to compare two runs: the run's readouts, the heatmap's
   * pixels and marks, the block table, each histogram's cut and the forgetting view.
   */
  async views(): Promise<Record<string, unknown>> {
    return this.page.evaluate(() => {
      const data = (testId: string) =>
        [...document.querySelectorAll<HTMLElement>(`[data-testid="${testId}"]`)].map((e) => ({
          ...e.dataset,
        }));
      const canvas = document.querySelector<HTMLCanvasElement>(
        '[data-testid="block-heatmap"] canvas',
      );
      const { version: _, ...marks } = canvas?.dataset ?? {};
      return {
        run: data('lfr-run')[0],
        heatmap: { pixels: canvas?.toDataURL(), ...marks },
        table: data('lfr-block-row'),
        histograms: [
          ...document.querySelectorAll<HTMLElement>('[data-testid^="lfr-histogram"]'),
        ].map((e) => ({ id: e.dataset.testid, ...e.dataset })),
        forgetting: data('lfr-forgetting'),
        dropped: data('lfr-dropped-forgotten'),
      };
    });
  }

  async openBlock(row: number): Promise<void> {
    await this.blockRows.nth(row).getByRole('button').click();
    await expect(this.blockDetails).toBeVisible();
  }
}
