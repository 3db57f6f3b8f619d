import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ObservedStep, Schedule } from '../lfr/schedule';
import { DEFAULT_LFR_SETTINGS } from '../lfr/settings';
import { ScheduleOutbox } from '../lfr/stream';
import { type FakeVerbs, fakeRemote } from '../test/fakeWorker';
import { countingBlocks } from '../test/lfrRun';
import type { StudioApi } from '../worker/client';
import type { RunProgress, StartResult, TokenizerName, TrainSettings } from '../worker/protocol';
import { setWorkerFactory, startTraining } from './actions';
import {
  chooseBlockSample,
  chooseComparisonArm,
  chooseSchedule,
  editComparisonSeeds,
  editLfrField,
  runComparison,
} from './lfrActions';
import { armSummary, lfrMirror } from './lfrSlice';
import { resumeRun } from './runsActions';
import { editSetting } from './settingsActions';
import { resetStudio, useStudio } from './store';

const progress = (step: number, extra: Partial<RunProgress> = {}): RunProgress => ({
  state: 'running',
  step,
  maxSteps: 30,
  points: [],
  val: [],
  tokensSeen: step * 512,
  tokensPerSec: 100,
  msPerStep: 5000,
  gflops: 0.1,
  etaMs: 0,
  ...extra,
});

// Stands in for the comlink remote; the test drives each run's progress callback.
function fakeWorker(trainTokens = 1e6, start: StartResult = { ok: true }) {
  const started: TrainSettings[] = [];
  const emits: ((p: RunProgress) => void)[] = [];
  const fake: Partial<StudioApi> = {
    loadData: async (tokenizer: TokenizerName) => ({
      name: 'owt',
      tokenizer,
      trainTokens,
      valTokens: 1e5,
      trainDocuments: 10,
    }),
    startTraining: async (settings: TrainSettings, onProgress: (p: RunProgress) => void) => {
      started.push(settings);
      emits.push(onProgress);
      return start;
    },
  };
  return { factory: () => fakeRemote(fake), started, emits };
}

// Steps [from, to) of a schedule, each observed by it and its outbox.
function playOn(s: Schedule, outbox: ScheduleOutbox, from: number, to: number) {
  const inputs = new Uint32Array(4 * 3);
  const targets = new Uint32Array(4 * 3);
  for (let step = from; step < to; step++) {
    const ids = new Uint32Array(4);
    s.next(ids, inputs, targets);
    const r: ObservedStep = {
      step,
      blockIds: ids,
      sequenceLosses: Float32Array.from(ids, (id) => id / 4),
    };
    s.observe(r);
    outbox.observed(r);
  }
}

// A schedule played for `steps` steps, its news taken as one progress event's lfr part.
function scheduleEvents(steps: number) {
  const s = Schedule.lfr(countingBlocks(12), DEFAULT_LFR_SETTINGS, { batchSize: 4, seed: 1 });
  const outbox = new ScheduleOutbox(s);
  playOn(s, outbox, 0, steps);
  return { schedule: s, lfr: outbox.take() };
}

const errors = () => useStudio.getState().settingsErrors.join('\n');

describe('LFR settings', () => {
  beforeEach(resetStudio);
  afterEach(resetStudio);

  it('are checked as the user types, with the messages of the bad input', () => {
    chooseSchedule('lfr');
    expect(useStudio.getState().settingsErrors).toEqual([]);
    editLfrField('s1', '100');
    expect(errors()).toContain(
      's1 is the percent of blocks a Focus drops and must be in [0, 100), not 100.',
    );
    editLfrField('s1', '50');
    editLfrField('s2', '-5');
    expect(errors()).toContain(
      's2 is the percent of blocks a Focus drops and must be in [0, 100), not -5.',
    );
    editLfrField('s2', '70');
    editLfrField('p2', '-1');
    expect(errors()).toContain(
      'p2 (first Focus epochs) must be a whole number of at least 0, not -1.',
    );
    editLfrField('p2', '1');
    expect(useStudio.getState().settingsErrors).toEqual([]);
  });

  it('refuse a cut that keeps no block and data smaller than one batch', () => {
    chooseSchedule('lfr');
    editSetting('batchSize', '1');
    editLfrField('blocks', '10');
    editLfrField('s2', '96');
    expect(errors()).toContain(
      's2 = 96 would keep no block of 10 (it drops 10): lower s2 to at most 90.',
    );
    editLfrField('s2', '70');
    editSetting('batchSize', '8');
    editLfrField('blocks', '4');
    expect(errors()).toContain('The data set gives 4 blocks, fewer than one batch of 8');
    editLfrField('blocks', '-2');
    expect(errors()).toContain('blocks must be a whole number, 0 for all, not -2.');
  });

  it('do not apply to a random run, and max steps does not apply to an LFR run', () => {
    editLfrField('s1', '100');
    expect(useStudio.getState().settingsErrors).toEqual([]);
    editLfrField('s1', '50');
    chooseSchedule('lfr');
    editSetting('maxSteps', '');
    expect(useStudio.getState().settingsErrors).toEqual([]);
  });
});

