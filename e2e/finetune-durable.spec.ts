import { expect, type Page, test } from '@playwright/test';
import { FinetunePage } from './pages/FinetunePage';
import { RunsPage } from './pages/RunsPage';
import { TrainingPage } from './pages/TrainingPage';

// A 3-step tiny base, then rank-2 fine-tunes of batch 2, both optimizers: compiling LoRA-RITE's
// kernels (~20 s) is most of the time on SwiftShader.
const RUN_TIMEOUT = 5 * 60_000;
const STEPS = 6;

async function tinyBase(page: Page): Promise<{ finetune: FinetunePage; runs: RunsPage }> {
  const training = new TrainingPage(page);
  const finetune = new FinetunePage(page);
  const runs = new RunsPage(page);
  await training.open();
  await training.choosePreset('tiny');
  await training.setField('maxSteps', '3');
  await training.setField('evalInterval', '0');
  await runs.setAutosave(0);
  await training.train();
  await training.waitForPhase('done', RUN_TIMEOUT);
  await finetune.open();
  await finetune.setField('rank', '2');
  await finetune.setField('steps', String(STEPS));
  await finetune.setField('batchSize', '2');
  await finetune.setField('warmup', '2');
  await page.getByTestId('finetune-decay').selectOption('cosine');
  await expect(finetune.errors).toHaveCount(0);
  return { finetune, runs };
}

/** Every loss of each optimizer's curve, in step order. */
function curves(page: Page) {
  return page.evaluate(() => {
    const c = window.studio.store.getState().finetuneCurves;
    return { adam: c.adam.map((p) => [p.step, p.loss]), rite: c.rite.map((p) => [p.step, p.loss]) };
  });
}

const finetuneRows = (page: Page) => page.locator('[data-testid="run-row"][data-kind="finetune"]');

test('a fine-tune saved as it trains resumes after a reload with the same losses as an uninterrupted run', async ({
  page,
}) => {
  const pageErrors: Error[] = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  const { finetune } = await tinyBase(page);
  await page.getByTestId('finetune-autosave').fill('0');
  await finetune.start();
  await finetune.waitForPhase('done', RUN_TIMEOUT);
  const straight = await curves(page);
  expect(straight.adam).toHaveLength(STEPS);
  expect(straight.rite).toHaveLength(STEPS);

  // The same fine-tune again, saved every 2 steps of each optimizer, paused, stepped, reloaded.
  await page.getByTestId('finetune-autosave').fill('2');
  await finetune.start();
  await expect(page.getByTestId('finetune-last-save')).toBeVisible({ timeout: RUN_TIMEOUT });
  await page.getByTestId('finetune-pause').click();
  await finetune.waitForPhase('paused', RUN_TIMEOUT);
  await page.getByTestId('finetune-step').click();
  await expect
    .poll(() =>
      page.evaluate(() => {
        const done = window.studio.store.getState().finetuneRun.done;
        return ((done.adam ?? 0) + (done.rite ?? 0)) % 2;
      }),
    )
    .toBe(1);
  await page.getByTestId('finetune-save-now').click();
  // An autosave's news (an even count) may still be shown, and steps in flight at the pause may
  // still report: wait for this save's own news, the only odd count.
  await expect(page.getByTestId('finetune-last-save')).toHaveAttribute(
    'data-steps',
    /^\d*[13579]$/,
  );
  const savedSteps = Number(
    await page.getByTestId('finetune-last-save').getAttribute('data-steps'),
  );
  await page.reload();
  await expect(finetuneRows(page)).toHaveCount(1);
  await expect(finetuneRows(page)).toHaveAttribute('data-step', String(savedSteps));
  await finetuneRows(page).getByTestId('run-resume').click();
  await expect
    .poll(() => page.evaluate(() => window.studio.store.getState().finetuneRun.phase), {
      timeout: RUN_TIMEOUT,
    })
    .toBe('done');
  // The losses up to the save come from the checkpoint, the rest were trained after the reload.
  expect(await curves(page)).toEqual(straight);
  expect(pageErrors).toEqual([]);
});

test('a device lost during a fine-tune is recovered from its last checkpoint and finishes with Continue', async ({
  page,
}) => {
  const { finetune, runs } = await tinyBase(page);
  await page.getByTestId('finetune-autosave').fill('1');
  await finetune.start();
  await expect(page.getByTestId('finetune-last-save')).toBeVisible({ timeout: RUN_TIMEOUT });
  await runs.loseDevice();
  await finetune.waitForPhase('paused', RUN_TIMEOUT);
  await expect(page.getByTestId('finetune-continue')).toBeEnabled();
  await page.getByTestId('finetune-continue').click();
  await finetune.waitForPhase('done', RUN_TIMEOUT);
  const c = await curves(page);
  const steps = Array.from({ length: STEPS }, (_, i) => i + 1);
  expect(c.adam.map(([s]) => s)).toEqual(steps);
  expect(c.rite.map(([s]) => s)).toEqual(steps);
});
