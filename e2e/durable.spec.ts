import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { RunsPage } from './pages/RunsPage';
import { TrainingPage } from './pages/TrainingPage';

// A few steps of a shrunk tiny preset on SwiftShader: a few seconds each.
const RUN_TIMEOUT = 10 * 60_000;
const STEPS = 8;

async function tinyRun(training: TrainingPage, runs: RunsPage, autosave: number): Promise<void> {
  await training.choosePreset('tiny');
  await training.setField('blockSize', '32');
  await training.setField('batchSize', '4');
  await training.setField('maxSteps', String(STEPS));
  await training.setField('evalInterval', '0');
  await runs.setAutosave(autosave);
  await expect(training.settingsErrors).toHaveCount(0);
}

test('a run saved as it trains resumes after a reload with the same losses as an uninterrupted run', async ({
  page,
}) => {
  const pageErrors: Error[] = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  const training = new TrainingPage(page);
  const runs = new RunsPage(page);
  await training.open();

  await tinyRun(training, runs, 0);
  await training.train();
  await training.waitForPhase('done', RUN_TIMEOUT);
  const straight = await runs.losses();
  expect(straight).toHaveLength(STEPS);
  await expect(runs.rows).toHaveCount(0);

  // The same run again, saved every 3 steps; the page reloads while (or after) it trains.
  await runs.setAutosave(3);
  await training.train();
  await runs.waitForSave(3, RUN_TIMEOUT);
  await page.reload();
  await expect(training.panel).toBeVisible();
  await expect(runs.rows).toHaveCount(1);
  const saved = Number(await runs.rows.first().getAttribute('data-step'));
  expect([3, 6]).toContain(saved);
  await expect(training.trainButton).toBeEnabled();
  await runs.resume(runs.rows.first());
  await training.waitForPhase('done', RUN_TIMEOUT);
  await expect(training.runSteps).toHaveAttribute('data-step', String(STEPS));
  // Steps 1..saved come from the checkpoint's history, the rest were trained after the reload.
  expect(await runs.losses()).toEqual(straight);
  expect(pageErrors).toEqual([]);
});

test('a device lost during training is recovered from the last checkpoint and the run finishes', async ({
  page,
}) => {
  const training = new TrainingPage(page);
  const runs = new RunsPage(page);
  await training.open();
  await tinyRun(training, runs, 2);
  await training.train();
  await runs.waitForSave(2, RUN_TIMEOUT);
  await runs.loseDevice();
  await expect(runs.recovery).toHaveAttribute('data-phase', 'ready', { timeout: RUN_TIMEOUT });
  await expect(runs.recovery).toContainText('was lost at step');
  await expect(runs.recovery).toContainText(/\d+ steps? (was|were) lost/);
  const restored = Number(await runs.recovery.getAttribute('data-restored-step'));
  expect(restored).toBeGreaterThanOrEqual(2);
  await expect(training.runSteps).toHaveAttribute('data-step', String(restored));
  await runs.recoveryContinue.click();
  await training.waitForPhase('done', RUN_TIMEOUT);
  await expect(training.runSteps).toHaveAttribute('data-step', String(STEPS));
  const steps = await page.evaluate(() =>
    window.studio.store.getState().history.steps.map((p) => p.step),
  );
  expect(steps).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
});

test('bad files are refused with a clear message and nothing is lost', async ({ page }) => {
  const training = new TrainingPage(page);
  const runs = new RunsPage(page);
  await training.open();
  await expect(training.trainButton).toBeEnabled();
  await runs.importCheckpoint('notes.ckpt', Buffer.from('not a checkpoint at all'));
  await expect(runs.transferError).toContainText('not a studio checkpoint');
  await expect(runs.transferError).toContainText('Nothing was loaded');
  await expect(runs.rows).toHaveCount(0);
  await runs.importHf([{ name: 'model.safetensors', buffer: Buffer.from([1, 2, 3]) }]);
  await expect(runs.transferError).toContainText('Nothing was imported');

  // A real studio export imports as the current model, and sampling works on it.
  const weights = readFileSync('src/export/fixtures/gpt2-tiny.safetensors');
  const config = readFileSync('src/export/fixtures/config.json');
  await runs.importHf([
    { name: 'model.safetensors', buffer: weights },
    { name: 'config.json', buffer: config },
  ]);
  await expect(runs.transferDone).toContainText('is the current model');
  expect((await training.sample('ab')).length).toBeGreaterThan(0);
});
