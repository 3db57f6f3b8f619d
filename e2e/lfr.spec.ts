import { expect, test } from '@playwright/test';
import type { ScheduleExport } from '../src/lfr/export';
import { LfrPage } from './pages/LfrPage';
import { RunsPage } from './pages/RunsPage';
import { TrainingPage } from './pages/TrainingPage';

// 16 blocks in batches of 4, both Focus phases drop half, one repetition: Learn 4 steps, Focus 2,
// Review 4, Focus again 2; 12 steps of the tiny model, a few seconds of SwiftShader.
const BLOCKS = 16;
const RUN_TIMEOUT = 5 * 60_000;

// The ids a Focus keeps: all but the `percent` % lowest scores (null ranks highest), ties by id.
function keptByScores(scores: (number | null)[], percent: number): number[] {
  const rank = (s: number | null) => (s === null ? Number.POSITIVE_INFINITY : s);
  const ids = scores.map((_, id) => id);
  ids.sort((a, b) => rank(scores[a]) - rank(scores[b]) || a - b);
  return ids.slice(Math.round((ids.length * percent) / 100)).sort((a, b) => a - b);
}

// The tiny LFR run of these tests: 16 blocks, both Focus phases drop half, one repetition.
async function tinyLfr(training: TrainingPage, lfr: LfrPage): Promise<void> {
  await training.choosePreset('tiny');
  await training.setField('batchSize', '4');
  await training.setField('evalInterval', '0');
  await training.setField('warmupSteps', '2');
  await lfr.chooseLfr();
  for (const [key, value] of [
    ['blocks', String(BLOCKS)],
    ['s1', '50'],
    ['s2', '50'],
    ['reps', '1'],
  ] as const) {
    await lfr.setField(key, value);
  }
  await expect(training.settingsErrors).toHaveCount(0);
}

test('LFR settings are checked as typed: a bad percent or too few blocks keeps Train disabled', async ({
  page,
}) => {
  const training = new TrainingPage(page);
  const lfr = new LfrPage(page);
  await training.open();
  await lfr.chooseLfr();
  await expect(lfr.budget).toHaveAttribute('data-passes', '4');
  await lfr.setField('s1', '100');
  await expect(training.settingsErrors).toContainText(
    's1 is the percent of blocks a Focus drops and must be in [0, 100), not 100.',
  );
  await expect(training.trainButton).toBeDisabled();
  await lfr.setField('s1', '50');
  await lfr.setField('blocks', '3');
  await expect(training.settingsErrors).toContainText(
    'The data set gives 3 blocks, fewer than one batch of 8',
  );
  await lfr.setField('blocks', '0');
  await expect(training.settingsErrors).toHaveCount(0);
  await expect(training.trainButton).toBeEnabled();
});

