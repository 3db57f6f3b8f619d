import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ObservedStep, Schedule } from '../lfr/schedule';
import { DEFAULT_LFR_SETTINGS } from '../lfr/settings';
import { ScheduleOutbox } from '../lfr/stream';
import { fakeRemote } from '../test/fakeWorker';
import { countingBlocks } from '../test/lfrRun';
import type { StudioApi } from '../worker/client';
import type { RunProgress, StartResult, TokenizerName, TrainSettings } from '../worker/protocol';
import { setWorkerFactory, startTraining } from './actions';
import { chooseSchedule, editLfrField, runComparison } from './lfrActions';
import { lfrMirror } from './lfrSlice';
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

// A schedule played for `steps` steps, its news taken as one progress event's lfr part.
function scheduleEvents(steps: number) {
  const s = Schedule.lfr(countingBlocks(12), DEFAULT_LFR_SETTINGS, { batchSize: 4, seed: 1 });
  const outbox = new ScheduleOutbox(s);
  const inputs = new Uint32Array(4 * 3);
  const targets = new Uint32Array(4 * 3);
  for (let step = 0; step < steps; step++) {
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

  it('the comparison trains LFR, then the random baseline, and keeps both curves', async () => {
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
    await done;
    const c = useStudio.getState().comparison;
    expect(c.status).toBe('done');
    // 8 blocks of 64 tokens per step in the tiny preset.
    expect(c.runs.lfr?.val.map((p) => [p.tokens, p.loss])).toEqual([
      [1024, 2],
      [2048, 1.5],
    ]);
    expect(c.runs.baseline?.val.map((p) => p.loss)).toEqual([2.1, 1.7]);
    expect(c.runs.baseline?.state).toBe('done');
  });

  it('the comparison needs validation to compare', async () => {
    setWorkerFactory(fakeWorker().factory);
    editSetting('evalInterval', '0');
    await runComparison();
    expect(useStudio.getState().comparison.error).toMatch(/set the evaluation interval above 0/);
  });
});
