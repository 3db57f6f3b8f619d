import { expect, type Locator, type Page } from '@playwright/test';
import type { FinetuneFieldKey, OptimizerChoice } from '../../src/store/finetuneSlice';

/** The fine-tune view: its form, the side-by-side run and the invariance demo. */
export class FinetunePage {
  readonly panel: Locator;
  readonly base: Locator;
  readonly errors: Locator;
  readonly startButton: Locator;
  readonly status: Locator;
  readonly runError: Locator;
  readonly nonFinite: Locator;
  readonly lossChart: Locator;
  readonly demo: Locator;
  readonly demoButton: Locator;
  readonly demoChart: Locator;
  readonly demoExplain: Locator;

  constructor(readonly page: Page) {
    this.panel = page.getByTestId('finetune-panel');
    this.base = page.getByTestId('finetune-base');
    this.errors = page.getByTestId('finetune-errors');
    this.startButton = page.getByTestId('finetune-start');
    this.status = page.getByTestId('finetune-status');
    this.runError = page.getByTestId('finetune-error');
    this.nonFinite = page.getByTestId('finetune-nonfinite');
    this.lossChart = page.getByTestId('finetune-loss-chart');
    this.demo = page.getByTestId('invariance-demo');
    this.demoButton = page.getByTestId('invariance-button');
    this.demoChart = page.getByTestId('invariance-chart');
    this.demoExplain = page.getByTestId('invariance-explain');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('finetune-open').click();
    await expect(this.base).toBeVisible();
  }

  async setField(key: FinetuneFieldKey, value: string): Promise<void> {
    await this.page.getByTestId(`finetune-${key}`).fill(value);
  }

  async setTarget(target: string, on: boolean): Promise<void> {
    await this.page.getByTestId(`finetune-target-${target}`).setChecked(on);
  }

  async chooseOptimizer(choice: OptimizerChoice): Promise<void> {
    await this.page.getByTestId('finetune-optimizer').selectOption(choice);
  }

  async start(): Promise<void> {
    await expect(this.startButton).toBeEnabled();
    await this.startButton.click();
  }

  async waitForPhase(phase: string, timeout: number): Promise<void> {
    await expect(this.status).toHaveAttribute('data-phase', phase, { timeout });
  }

  /** The demo's figures, read from the chart's data attributes once it has both series. */
  async demoFigures(): Promise<{
    adamMin: number;
    adamMax: number;
    riteMax: number;
    cond: number;
  }> {
    const read = async (name: string) => Number(await this.demoChart.getAttribute(`data-${name}`));
    return {
      adamMin: await read('adam-min'),
      adamMax: await read('adam-max'),
      riteMax: await read('rite-max'),
      cond: await read('cond'),
    };
  }
}