test('a tiny LFR run goes through every phase, marks each Focus cut, and exports a schedule that agrees with its scores', async ({
  page,
}) => {
  const pageErrors: Error[] = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  const training = new TrainingPage(page);
  const lfr = new LfrPage(page);
  await training.open();
  await tinyLfr(training, lfr);
  await lfr.watchFocusMarks();
  await training.train();
  await training.waitForPhase('done', RUN_TIMEOUT);
  await expect(training.errors).toHaveCount(0);
  await expect(training.runSteps).toHaveAttribute('data-max', '12');
  await expect(training.runSteps).toHaveAttribute('data-step', '12');

  // Every phase ran, in order, with the step spans the settings give.
  const spans = { learn: [0, 4], focus: [4, 6], review: [6, 10], focusAgain: [10, 12] };
  for (const [name, [start, end]] of Object.entries(spans)) {
    await expect(lfr.phase(name)).toHaveAttribute('data-state', 'done');
    await expect(lfr.phase(name)).toHaveAttribute('data-start-step', String(start));
    await expect(lfr.phase(name)).toHaveAttribute('data-end-step', String(end));
  }
  await expect(lfr.run).toHaveAttribute('data-steps', '12');
  await expect(lfr.run).toHaveAttribute('data-cuts', '2');
  await expect(lfr.run).toHaveAttribute('data-phase', 'focusAgain');
  // The heatmap marked half of the rows as dropped in each Focus while it ran.
  await expect(lfr.heatmapCanvas).toHaveAttribute('data-dropped-rows', String(BLOCKS / 2));
  // Both Focus cuts stay marked in their own slices after the run, not only the current one.
  await expect(lfr.heatmapCanvas).toHaveAttribute(
    'data-focus-dropped',
    `${BLOCKS / 2},${BLOCKS / 2}`,
  );
  // The blocks now rank by the Review scores that decided Focus again, each with its step.
  await expect(page.getByTestId('lfr-block-table')).toHaveAttribute('data-basis', 'cut');
  for (const row of await lfr.blockRows.all()) {
    const step = Number(await row.getAttribute('data-step'));
    expect(step >= 6 && step < 10).toBe(true);
  }
  const marks = await lfr.focusMarks();
  expect(marks).toContain(`focus:${BLOCKS / 2}`);
  expect(marks).toContain(`focusAgain:${BLOCKS / 2}`);
  await expect(lfr.run).toHaveAttribute('data-dropped-count', String(BLOCKS / 2));
  for (const focus of ['focus', 'focusAgain']) {
    await expect(lfr.histogram(focus)).toHaveAttribute('data-dropped-count', String(BLOCKS / 2));
    await expect(lfr.histogram(focus)).toHaveAttribute('data-kept-count', String(BLOCKS / 2));
  }
  await expect(page.getByTestId('lfr-dropped-forgotten')).toHaveAttribute(
    'data-dropped',
    String(BLOCKS / 2),
  );
  await expect(page.getByTestId('lfr-forgetting')).toBeVisible();

  // The exported schedule replays: each Focus keeps exactly the blocks above its cut of the
  // exported scores, and its cut is the one the page drew from the recorded scores.
  const exported = JSON.parse(await lfr.download('lfr', 'schedule')) as ScheduleExport;
  expect(exported.blockCount).toBe(BLOCKS);
  expect(exported.phases.map((p) => p.name)).toEqual(['learn', 'focus', 'review', 'focusAgain']);
  for (const phase of exported.phases.filter((p) => p.decidingScores)) {
    const cut = phase.decidingScores!;
    expect(cut.scores.every((s) => s !== null && s > 0)).toBe(true);
    expect(phase.keptIds).toEqual(keptByScores(cut.scores, cut.dropPercent));
    const drawn = Number(await lfr.histogram(phase.name).getAttribute('data-cut-value'));
    expect(cut.cutValue).toBe(drawn);
  }
  const csv = await lfr.download('lfr', 'historiesCsv');
  expect(csv.split('\n')[0]).toBe('block,slice,start_step,end_step,score');
  // Every block was visited in Learn and in Review, so each has at least two history rows.
  expect(csv.trim().split('\n').length - 1).toBeGreaterThanOrEqual(2 * BLOCKS);

  // A click on a block shows its text and its score history.
  await lfr.openBlock(0);
  await expect(page.getByTestId('lfr-block-text')).not.toHaveText('loading…');
  await expect(page.getByTestId('lfr-block-text')).not.toBeEmpty();
  expect(Number(await lfr.blockDetails.getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
  expect(pageErrors).toEqual([]);
});

test('a resumed LFR run shows the same LFR views after a reload as the run that never stopped', async ({
  page,
}) => {
  const pageErrors: Error[] = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  const training = new TrainingPage(page);
  const lfr = new LfrPage(page);
  const runs = new RunsPage(page);
  await training.open();
  await tinyLfr(training, lfr);
  await runs.setAutosave(0);
  await training.train();
  await training.waitForPhase('done', RUN_TIMEOUT);
  const straight = await lfr.views();
  expect(straight.run).toMatchObject({ steps: '12' });

  // The same run (same seed: the same scores), saved every 3 steps, reloaded and resumed.
  await runs.setAutosave(3);
  await training.train();
  await runs.waitForSave(3, RUN_TIMEOUT);
  await page.reload();
  await expect(runs.rows).toHaveCount(1);
  const saved = Number(await runs.rows.first().getAttribute('data-step'));
  expect(saved).toBeGreaterThanOrEqual(3);
  await runs.resume(runs.rows.first());
  await training.waitForPhase('done', RUN_TIMEOUT);
  await expect(lfr.run).toHaveAttribute('data-steps', '12');
  expect(await lfr.views()).toEqual(straight);
  expect(pageErrors).toEqual([]);
});

test('the forgetting profile trains random epochs over the chosen blocks and reports the share of each class', async ({
  page,
}) => {
  const pageErrors: Error[] = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  const training = new TrainingPage(page);
  const lfr = new LfrPage(page);
  await training.open();
  await tinyLfr(training, lfr);
  const profile = page.getByTestId('lfr-profile');
  await page.getByTestId('lfr-profile-epochs').fill('3');
  await page.getByTestId('lfr-profile-button').click();
  // 3 epochs of 16 blocks in batches of 4: 12 steps.
  await expect(profile).toHaveAttribute('data-status', 'done', { timeout: RUN_TIMEOUT });
  await expect(profile).toHaveAttribute('data-epochs-done', '3');
  await expect(page.getByTestId('lfr-profile-chart')).toHaveAttribute('data-points', '3');
  const share = async (key: string) =>
    Number(await page.getByTestId(`lfr-profile-${key}`).getAttribute('data-share'));
  const classes = ['learned', 'unlearned', 'unchanged', 'forgotten'];
  const total = (await Promise.all(classes.map(share))).reduce((a, b) => a + b, 0);
  expect(total).toBeCloseTo(1, 9);
  expect(await share('forgottenTwice')).toBeLessThanOrEqual(await share('forgotten'));
  // Three epochs from fresh weights: every block's perplexity fell from near the vocabulary size.
  expect(await share('learned')).toBeGreaterThan(0);
  expect(pageErrors).toEqual([]);
});
