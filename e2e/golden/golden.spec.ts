import { writeFileSync } from 'node:fs';
import { expect, type Locator, type Page, test } from '@playwright/test';
import type { ScheduleExport } from '../../src/lfr/export';
import type { LfrFieldKey } from '../../src/store/lfrSlice';
import type { FieldKey } from '../../src/store/settingsForm';
import type { LossesExport } from '../../src/ui/lossesExport';
import { LfrPage } from '../pages/LfrPage';
import { StudioPage } from '../pages/StudioPage';
import { TrainingPage } from '../pages/TrainingPage';
import {
  adapterKey,
  CROSS_ADAPTER_RTOL,
  decisionDepartures,
  decisionsOf,
  type GoldenRun,
  goldenPath,
  goldenText,
  lossDepartures,
  readGolden,
  sameAdapter,
  UPDATING,
  writeGolden,
} from './golden';

// Golden runs of the tiny preset on whatever adapter the browser gives (SwiftShader here): a few
// steps of batch 4, each run well under a minute of SwiftShader.
const RUN_TIMEOUT = 5 * 60_000;

// The pictures depend on the layout: one viewport and pixel ratio for every run.
test.use({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });

// The same build, browser and adapter draw the same pixels: the views are compared exactly
// (maxDiffPixels 0). `threshold` 0.2 is Playwright's per-pixel colour distance, which only forgives
// anti-aliasing shades; any moved line, bar, cell or changed text fails. Animations are off
// (CSS, and recharts' own via isAnimationActive), the caret hidden.
const VIEW = { animations: 'disabled', caret: 'hide', maxDiffPixels: 0, threshold: 0.2 } as const;

interface GoldenSpec {
  name: string;
  fields: Partial<Record<FieldKey, string>>;
  lfr?: Partial<Record<LfrFieldKey, string>>;
  steps: number;
}

const TINY: GoldenSpec = {
  name: 'tiny',
  fields: {
    seed: '1337',
    batchSize: '4',
    maxSteps: '12',
    warmupSteps: '2',
    evalInterval: '4',
    evalBatches: '2',
  },
  steps: 12,
};

// 16 blocks in batches of 4, both Focus phases drop half, one repetition: Learn 4 steps, Focus 2,
// Review 4, Focus again 2.
const TINY_LFR: GoldenSpec = {
  name: 'tiny-lfr',
  fields: { seed: '1337', batchSize: '4', warmupSteps: '2', evalInterval: '4', evalBatches: '2' },
  lfr: { blocks: '16', s1: '50', s2: '50', reps: '1' },
  steps: 12,
};

/** Sets the run up in the form as a user would, trains it, and returns what the page exports. */
async function goldenRun(page: Page, spec: GoldenSpec): Promise<GoldenRun> {
  const training = new TrainingPage(page);
  const lfr = new LfrPage(page);
  await training.open();
  const adapter = await new StudioPage(page).adapter();
  await training.choosePreset('tiny');
  for (const [key, value] of Object.entries(spec.fields)) {
    await training.setField(key as FieldKey, value);
  }
  if (spec.lfr) {
    await lfr.chooseLfr();
    for (const [key, value] of Object.entries(spec.lfr)) {
      await lfr.setField(key as LfrFieldKey, value);
    }
  }
  await expect(training.settingsErrors).toHaveCount(0);
  const started = Date.now();
  await training.train();
  await training.waitForPhase('done', RUN_TIMEOUT);
  console.log(`${spec.name}: ${spec.steps} steps, ${Date.now() - started} ms from Train to done`);
  await expect(training.errors).toHaveCount(0);
  await expect(training.runSteps).toHaveAttribute('data-step', String(spec.steps));
  // The deferred charts have drawn every step.
  await expect(training.lossChart).toHaveAttribute('data-points', String(spec.steps));

  const losses = JSON.parse(await training.downloadLosses()) as LossesExport;
  const schedule = spec.lfr
    ? (JSON.parse(await lfr.download('lfr', 'schedule')) as ScheduleExport)
    : undefined;
  // Off every control: a hovered button or heatmap cell would change the pictures.
  await page.mouse.move(0, 0);
  return {
    name: spec.name,
    adapter,
    settings: { preset: 'tiny', ...spec.fields, ...spec.lfr },
    losses,
    decisions: schedule ? decisionsOf(schedule) : [],
  };
}

