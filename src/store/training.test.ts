import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeRemote } from '../test/fakeWorker';
import type { StudioApi } from '../worker/client';
import type {
  DataProgress,
  Progress,
  SampleRequest,
  StartResult,
  TokenizerName,
  TrainSettings,
} from '../worker/protocol';
import {
  pauseTraining,
  resumeTraining,
  sampleText,
  setWorkerFactory,
  startTraining,
} from './actions';
import { editSetting, selectPreset, selectTokenizer } from './settingsActions';
import { FIELDS, parseSampleForm } from './settingsForm';
import { resetStudio, useStudio } from './store';
import { niceTicks, selectCanSample, thin } from './trainingSlice';

const progress = (step: number, extra: Partial<Progress> = {}): Progress => ({
  state: 'running',
  step,
  maxSteps: 30,
  points: [{ step, loss: 5 - step / 10, lr: 1e-3, gradNorm: 1 }],
  val: [],
  tokensSeen: step * 512,
  tokensPerSec: 100,
  msPerStep: 5000,
  gflops: 0.1,
  etaMs: (30 - step) * 5000,
  ...extra,
});

// An in-thread stand-in for the comlink remote: the test drives its progress callback.
function fakeWorker(start: StartResult = { ok: true }) {
  const calls: { started?: TrainSettings; sampled?: [string, SampleRequest] } = {};
  let emit: (p: Progress) => void = () => {};
  let state: 'running' | 'paused' = 'running';
  const fake: Partial<StudioApi> = {
    loadData: async (tokenizer: TokenizerName, onProgress: (p: DataProgress) => void) => {
      onProgress({ file: 'train.txt', loaded: 10, total: 20 });
      return { name: 'owt', tokenizer, trainTokens: 1e6, valTokens: 1e5, trainDocuments: 10 };
    },
    startTraining: async (settings: TrainSettings, onProgress: (p: Progress) => void) => {
      calls.started = settings;
      emit = onProgress;
      return start;
    },
    pause: async () => {
      state = 'paused';
      return { state, step: 1, maxSteps: 30 };
    },
    resume: () => {
      state = 'running';
      return { state, step: 1, maxSteps: 30 };
    },
    sample: async (prompt: string, options: SampleRequest) => {
      calls.sampled = [prompt, options];
      return ' world';
    },
  };
  return { factory: () => fakeRemote(fake), calls, emit: (p: Progress) => emit(p) };
}

