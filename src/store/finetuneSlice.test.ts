import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeVerbs, fakeRemote } from '../test/fakeWorker';
import type {
  FinetuneProgress,
  FinetuneRequest,
  FinetuneResume,
  InvarianceSeries,
  InvarianceStep,
  SaveNews,
  StartResult,
} from '../worker/protocol';
import { setWorkerFactory } from './actions';
import {
  checkFinetune,
  editFinetuneField,
  refreshFinetuneBase,
  resumeFinetune,
  resumeFinetuneWithFormRates,
  runInvarianceDemo,
  startFinetune,
  toggleFinetuneTarget,
} from './finetuneActions';
import {
  applyFinetuneProgress,
  defaultFinetuneForm,
  initialFinetune,
  invarianceFromForm,
  requestFromForm,
  selectFinetuneReady,
  selectFinetuneTrained,
} from './finetuneSlice';
import { resetStudio, useStudio } from './store';

const base = {
  source: 'run' as const,
  config: { vocabSize: 256, blockSize: 64, nLayer: 2, nHead: 4, nEmbd: 64 },
  tokenizer: 'byte' as const,
  step: 3,
  busy: false,
};

const progress = (over: Partial<FinetuneProgress>): FinetuneProgress => ({
  state: 'running',
  done: {},
  steps: 3,
  points: [],
  msPerStep: 10,
  rates: { adam: 1e-3, rite: 3e-2 },
  ...over,
});

/** An in-thread worker: checks as told, a run that reports what the test hands it. */
function fakeWorker(options: {
  check?: (r: FinetuneRequest) => string[] | Promise<string[]>;
  start?: (
    onProgress: (p: FinetuneProgress) => void,
    onSaved: (n: SaveNews) => void,
  ) => StartResult;
  demo?: (onStep: (s: InvarianceStep) => void) => InvarianceSeries[];
  resume?: (rates?: { lr: number; riteLr?: number }) => FinetuneResume;
}) {
  const fake: FakeVerbs = {
    finetuneBase: () => base,
    checkFinetune: (r: FinetuneRequest) => (options.check ?? (() => []))(r),
    setFinetuneAutosave: () => undefined,
    listRuns: async () => [],
    startFinetune: async (
      _r: FinetuneRequest,
      _t: string,
      onProgress: (p: FinetuneProgress) => void,
      onSaved: (n: SaveNews) => void = () => undefined,
    ) => (options.start ?? (() => ({ ok: true })))(onProgress, onSaved),
    resumeFinetuneRun: async (
      _id: string,
      _p: unknown,
      _s: unknown,
      rates?: { lr: number; riteLr?: number },
    ) => (options.resume ?? (() => ({ ok: false, message: 'no' })))(rates),
    runInvariance: async (_r: unknown, _t: string, onStep: (s: InvarianceStep) => void) => ({
      ok: true as const,
      series: (options.demo ?? (() => []))(onStep),
    }),
  };
  setWorkerFactory(() => fakeRemote(fake));
}

