import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PRESETS } from '../model/config';
import { FAKE_ADAPTER, fakeRemote } from '../test/fakeWorker';
import type { StudioApi } from '../worker/client';
import type { Recovery, ResumeResult, RunProgress, SavedRun, SaveNews } from '../worker/protocol';
import { setWorkerFactory } from './actions';
import {
  continueAfterRecovery,
  deleteRun,
  recoverFromDeviceLoss,
  restartAfterCrash,
  resumeRun,
  saveNow,
  watchFailures,
} from './runsActions';
import { applySaveNews, initialRuns, parseAutosave, smallerPreset } from './runsSlice';
import { resetStudio, useStudio } from './store';

const run = (id: string, step: number): SavedRun => ({
  id,
  name: `run ${id}`,
  created: 1,
  updated: 2,
  step,
  preset: 'tiny',
  size: 1000,
});

const tiny = PRESETS[0];
const adapter = FAKE_ADAPTER;
const progress = (step: number, state: RunProgress['state']): RunProgress => ({
  state,
  step,
  maxSteps: 10,
  points: Array.from({ length: step }, (_, i) => ({
    step: i + 1,
    loss: 5 - i,
    lr: 1,
    gradNorm: 1,
  })),
  val: [],
  tokensSeen: 0,
  tokensPerSec: 0,
  msPerStep: 0,
  gflops: 0,
  etaMs: 0,
});

// An in-thread stand-in for the comlink remote: the verbs these actions use.
function fakeWorker(opts: { resume?: ResumeResult; recovery?: Recovery; saveError?: string }) {
  const unset = (verb: string) => ({
    ok: false as const,
    message: `the test set no ${verb} result`,
  });
  const calls: string[] = [];
  const fake: Partial<StudioApi> = {
    resumeRun: async (id: string, onProgress: (p: RunProgress) => void) => {
      calls.push(`resume ${id}`);
      if (opts.resume?.ok) onProgress(progress(4, 'running'));
      return opts.resume ?? unset('resume');
    },
    recoverRun: async (onProgress: (p: RunProgress) => void) => {
      calls.push('recover');
      if (opts.recovery?.ok && opts.recovery.restoredStep !== null)
        onProgress(progress(opts.recovery.restoredStep, 'paused'));
      return opts.recovery ?? unset('recovery');
    },
    resume: () => {
      calls.push('continue');
      return { state: 'running', step: 4, maxSteps: 10 };
    },
    saveNow: async () => {
      if (opts.saveError) throw new Error(opts.saveError);
      return run('a', 7);
    },
    deleteRun: async (id: string) => void calls.push(`delete ${id}`),
    acquire: async () => {
      calls.push('acquire');
      return { ok: true as const, adapter };
    },
    listChecks: () => [],
  };
  setWorkerFactory(() => fakeRemote(fake));
  return calls;
}

describe('runs slice', () => {
  beforeEach(resetStudio);
  afterEach(resetStudio);

  it('reads the autosave field: a whole number of steps, 0 for off', () => {
    expect(parseAutosave('50')).toEqual({ ok: true, every: 50 });
    expect(parseAutosave('0')).toEqual({ ok: true, every: 0 });
    for (const bad of ['', '-1', '2.5', 'ten']) {
      expect(parseAutosave(bad)).toEqual({
        ok: false,
        error: `autosave must be a whole number of steps, 0 for off (got ${bad}).`,
      });
    }
  });

  it('a save puts the run at the top of the list as the current run; a refused one only says why', () => {
    let s = { ...initialRuns(), runs: [run('b', 3), run('a', 2)] };
    s = { ...s, ...applySaveNews(s, { ok: true, run: run('a', 6) }) };
    expect(s.runs.map((r) => [r.id, r.step])).toEqual([
      ['a', 6],
      ['b', 3],
    ]);
    expect(s.currentRunId).toBe('a');
    const full: SaveNews = {
      ok: false,
      step: 12,
      message: 'Not enough storage to save this checkpoint: …',
    };
    const after = { ...s, ...applySaveNews(s, full) };
    expect(after.saveError).toBe(
      'Step 12 was not saved. Not enough storage to save this checkpoint: …',
    );
    expect(after.runs).toBe(s.runs);
    expect(after.currentRunId).toBe('a');
  });

  it('offers the next smaller preset, none below the smallest', () => {
    expect(smallerPreset('medium')).toBe('small');
    expect(smallerPreset('small')).toBe('tiny');
    expect(smallerPreset('tiny')).toBeUndefined();
  });
});

