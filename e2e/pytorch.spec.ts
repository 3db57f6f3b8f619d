// A run moves from the browser to PyTorch: trained in the studio, paused and saved early (at step
// k: the pause lands a few steps in, since steps are queued ahead), exported with "Export for
// PyTorch", continued by python/continue_run.py on 2 CPU ranks (env://, as torchrun starts them)
// for 3 steps; steps k+1..k+3 must match the studio's own: losses within 1e-4 relative,
// the same blocks. Needs Debian's python3-torch and python3-numpy in /usr/bin/python3.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { type ContinuedStep, continueRun, PYTHON } from '../python/continueRunProcess';
import { BatchSampler, Blocks } from '../src/data/blocks';
import { tokenStream } from '../src/data/dataset';
import { byteTokenizer } from '../src/data/tokenizer';
import type { ScheduleExport } from '../src/lfr/export';
import { LfrPage } from './pages/LfrPage';
import { RunsPage } from './pages/RunsPage';
import { TrainingPage } from './pages/TrainingPage';

const RUN_TIMEOUT = 10 * 60_000;

/**
 * Trains from the form, pauses early, saves (the save waits for the steps in flight, so its step
 * is where the run stands) and exports the saved run; returns the folder and that step.
 */
async function trainSaveExport(page: Page, training: TrainingPage, runs: RunsPage) {
  await runs.setAutosave(0);
  await expect(training.settingsErrors).toHaveCount(0);
  await training.train();
  await expect(training.pauseButton).toBeEnabled({ timeout: RUN_TIMEOUT });
  await training.pauseButton.click();
  await training.waitForPhase('paused', RUN_TIMEOUT);
  await runs.saveNow.click();
  await runs.waitForSave(1, RUN_TIMEOUT);
  const saved = Number(await runs.lastSave.getAttribute('data-step'));
  await expect(training.runSteps).toHaveAttribute('data-step', String(saved));
  await expect(runs.rows.first()).toHaveAttribute('data-step', String(saved));
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    runs.rows.first().getByTestId('run-export-pytorch').click(),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'studio-pytorch-'));
  const zip = join(dir, download.suggestedFilename());
  await download.saveAs(zip);
  const unzip = spawnSync(PYTHON, ['-m', 'zipfile', '-e', zip, dir], { encoding: 'utf8' });
  expect(unzip.status, unzip.stderr).toBe(0);
  return { folder: join(dir, download.suggestedFilename().replace(/\.zip$/, '')), saved };
}

async function stepOnce(training: TrainingPage, to: number): Promise<void> {
  await expect(training.stepButton).toBeEnabled({ timeout: RUN_TIMEOUT });
  await training.stepButton.click();
  await expect(training.runSteps).toHaveAttribute('data-step', String(to), {
    timeout: RUN_TIMEOUT,
  });
  await training.waitForPhase('paused', RUN_TIMEOUT);
}

function expectSameLosses(continued: ContinuedStep[], studio: number[], saved: number): void {
  expect(continued.map((c) => c.step)).toEqual([saved, saved + 1, saved + 2]);
  continued.forEach((c, k) => {
    const want = studio[saved + k];
    console.log(
      `step ${c.step + 1}: PyTorch ${c.loss}, studio ${want}, relative ${(c.loss - want) / want}`,
    );
    expect(
      Math.abs(c.loss - want),
      `step ${c.step + 1}: PyTorch ${c.loss}, studio ${want}`,
    ).toBeLessThan(1e-4 * want);
  });
}

test("a tiny run exported mid-run continues in PyTorch on 2 ranks with the studio's losses and batches", async ({
  page,
}) => {
  const training = new TrainingPage(page);
  const runs = new RunsPage(page);
  await training.open();
  await training.choosePreset('tiny');
  await training.setField('batchSize', '4');
  await training.setField('maxSteps', '12');
  await training.setField('warmupSteps', '2');
  await training.setField('evalInterval', '0');
  const { folder, saved } = await trainSaveExport(page, training, runs);
  const continued = await continueRun(folder, join(folder, 'continued'), 2, 3);

  for (let step = saved + 1; step <= saved + 3; step++) await stepOnce(training, step);
  expectSameLosses(continued, await runs.losses(), saved);
  // The studio's sampler, from the exported position over the exported tokens, gives the blocks.
  const t = JSON.parse(readFileSync(join(folder, 'training.json'), 'utf8'));
  const tokens = new Uint8Array(readFileSync(join(folder, 'train.bin')));
  const blocks = new Blocks(tokenStream('train', tokens, byteTokenizer), 64);
  const sampler = new BatchSampler(blocks, 4, t.train.seed, t.order);
  for (const c of continued) {
    const ids = new Uint32Array(4);
    sampler.next(ids, new Uint32Array(4 * 64), new Uint32Array(4 * 64));
    expect(c.ids).toEqual([...ids]);
  }
});

test("a tiny LFR run exported mid-run continues in PyTorch with the schedule's batches", async ({
  page,
}) => {
  const training = new TrainingPage(page);
  const runs = new RunsPage(page);
  const lfr = new LfrPage(page);
  await training.open();
  await training.choosePreset('tiny');
  await training.setField('batchSize', '4');
  await training.setField('warmupSteps', '2');
  await training.setField('evalInterval', '0');
  await lfr.chooseLfr();
  // 48 blocks in batches of 4: Learn is 12 steps, so the steps around the save are all Learn's
  // (no cut pending).
  await lfr.setField('blocks', '48');
  const { folder, saved } = await trainSaveExport(page, training, runs);
  const continued = await continueRun(folder, join(folder, 'continued'), 2, 3);

  for (let step = saved + 1; step <= saved + 3; step++) await stepOnce(training, step);
  expectSameLosses(continued, await runs.losses(), saved);
  // The studio's own batches: the visits its schedule observed, read from its replay file.
  const schedule = JSON.parse(await lfr.download('lfr', 'schedule')) as ScheduleExport;
  for (const c of continued) {
    expect(c.ids).toEqual(schedule.visits.rows.filter((r) => r[0] === c.step).map((r) => r[1]));
  }
});