/**
 * Records the run as the golden (update mode), or compares it: losses bit-identical on the golden's
 * adapter, within CROSS_ADAPTER_RTOL on another; decisions identical everywhere.
 */
async function checkGolden(run: GoldenRun): Promise<void> {
  const info = test.info();
  // Written as files (not bodies) so the list reporter prints their paths beside the failure.
  const actualPath = info.outputPath(`${run.name}-actual.json`);
  writeFileSync(actualPath, goldenText(run));
  await info.attach(`${run.name}-actual.json`, {
    path: actualPath,
    contentType: 'application/json',
  });
  if (UPDATING) {
    writeGolden(run);
    return;
  }
  const golden = readGolden(run.name);
  await info.attach(`${run.name}-golden.json`, {
    path: goldenPath(run.name),
    contentType: 'application/json',
  });
  const rtol = sameAdapter(golden.adapter, run.adapter) ? 0 : CROSS_ADAPTER_RTOL;
  if (rtol !== 0) {
    info.annotations.push({
      type: 'adapter',
      description:
        `golden made on ${JSON.stringify(golden.adapter)}, this run on ` +
        `${JSON.stringify(run.adapter)}: losses compared within relative ${rtol}`,
    });
  }
  expect(run.settings, 'the form settings differ from the golden run').toEqual(golden.settings);
  const lossMessages = lossDepartures(golden.losses, run.losses, rtol);
  expect.soft(lossMessages, lossMessages.join('\n')).toEqual([]);
  const decisionMessages = decisionDepartures(golden.decisions, run.decisions);
  expect.soft(decisionMessages, decisionMessages.join('\n')).toEqual([]);
}

/** A view compared with its golden picture, kept per adapter (each draws its own curves). */
async function expectView(run: GoldenRun, view: string, target: Locator, mask: Locator[] = []) {
  await expect
    .soft(target)
    .toHaveScreenshot([adapterKey(run.adapter), `${run.name}-${view}.png`], { ...VIEW, mask });
}

/** The loss and learning-rate charts (not the buttons under them: other features add there). */
async function expectCharts(run: GoldenRun, page: Page) {
  const training = new TrainingPage(page);
  await expectView(run, 'loss-chart', training.lossChart);
  await expectView(run, 'lr-chart', training.lrChart);
}

/**
 * The run's readouts, from the progress bar to the throughput, with the clocks masked: tokens/s,
 * ms/step, GFLOP/s and the time left change from run to run; the steps and losses must not.
 */
async function expectReadouts(run: GoldenRun, page: Page) {
  const from = page.getByTestId('run-progress');
  const to = page.getByTestId('throughput');
  await from.scrollIntoViewIfNeeded();
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  const x = Math.floor(Math.min(a.x, b.x));
  const y = Math.floor(a.y);
  const clip = {
    x,
    y,
    width: Math.ceil(Math.max(a.x + a.width, b.x + b.width)) - x,
    height: Math.ceil(b.y + b.height) - y,
  };
  await expect.soft(page).toHaveScreenshot([adapterKey(run.adapter), `${run.name}-readouts.png`], {
    ...VIEW,
    clip,
    mask: [to, page.getByTestId('time-left')],
  });
}

test('golden run: tiny preset, 12 steps, losses and views match the golden run', async ({
  page,
}) => {
  const run = await goldenRun(page, TINY);
  await checkGolden(run);
  await expectCharts(run, page);
  await expectReadouts(run, page);
});

test('golden run: tiny preset with LFR, 12 steps, losses, kept blocks and LFR views match the golden run', async ({
  page,
}) => {
  const run = await goldenRun(page, TINY_LFR);
  await checkGolden(run);
  const lfr = new LfrPage(page);
  await expect(lfr.heatmapCanvas).toHaveAttribute('data-dropped-rows', '8');
  await expectCharts(run, page);
  await expectView(run, 'timeline', page.getByTestId('lfr-timeline'));
  await expectView(run, 'heatmap', page.getByTestId('block-heatmap'));
  for (const focus of ['focus', 'focusAgain']) {
    await expectView(run, `histogram-${focus}`, lfr.histogram(focus));
  }
});