describe('runs actions', () => {
  beforeEach(resetStudio);
  afterEach(resetStudio);

  it('Save now: a full disk is shown and nothing else changes', async () => {
    fakeWorker({ saveError: 'Not enough storage to save this checkpoint.' });
    useStudio.setState({ runs: [run('b', 3)] });
    await saveNow();
    expect(useStudio.getState().saveError).toBe('Not enough storage to save this checkpoint.');
    expect(useStudio.getState().runs).toEqual([run('b', 3)]);
  });

  it("resuming replaces the history with the checkpoint's and shows its settings in the form", async () => {
    const settings = {
      tokenizer: 'byte' as const,
      model: { ...tiny.model, vocabSize: 256, nLayer: 3 },
      train: { ...tiny.train, maxSteps: 10, seed: 9 },
      preset: 'tiny',
    };
    fakeWorker({ resume: { ok: true, run: run('a', 4), settings, step: 4, maxSteps: 10 } });
    useStudio.getState().history.steps.push({ step: 1, loss: 9, lr: 1, gradNorm: 1 });
    expect(await resumeRun('a')).toBe(true);
    const s = useStudio.getState();
    expect(s.history.steps.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(s.form.nLayer).toBe('3');
    expect(s.form.seed).toBe('9');
    expect(s.currentRunId).toBe('a');
    expect(s.run.maxSteps).toBe(10);
  });

  it("resuming blanks the previous run's LFR views and errors, as a new run does", async () => {
    const settings = { tokenizer: 'byte' as const, model: tiny.model, train: tiny.train };
    fakeWorker({ resume: { ok: true, run: run('a', 4), settings, step: 4, maxSteps: 10 } });
    useStudio.setState({
      lfrRole: 'lfr',
      lfrVersion: 7,
      lfrBlock: { role: 'lfr', id: 3, text: undefined, error: undefined },
      lfrExportError: 'disk full',
      startError: 'refused',
      sample: { busy: false, prompt: 'a', text: 'bc', error: undefined },
    });
    expect(await resumeRun('a')).toBe(true);
    const s = useStudio.getState();
    expect(s.lfrRole).toBeUndefined();
    expect(s.lfrBlock).toBeUndefined();
    expect(s.lfrExportError).toBeUndefined();
    expect(s.lfrVersion).toBeGreaterThan(7);
    expect(s.startError).toBeUndefined();
    expect(s.sample.text).toBeUndefined();
  });

  it('a refused resume says why and keeps the saved runs', async () => {
    const message =
      'This checkpoint is corrupted: … Nothing was loaded; your current run is unchanged.';
    fakeWorker({ resume: { ok: false, message } });
    useStudio.setState({ runs: [run('a', 4)] });
    expect(await resumeRun('a')).toBe(false);
    expect(useStudio.getState().runsError).toBe(message);
    expect(useStudio.getState().runs).toEqual([run('a', 4)]);
  });

  it('deleting the current run forgets it as current', async () => {
    const calls = fakeWorker({});
    useStudio.setState({ runs: [run('a', 4), run('b', 1)], currentRunId: 'a' });
    await deleteRun('a');
    expect(calls).toEqual(['delete a']);
    expect(useStudio.getState().runs.map((r) => r.id)).toEqual(['b']);
    expect(useStudio.getState().currentRunId).toBeUndefined();
  });

  it('a device loss during a run reloads the last checkpoint, says how many steps were lost, and Continue resumes', async () => {
    const gpu = { ok: true as const, adapter: FAKE_ADAPTER };
    const calls = fakeWorker({
      recovery: { ok: true, gpu, lostAtStep: 9, restoredStep: 5, maxSteps: 10 },
    });
    const stop = watchFailures();
    useStudio.setState({ run: { ...useStudio.getState().run, phase: 'running', step: 9 } });
    useStudio.setState({ deviceLost: { reason: 'destroyed', message: '' } });
    await new Promise((r) => setTimeout(r, 0));
    stop();
    expect(calls).toEqual(['recover']);
    const s = useStudio.getState();
    expect(s.recovery).toEqual({ phase: 'ready', lostAtStep: 9, restoredStep: 5 });
    expect(s.deviceLost).toBeUndefined();
    expect(s.history.steps).toHaveLength(5);
    expect(s.run.phase).toBe('paused');
    await continueAfterRecovery();
    expect(calls).toEqual(['recover', 'continue']);
    expect(useStudio.getState().recovery).toBeUndefined();
  });

  it('a device loss with no run does not try to recover', async () => {
    const calls = fakeWorker({});
    const stop = watchFailures();
    useStudio.setState({ deviceLost: { reason: 'destroyed', message: '' } });
    stop();
    expect(calls).toEqual([]);
  });

  it('a failed recovery says so and marks the run failed', async () => {
    fakeWorker({ recovery: { ok: false, message: 'No adapter.' } });
    useStudio.setState({ run: { ...useStudio.getState().run, phase: 'running', step: 3 } });
    await recoverFromDeviceLoss();
    expect(useStudio.getState().recovery).toEqual({ phase: 'failed', message: 'No adapter.' });
    expect(useStudio.getState().run.phase).toBe('failed');
  });

  it('after a worker crash, a fresh worker gets the GPU and resumes the last saved run', async () => {
    const settings = { tokenizer: 'byte' as const, model: tiny.model, train: tiny.train };
    const calls = fakeWorker({
      resume: { ok: true, run: run('a', 4), settings, step: 4, maxSteps: 10 },
    });
    useStudio.setState({ workerCrash: 'boom', currentRunId: 'a' });
    await restartAfterCrash();
    expect(calls).toEqual(['acquire', 'resume a']);
    expect(useStudio.getState().workerCrash).toBeUndefined();
    expect(useStudio.getState().history.steps).toHaveLength(4);
  });
});