describe('the fine-tune form', () => {
  it('turns the typed values into a request, NaN where a number is missing', () => {
    const form = defaultFinetuneForm();
    form.values.rank = '';
    form.values.lr = '3e-4';
    form.optimizer = 'rite';
    const r = requestFromForm(form);
    expect(r.lora.rank).toBeNaN();
    expect(r.lr).toBe(3e-4);
    expect(r.optimizers).toEqual(['rite']);
    expect(r.lora.targets).toHaveLength(4);
    expect(requestFromForm(defaultFinetuneForm()).optimizers).toEqual(['adam', 'rite']);
  });

  it('the demo runs both optimizers for its own steps with its S', () => {
    const form = {
      ...defaultFinetuneForm(),
      optimizer: 'adam' as const,
      matrix: 'orthogonal' as const,
    };
    form.values.demoSteps = '7';
    const d = invarianceFromForm(form);
    expect(d.optimizers).toEqual(['adam', 'rite']);
    expect(d.steps).toBe(7);
    expect(d.matrix).toBe('orthogonal');
  });

  it('appends progress points per optimizer and moves the version only when points came', () => {
    const s = initialFinetune();
    const first = applyFinetuneProgress(
      s,
      progress({
        points: [
          { kind: 'adam', step: 1, loss: 5 },
          { kind: 'rite', step: 1, loss: 5 },
          { kind: 'adam', step: 2, loss: 4 },
        ],
        done: { adam: 2, rite: 1 },
      }),
    );
    expect(s.finetuneCurves.adam.map((p) => p.loss)).toEqual([5, 4]);
    expect(s.finetuneCurves.rite).toHaveLength(1);
    expect(first.finetuneVersion).toBe(1);
    expect(first.finetuneRun?.done).toEqual({ adam: 2, rite: 1 });
    const paused = applyFinetuneProgress(
      { ...s, ...first },
      progress({
        state: 'paused',
        nonFinite: { kind: 'rite', step: 2, pair: 'h.0.attn.c_attn', quantity: 'factor A' },
      }),
    );
    expect(paused.finetuneVersion).toBe(1);
    expect(paused.finetuneRun?.nonFinite?.pair).toBe('h.0.attn.c_attn');
    const failed = applyFinetuneProgress(s, progress({ state: 'failed' }));
    expect(failed.finetuneRun?.error).toBe('the run failed without a message');
  });
});

