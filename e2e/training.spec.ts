import { expect, test } from '@playwright/test';
import { TrainingPage } from './pages/TrainingPage';

// 30 steps of the tiny preset with 3 validations, on SwiftShader (two shared CPU cores).
const RUN_TIMEOUT = 10 * 60_000;
// The page's own work per progress event is a few tens of ms of CPU (batched events, history
// appended in place, charts thinned to 400 points, deferred and without animation). Long tasks are
// timed on the wall clock, and here two cores also run SwiftShader's training threads (and other
// jobs), which stretches them a few times: 500 ms stays under the 1 s at which a user loses the
// thread, and fails a full-page re-render per event (measured at 1-2 s before this design).
const LONG_TASK_LIMIT_MS = 500;

test('shows why settings are invalid and keeps Train disabled until they are fixed', async ({
  page,
}) => {
  const training = new TrainingPage(page);
  await training.open();
  await training.choosePreset('tiny');
  await expect(training.trainButton).toBeEnabled();
  await training.setField('nEmbd', '66');
  await expect(training.settingsErrors).toContainText(
    'n_embd (66) must be divisible by n_head (4)',
  );
  await expect(training.trainButton).toBeDisabled();
  await training.setField('nEmbd', '64');
  await expect(training.settingsErrors).toHaveCount(0);
  await expect(training.trainButton).toBeEnabled();
});

test('trains the tiny preset from the UI: the loss falls, the charts draw, the model samples', async ({
  page,
}) => {
  const pageErrors: Error[] = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  const training = new TrainingPage(page);
  await training.open();
  await training.choosePreset('tiny');
  await training.setField('maxSteps', '30');
  await training.setField('evalInterval', '10');
  await expect(training.settingsErrors).toHaveCount(0);
  await expect(training.memory).toContainText('GPU memory');

  await training.watchLongTasks();
  const started = Date.now();
  await training.train();
  await training.waitForPhase('done', RUN_TIMEOUT);
  const runMs = Date.now() - started;
  await expect(training.errors).toHaveCount(0);
  await expect(training.dataSummary).toContainText('byte tokenizer');
  await expect(training.runSteps).toHaveAttribute('data-step', '30');

  const first = await training.lossAt('first');
  const last = await training.lossAt('last');
  expect(first).toBeGreaterThan(0);
  expect(last).toBeLessThan(first);
  await expect(training.lossReadout).toHaveAttribute('data-steps', '30');
  await expect(training.lossReadout).toHaveAttribute('data-val-points', '3');
  // A drawn curve: an SVG path through several points, and the validation line's dots.
  const curve = training.lossChart.locator('path.recharts-line-curve').first();
  await expect(curve).toHaveAttribute('d', /^M[^L]*(L[^L]+){5,}/);
  await expect(training.lossChart.locator('.recharts-line-dot')).toHaveCount(3);
  await expect(training.lrChart.locator('path.recharts-line-curve')).toHaveAttribute('d', /L/);
  const tokensPerSec = Number(await training.tokensPerSec.getAttribute('data-value'));
  expect(tokensPerSec).toBeGreaterThan(0);

  const tasks = await training.longTasks();
  const longest = Math.max(0, ...tasks.map((t) => t.duration));
  console.log(
    `tiny, 30 steps: ${runMs} ms from Train to done, ${tokensPerSec.toFixed(0)} tokens/s; ` +
      `${tasks.length} long tasks while training, longest ${longest.toFixed(0)} ms`,
  );
  expect(longest).toBeLessThan(LONG_TASK_LIMIT_MS);

  const sampled = Date.now();
  const text = await training.sample('The ');
  console.log(`sampled ${text.length} characters in ${Date.now() - sampled} ms`);
  expect(text.length).toBeGreaterThan(0);
  expect(pageErrors).toEqual([]);

  // README's screenshot: STUDIO_SCREENSHOT=1 npx playwright test e2e/training.spec.ts
  if (process.env.STUDIO_SCREENSHOT) {
    await page.screenshot({ path: 'e2e/screenshots/studio.png', fullPage: true });
  }
});
