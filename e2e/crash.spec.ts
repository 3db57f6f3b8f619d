import { expect, type Page, test } from '@playwright/test';
import { FinetunePage } from './pages/FinetunePage';
import { RunsPage } from './pages/RunsPage';
import { TrainingPage } from './pages/TrainingPage';

// Tiny runs on SwiftShader: a few seconds a step; compiling LoRA-RITE's kernels ~20 s.
const RUN_TIMEOUT = 10 * 60_000;

/**
 * Crashes the studio's worker as a bug would: an error thrown outside any call, which the page
 * sees as the worker's `error` event. No test hook in the studio: Playwright runs it in the worker.
 */
async function crashWorker(page: Page): Promise<void> {
  const worker = page.workers().find((w) => w.url().includes('studio'));
  expect(worker, 'the studio worker is running').toBeDefined();
  await worker!.evaluate(() => {
    setTimeout(() => {
      throw new Error('crash test');
    });
  });
}

async function tinyBase(training: TrainingPage, runs: RunsPage, steps: number, autosave: number) {
  await training.open();
  await training.choosePreset('tiny');
  await training.setField('blockSize', '32');
  await training.setField('batchSize', '4');
  await training.setField('maxSteps', String(steps));
  await training.setField('evalInterval', '0');
  await runs.setAutosave(autosave);
  await expect(training.settingsErrors).toHaveCount(0);
  await training.train();
}

test('a worker crash during pretraining says so and what to do; the saved run is kept and continues', async ({
  page,
}) => {
  const training = new TrainingPage(page);
  const runs = new RunsPage(page);
  const steps = 12;
  await tinyBase(training, runs, steps, 2);
  await runs.waitForSave(2, RUN_TIMEOUT);
  await crashWorker(page);

  const notice = page.getByTestId('worker-crash');
  await expect(notice).toContainText("The studio's worker crashed");
  await expect(notice).toContainText('crash test');
  const restart = page.getByTestId('worker-restart');
  await expect(restart).toHaveText('Resume from the last checkpoint');
  // Nothing saved is lost: the run is in the list at its last checkpoint.
  await expect(runs.rows).toHaveCount(1);
  const saved = Number(await runs.rows.first().getAttribute('data-step'));
  expect(saved).toBeGreaterThanOrEqual(2);

  await restart.click();
  await expect(notice).toHaveCount(0, { timeout: RUN_TIMEOUT });
  await training.waitForPhase('done', RUN_TIMEOUT);
  await expect(training.runSteps).toHaveAttribute('data-step', String(steps));
  await expect(runs.rows).toHaveCount(1);
});

test('a worker crash during fine-tuning fails the fine-tune with a message; the page stays usable and the runs list intact', async ({
  page,
}) => {
  const training = new TrainingPage(page);
  const runs = new RunsPage(page);
  const finetune = new FinetunePage(page);
  await tinyBase(training, runs, 3, 1);
  await training.waitForPhase('done', RUN_TIMEOUT);
  await expect(runs.rows).toHaveCount(1);
  const saved = await runs.rows.first().getAttribute('data-step');

  await finetune.open();
  await finetune.setField('rank', '2');
  await finetune.setField('batchSize', '2');
  await finetune.setField('steps', '400');
  await finetune.chooseOptimizer('adam');
  await expect(finetune.errors).toHaveCount(0);
  await finetune.start();
  await expect
    .poll(async () => Number(await finetune.lossChart.getAttribute('data-adam-points')), {
      timeout: RUN_TIMEOUT,
    })
    .toBeGreaterThan(0);
  await crashWorker(page);

  await expect(page.getByTestId('worker-crash')).toContainText("The studio's worker crashed");
  await finetune.waitForPhase('failed', 30_000);
  await expect(finetune.runError).toContainText("the studio's worker crashed (");
  await expect(finetune.runError).toContainText('Restart it with the button in the training panel');
  await expect(runs.rows).toHaveCount(1);
  await expect(runs.rows.first()).toHaveAttribute('data-step', saved ?? '');

  // The way back: a fresh worker, the saved run reopened, and fine-tuning possible again.
  await page.getByTestId('worker-restart').click();
  await expect(page.getByTestId('worker-crash')).toHaveCount(0, { timeout: RUN_TIMEOUT });
  await expect(finetune.startButton).toBeEnabled({ timeout: RUN_TIMEOUT });
  await expect(runs.rows).toHaveCount(1);
});