describe('fine-tune actions', () => {
  beforeEach(resetStudio);
  afterEach(resetStudio);

  it('shows the worker messages as typed, and Start waits for a clean check', async () => {
    fakeWorker({
      check: (r) => [
        ...(r.lora.rank > 32 ? [`LoRA rank (${r.lora.rank}) is above 32`] : []),
        ...(r.lora.targets.length === 0 ? ['No layer to adapt'] : []),
      ],
    });
    await refreshFinetuneBase();
    expect(useStudio.getState().finetuneBase).toEqual(base);
    expect(selectFinetuneReady(useStudio.getState())).toBe(true);
    await editFinetuneField('rank', '40');
    expect(useStudio.getState().finetuneErrors).toEqual(['LoRA rank (40) is above 32']);
    expect(selectFinetuneReady(useStudio.getState())).toBe(false);
    expect(await startFinetune()).toBe(false);
    await editFinetuneField('rank', '4');
    for (const t of defaultFinetuneForm().targets) await toggleFinetuneTarget(t, false);
    expect(useStudio.getState().finetuneErrors).toEqual(['No layer to adapt']);
    await toggleFinetuneTarget('mlp.c_fc', true);
    expect(useStudio.getState().finetuneForm.targets).toEqual(['mlp.c_fc']);
    expect(useStudio.getState().finetuneErrors).toEqual([]);
  });

  it('keeps only the latest check when answers come out of order', async () => {
    const answers: ((errors: string[]) => void)[] = [];
    fakeWorker({ check: () => new Promise((resolve) => answers.push(resolve)) });
    const older = checkFinetune();
    const newer = checkFinetune();
    answers[1]([]);
    await newer;
    answers[0](['stale']);
    await older;
    expect(useStudio.getState().finetuneErrors).toEqual([]);
    expect(useStudio.getState().finetuneChecking).toBe(false);
  });

  it('draws a run from its progress and ignores a previous run’s late events', async () => {
    const listeners: ((p: FinetuneProgress) => void)[] = [];
    fakeWorker({
      start: (onProgress) => {
        listeners.push(onProgress);
        return { ok: true };
      },
    });
    await refreshFinetuneBase();
    expect(await startFinetune()).toBe(true);
    expect(useStudio.getState().finetuneRun.phase).toBe('starting');
    listeners[0](progress({ points: [{ kind: 'adam', step: 1, loss: 5 }], done: { adam: 1 } }));
    expect(selectFinetuneTrained(useStudio.getState())).toBe(true);
    listeners[0](progress({ state: 'done', done: { adam: 3, rite: 3 } }));
    expect(await startFinetune()).toBe(true);
    listeners[0](progress({ points: [{ kind: 'rite', step: 2, loss: 1 }] }));
    const s = useStudio.getState();
    expect(s.finetuneCurves.rite).toEqual([]);
    expect(s.finetuneRun.phase).toBe('starting');
  });

  it('lists each save of the fine-tune in the runs list, and says why a save failed', async () => {
    let saved: ((n: SaveNews) => void) | undefined;
    fakeWorker({
      start: (_p, onSaved) => {
        saved = onSaved;
        return { ok: true };
      },
    });
    await refreshFinetuneBase();
    expect(await startFinetune()).toBe(true);
    const run = {
      id: 'ft-1',
      name: 'fine-tune',
      created: 1,
      updated: 2,
      step: 4,
      preset: null,
      size: 9,
    };
    saved?.({ ok: true, run: { ...run, kind: 'finetune' } });
    let s = useStudio.getState();
    expect(s.runs.map((r) => r.id)).toEqual(['ft-1']);
    expect(s.finetuneSave).toMatchObject({ runId: 'ft-1', lastSteps: 4, error: undefined });
    saved?.({ ok: false, step: 6, message: 'Not enough storage.' });
    s = useStudio.getState();
    expect(s.finetuneSave.error).toBe('Step 6 was not saved. Not enough storage.');
    expect(s.finetuneSave.runId).toBe('ft-1');
  });

  it('resumes a saved fine-tune with its settings in the form, and at the form’s lowered rates after a non-finite pause', async () => {
    const asked: ({ lr: number; riteLr?: number } | undefined)[] = [];
    const request = { ...requestFromForm(defaultFinetuneForm()), lr: 2e-3, riteLr: 5e-2 };
    fakeWorker({
      resume: (rates) => {
        asked.push(rates);
        return {
          ok: true,
          run: { id: 'ft-1', name: 'ft', created: 1, updated: 2, step: 6, preset: null, size: 9 },
          request: { ...request, ...rates },
          text: 'heldout',
        };
      },
    });
    expect(await resumeFinetune('ft-1')).toBe(true);
    let s = useStudio.getState();
    expect(s.finetuneForm.values.lr).toBe('0.002');
    expect(s.finetuneForm.separateRates).toBe(true);
    expect(s.finetuneSave.runId).toBe('ft-1');
    useStudio.setState((st) => ({
      finetuneForm: { ...st.finetuneForm, values: { ...st.finetuneForm.values, lr: '1e-4' } },
    }));
    expect(await resumeFinetuneWithFormRates()).toBe(true);
    expect(asked).toEqual([undefined, { lr: 1e-4, riteLr: 5e-2 }]);
    s = useStudio.getState();
    expect(s.finetuneForm.values.lr).toBe('0.0001');
  });

  it('shows why a run was refused', async () => {
    fakeWorker({ start: () => ({ ok: false, message: 'No base model to fine-tune' }) });
    await refreshFinetuneBase();
    expect(await startFinetune()).toBe(false);
    expect(useStudio.getState().finetuneRun).toMatchObject({
      phase: 'idle',
      error: 'No base model to fine-tune',
    });
  });

  it('the demo draws each step as it comes, then keeps the reply’s series whatever comes late', async () => {
    const adam = { kind: 'adam' as const, diffs: [0.9, 0.8], cond: 10 };
    const rite = { kind: 'rite' as const, diffs: [1e-7], cond: 10 };
    let late: ((s: InvarianceStep) => void) | undefined;
    const drawn: number[] = [];
    fakeWorker({
      demo: (onStep) => {
        adam.diffs.forEach((diff, i) => {
          onStep({ kind: 'adam', step: i + 1, diff, cond: 10 });
          drawn.push(useStudio.getState().invariance.series[0]?.diffs.length ?? 0);
        });
        late = onStep;
        return [adam, rite];
      },
    });
    await refreshFinetuneBase();
    await runInvarianceDemo();
    late?.({ kind: 'rite', step: 1, diff: 1e-7, cond: 10 });
    late?.({ kind: 'adam', step: 3, diff: 0.7, cond: 10 });
    expect(drawn).toEqual([1, 2]);
    expect(useStudio.getState().invariance).toEqual({
      status: 'done',
      series: [adam, rite],
      error: undefined,
    });
  });
});