describe('LFR runs in the store', () => {
  beforeEach(resetStudio);
  afterEach(resetStudio);

  it('a run with sample blocks ticked asks the worker for a sample of the blocks', async () => {
    const w = fakeWorker();
    setWorkerFactory(w.factory);
    chooseSchedule('lfr');
    editLfrField('blocks', '12');
    chooseBlockSample(true);
    editSetting('batchSize', '4');
    await startTraining();
    expect(w.started[0].schedule).toMatchObject({ maxBlocks: 12, sampleBlocks: true });
  });

  it('an LFR run sends the schedule and its events fill the page mirror', async () => {
    const w = fakeWorker();
    setWorkerFactory(w.factory);
    chooseSchedule('lfr');
    editLfrField('blocks', '12');
    editSetting('batchSize', '4');
    await startTraining();
    expect(w.started[0].schedule).toEqual({
      role: 'lfr',
      lfr: DEFAULT_LFR_SETTINGS,
      maxBlocks: 12,
    });
    expect(useStudio.getState().lfrRole).toBe('lfr');
    const { schedule, lfr } = scheduleEvents(3);
    const before = useStudio.getState().lfrVersion;
    w.emits[0](progress(3, { lfr }));
    const mirror = lfrMirror('lfr')!;
    expect(mirror.scores.grid().data).toEqual(schedule.scores.grid().data);
    expect(mirror.cut(1)?.kept).toEqual(schedule.cut(1)?.kept);
    expect(useStudio.getState().lfrVersion).toBe(before + 1);
    // An event with no schedule news leaves the views alone.
    w.emits[0](progress(3, { lfr: { observations: [], cuts: [], tokensUsed: 0 } }));
    expect(useStudio.getState().lfrVersion).toBe(before + 1);
  });

  // Mutant caught: a resumed run's listener with no role (as before: no views after a reload).
  it('a resumed LFR run shows its views from the snapshot of the steps before the reload', async () => {
    const settings = DEFAULT_LFR_SETTINGS;
    const whole = scheduleEvents(9).schedule;
    const saved = scheduleEvents(5).schedule;
    const restored = Schedule.lfr(countingBlocks(12), settings, { batchSize: 4, seed: 1 });
    restored.restoreState(saved.saveState());
    const outbox = new ScheduleOutbox(restored);
    const first = outbox.take();
    playOn(restored, outbox, 5, 9);
    const fake: FakeVerbs = {
      resumeRun: async (_id, onProgress) => {
        onProgress(progress(5, { lfr: first }));
        onProgress(progress(9, { lfr: outbox.take() }));
        return {
          ok: true as const,
          run: { id: 'a', name: 'a', created: 1, updated: 2, step: 5, preset: 'tiny', size: 1 },
          settings: { ...w0.started[0], preset: 'tiny' },
          step: 5,
          maxSteps: whole.totalSteps(),
        };
      },
    };
    const w0 = fakeWorker();
    setWorkerFactory(w0.factory);
    chooseSchedule('lfr');
    editSetting('batchSize', '4');
    await startTraining();
    setWorkerFactory(() => fakeRemote(fake));
    expect(await resumeRun('a')).toBe(true);
    expect(useStudio.getState().lfrRole).toBe('lfr');
    const mirror = lfrMirror('lfr')!;
    expect(mirror.steps).toBe(9);
    expect(mirror.scores.grid().data).toEqual(whole.scores.grid().data);
    expect(mirror.cut(1)?.kept).toEqual(whole.cut(1)?.kept);
  });

  it("a late event of an earlier run does not reach the new run's mirror", async () => {
    const w = fakeWorker();
    setWorkerFactory(w.factory);
    chooseSchedule('lfr');
    editSetting('batchSize', '4');
    await startTraining();
    await startTraining();
    w.emits[0](progress(3, { lfr: scheduleEvents(3).lfr }));
    expect(lfrMirror('lfr')).toBeUndefined();
  });

  it('the comparison trains LFR, then the random baseline and the two control arms, and keeps every curve', async () => {
    const w = fakeWorker();
    setWorkerFactory(w.factory);
    chooseSchedule('lfr');
    editSetting('evalInterval', '2');
    const done = runComparison();
    await new Promise((r) => setTimeout(r, 0));
    const val = (step: number, loss: number) => ({ step, loss, perplexity: Math.exp(loss) });
    w.emits[0](progress(2, { val: [val(2, 2)] }));
    w.emits[0](progress(4, { state: 'done', val: [val(4, 1.5)] }));
    await new Promise((r) => setTimeout(r, 0));
    expect(w.started.map((s) => s.schedule?.role)).toEqual(['lfr', 'baseline']);
    expect(useStudio.getState().lfrRole).toBe('baseline');
    w.emits[1](progress(4, { state: 'done', val: [val(2, 2.1), val(4, 1.7)] }));
    for (const run of [2, 3]) {
      await new Promise((r) => setTimeout(r, 0));
      w.emits[run](progress(4, { state: 'done', val: [val(4, 1.6)] }));
    }
    await done;
    expect(w.started.map((s) => s.schedule?.role)).toEqual([
      'lfr',
      'baseline',
      'randomDrop',
      'noReview',
    ]);
    const c = useStudio.getState().comparison;
    expect(c.status).toBe('done');
    // 8 blocks of 64 tokens per step in the tiny preset.
    expect(c.runs.map((r) => r.role)).toEqual(['lfr', 'baseline', 'randomDrop', 'noReview']);
    expect(c.runs[0].val.map((p) => [p.tokens, p.loss])).toEqual([
      [1024, 2],
      [2048, 1.5],
    ]);
    expect(c.runs[1].val.map((p) => p.loss)).toEqual([2.1, 1.7]);
    expect(c.runs[1].state).toBe('done');
  });

  // Mutants caught: every seed run with the form's seed; the form's seed not put back.
  it('the comparison runs both arms for each seed and summarises the final perplexity', async () => {
    const w = fakeWorker();
    setWorkerFactory(w.factory);
    chooseSchedule('lfr');
    editSetting('evalInterval', '2');
    editSetting('seed', '7');
    editComparisonSeeds('3');
    chooseComparisonArm('randomDrop', false);
    chooseComparisonArm('noReview', false);
    chooseComparisonArm('lfr', false);
    const done = runComparison();
    const val = (loss: number) => [{ step: 2, loss, perplexity: Math.exp(loss) }];
    for (let run = 0; run < 6; run++) {
      await new Promise((r) => setTimeout(r, 0));
      w.emits[run](progress(2, { state: 'done', val: val(1 + run / 10) }));
    }
    await done;
    expect(w.started.map((s) => [s.schedule?.role, s.train.seed])).toEqual([
      ['lfr', 7],
      ['baseline', 7],
      ['lfr', 8],
      ['baseline', 8],
      ['lfr', 9],
      ['baseline', 9],
    ]);
    expect(useStudio.getState().form.seed).toBe('7');
    const c = useStudio.getState().comparison;
    expect(c.status).toBe('done');
    const lfr = armSummary(c.runs, 'lfr');
    const ppl = [1, 1.2, 1.4].map(Math.exp);
    expect(lfr.n).toBe(3);
    expect(lfr.mean).toBeCloseTo((ppl[0] + ppl[1] + ppl[2]) / 3, 12);
    expect([lfr.min, lfr.max]).toEqual([ppl[0], ppl[2]]);
    const m = lfr.mean;
    expect(lfr.sd).toBeCloseTo(Math.sqrt(ppl.reduce((a, p) => a + (p - m) ** 2, 0) / 2), 12);
  });

  it('the comparison refuses a bad seeds count', async () => {
    setWorkerFactory(fakeWorker().factory);
    editSetting('evalInterval', '2');
    editComparisonSeeds('0');
    await runComparison();
    expect(useStudio.getState().comparison.error).toMatch(
      /seeds must be a whole number in \[1, 10\]/,
    );
  });

  it('the comparison needs validation to compare', async () => {
    setWorkerFactory(fakeWorker().factory);
    editSetting('evalInterval', '0');
    await runComparison();
    expect(useStudio.getState().comparison.error).toMatch(/set the evaluation interval above 0/);
  });
});