describe('training actions', () => {
  beforeEach(resetStudio);
  afterEach(resetStudio);

  it('the tiny preset is chosen and valid at the start, and every field has a hint', () => {
    const s = useStudio.getState();
    expect(s.presetId).toBe('tiny');
    expect(s.form.nEmbd).toBe('64');
    expect(FIELDS.every((f) => f.label.length > 0 && f.hint.length > 10)).toBe(true);
  });

  it('validates as the user types: n_embd 66 with 4 heads is refused, 64 accepted', () => {
    editSetting('nEmbd', '66');
    expect(useStudio.getState().settingsErrors.join('\n')).toMatch(
      /n_embd \(66\) must be divisible by n_head \(4\)/,
    );
    editSetting('nEmbd', '64');
    expect(useStudio.getState().settingsErrors).toEqual([]);
  });

  it('a blank field is an error, not 0; eval batches are checked too', () => {
    editSetting('maxSteps', '');
    editSetting('evalBatches', '0');
    const errors = useStudio.getState().settingsErrors.join('\n');
    expect(errors).toMatch(/max steps must be a whole number of at least 1 \(got NaN\)/);
    expect(errors).toMatch(/evaluation batches must be a whole number/);
  });

  it('choosing a preset fills the form with its settings', () => {
    editSetting('nEmbd', '66');
    selectPreset('small');
    const s = useStudio.getState();
    expect(s.form.nEmbd).toBe('128');
    expect(s.form.maxSteps).toBe('1000');
    expect(s.settingsErrors).toEqual([]);
  });

  it('does not start a run while the settings are invalid', async () => {
    const w = fakeWorker();
    setWorkerFactory(w.factory);
    editSetting('nHead', '5');
    await startTraining();
    expect(w.calls.started).toBeUndefined();
    expect(useStudio.getState().run.phase).toBe('idle');
  });

  it('the chosen tokenizer sets the vocabulary; a preset brings back its own', async () => {
    const w = fakeWorker();
    setWorkerFactory(w.factory);
    selectTokenizer('gpt2');
    expect(useStudio.getState().settingsErrors).toEqual([]);
    await startTraining();
    expect(w.calls.started?.tokenizer).toBe('gpt2');
    expect(w.calls.started?.model.vocabSize).toBe(50257);
    selectPreset('small');
    selectPreset('tiny');
    expect(useStudio.getState().tokenizer).toBe('byte');
  });

  it('a run loads data, starts with the typed settings, and appends progress in place', async () => {
    const w = fakeWorker();
    setWorkerFactory(w.factory);
    editSetting('maxSteps', '30');
    editSetting('evalInterval', '10');
    await startTraining();
    expect(w.calls.started?.train.maxSteps).toBe(30);
    expect(w.calls.started?.train.evalInterval).toBe(10);
    expect(w.calls.started?.tokenizer).toBe('byte');
    const s = useStudio.getState();
    expect(s.data.summary?.trainTokens).toBe(1e6);
    expect(s.data.loaded).toBe(10);
    expect(s.run.phase).toBe('running');

    const steps = s.history.steps;
    w.emit(progress(1));
    w.emit(progress(2, { val: [{ step: 2, loss: 4.9, perplexity: Math.exp(4.9) }] }));
    const after = useStudio.getState();
    // The same array, grown: no copy of the history per event.
    expect(after.history.steps).toBe(steps);
    expect(after.history.steps.map((p) => p.step)).toEqual([1, 2]);
    expect(after.history.val).toHaveLength(1);
    expect(after.historyVersion).toBeGreaterThan(s.historyVersion + 1);
    expect(after.run).toMatchObject({ step: 2, tokensSeen: 1024, tokensPerSec: 100 });
    expect(selectCanSample(after)).toBe(true);
  });

  it('a failed run keeps its message; settings the worker rejects are shown as a start error', async () => {
    const w = fakeWorker();
    setWorkerFactory(w.factory);
    await startTraining();
    w.emit(progress(3, { state: 'failed', error: 'device lost' }));
    expect(useStudio.getState().run).toMatchObject({ phase: 'failed', error: 'device lost' });

    const rejected = fakeWorker({ ok: false, message: 'block_size 64\nbatch size' });
    setWorkerFactory(rejected.factory);
    await startTraining();
    const s = useStudio.getState();
    expect(s.startError).toBe('block_size 64\nbatch size');
    expect(s.run.phase).toBe('idle');
    expect(s.run.error).toBeUndefined();
  });

  it('events from an earlier run do not reach a newer run', async () => {
    const first = fakeWorker();
    setWorkerFactory(first.factory);
    await startTraining();
    const second = fakeWorker();
    setWorkerFactory(second.factory);
    await startTraining();
    first.emit(progress(7, { state: 'stopped' }));
    const s = useStudio.getState();
    expect(s.history.steps).toEqual([]);
    expect(s.run.phase).toBe('running');
  });

  it('pause and resume follow the worker; sampling shows the continuation', async () => {
    const w = fakeWorker();
    setWorkerFactory(w.factory);
    await startTraining();
    w.emit(progress(1));
    await pauseTraining();
    expect(useStudio.getState().run.phase).toBe('paused');
    await resumeTraining();
    expect(useStudio.getState().run.phase).toBe('running');
    await sampleText('Hello', { maxNewTokens: 5, temperature: 0.8, topK: 40 });
    expect(w.calls.sampled?.[0]).toBe('Hello');
    expect(w.calls.sampled?.[1]).toMatchObject({ maxNewTokens: 5, temperature: 0.8, topK: 40 });
    expect(useStudio.getState().sample).toMatchObject({
      busy: false,
      prompt: 'Hello',
      text: ' world',
    });
  });
});

describe('chart helpers', () => {
  it('thin keeps at most max points, the first and the last among them', () => {
    const points = Array.from({ length: 5000 }, (_, i) => i);
    const t = thin(points, 400);
    expect(t).toHaveLength(400);
    expect(t[0]).toBe(0);
    expect(t[399]).toBe(4999);
    expect(thin([1, 2, 3], 400)).toEqual([1, 2, 3]);
  });

  it('niceTicks covers the range with round steps', () => {
    expect(niceTicks(0, 30, 6)).toEqual([0, 10, 20, 30]);
    expect(niceTicks(0, 200, 6)).toEqual([0, 50, 100, 150, 200]);
    const loss = niceTicks(2.31, 5.57, 5);
    expect(loss[0]).toBeLessThanOrEqual(2.31);
    expect(loss[loss.length - 1]).toBeGreaterThanOrEqual(5.57);
    expect(loss).toEqual([2, 3, 4, 5, 6]);
  });
});

describe('sample form', () => {
  it('refuses a negative temperature and a fractional top-k', () => {
    const r = parseSampleForm({ prompt: '', maxNewTokens: '10', temperature: '-1', topK: '2.5' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toHaveLength(2);
  });
});
