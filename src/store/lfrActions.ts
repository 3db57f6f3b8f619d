// LFR actions: the schedule fields, the clicked block, the exports, and the comparison of LFR
// with random sampling at equal tokens (two runs in turn, same model, seed and token budget).
import { errorMessage as message } from '../worker/errorMessage';
import type { LfrExportKind, LfrRole } from '../worker/protocol';
import { currentWorker, startTraining } from './actions';
import type { ComparisonRun, LfrFieldKey, ScheduleChoice } from './lfrSlice';
import { recordedBlockText, recordedExport, shownRecording } from './replayActions';
import { revalidate } from './settingsActions';
import { type StudioState, useStudio } from './store';
import type { RunPhase } from './trainingSlice';

export function chooseSchedule(schedule: ScheduleChoice): void {
  useStudio.setState((s) => ({ lfrForm: { ...s.lfrForm, schedule } }));
  revalidate();
}

/** One LFR field as typed; the messages follow on every keystroke. */
export function editLfrField(key: LfrFieldKey, value: string): void {
  useStudio.setState((s) => ({
    lfrForm: { ...s.lfrForm, values: { ...s.lfrForm.values, [key]: value } },
  }));
  revalidate();
}

/** Shows a block of the run: its score history at once, its text when the worker sends it. */
export async function showBlock(role: LfrRole, id: number): Promise<void> {
  useStudio.setState({ lfrBlock: { role, id, text: undefined, error: undefined } });
  const current = () => {
    const b = useStudio.getState().lfrBlock;
    return b?.role === role && b.id === id;
  };
  try {
    // A replay's blocks are in its recording; the worker knows only live runs.
    const recording = shownRecording();
    const text = recording
      ? recordedBlockText(recording, id)
      : await currentWorker().blockText(role, id);
    if (current()) useStudio.setState({ lfrBlock: { role, id, text, error: undefined } });
  } catch (e) {
    if (current()) {
      useStudio.setState({ lfrBlock: { role, id, text: undefined, error: message(e) } });
    }
  }
}

/** A scheduled run's file (schedule JSON, histories CSV or JSON); undefined if it failed. */
export async function exportLfr(role: LfrRole, kind: LfrExportKind): Promise<string | undefined> {
  try {
    const recording = shownRecording();
    const text = recording
      ? recordedExport(recording, role, kind)
      : await currentWorker().exportLfr(role, kind);
    useStudio.setState({ lfrExportError: undefined });
    return text;
  } catch (e) {
    useStudio.setState({ lfrExportError: message(e) });
    return undefined;
  }
}

const ENDED: ReadonlySet<RunPhase> = new Set(['done', 'stopped', 'failed', 'idle']);

/** Resolves with the phase the current run ends in. */
function runEnd(): Promise<RunPhase> {
  return new Promise((resolve) => {
    const check = (s: StudioState) => {
      if (!ENDED.has(s.run.phase)) return;
      unsubscribe();
      resolve(s.run.phase);
    };
    const unsubscribe = useStudio.subscribe(check);
    check(useStudio.getState());
  });
}

function setRun(role: LfrRole, run: ComparisonRun): void {
  useStudio.setState((s) => ({
    comparison: { ...s.comparison, runs: { ...s.comparison.runs, [role]: run } },
  }));
}

// The run's validation points against the tokens trained on by then.
function snapshot(role: LfrRole, tokensPerStep: number, started: number): ComparisonRun {
  const s = useStudio.getState();
  const phase = s.run.phase;
  return {
    role,
    val: s.history.val.map((p) => ({ ...p, tokens: p.step * tokensPerStep })),
    tokens: s.run.tokensSeen,
    steps: s.run.step,
    wallMs: performance.now() - started,
    state: phase === 'done' || phase === 'stopped' || phase === 'failed' ? phase : 'running',
  };
}

/**
 * Trains the form's model with LFR, then with random sampling for the same tokens (the same
 * seed, so the same initial weights), and keeps each run's validation curve, tokens and time.
 */
export async function runComparison(): Promise<void> {
  const s0 = useStudio.getState();
  if (Number(s0.form.evalInterval) <= 0) {
    useStudio.setState({
      comparison: {
        status: 'failed',
        runs: {},
        error: 'The comparison is by validation perplexity: set the evaluation interval above 0.',
      },
    });
    return;
  }
  useStudio.setState({ comparison: { status: 'running', runs: {}, error: undefined } });
  const tokensPerStep =
    Number(s0.form.batchSize) * Number(s0.form.gradAccumSteps) * Number(s0.form.blockSize);
  for (const role of ['lfr', 'baseline'] as const) {
    const started = performance.now();
    let tracking = false;
    // Follows the run's validation points as they arrive.
    const unsubscribe = useStudio.subscribe((s, prev) => {
      if (tracking && s.historyVersion !== prev.historyVersion) {
        setRun(role, snapshot(role, tokensPerStep, started));
      }
    });
    tracking = true;
    const ok = await startTraining(role);
    const end = ok ? await runEnd() : 'idle';
    unsubscribe();
    if (!ok) {
      const s = useStudio.getState();
      const why = s.startError ?? s.data.error ?? s.settingsErrors.join('\n');
      useStudio.setState((st) => ({
        comparison: { ...st.comparison, status: 'failed', error: why || 'the run did not start' },
      }));
      return;
    }
    setRun(role, snapshot(role, tokensPerStep, started));
    if (end !== 'done') {
      const status = end === 'stopped' ? 'stopped' : 'failed';
      useStudio.setState((st) => ({ comparison: { ...st.comparison, status } }));
      return;
    }
  }
  useStudio.setState((st) => ({ comparison: { ...st.comparison, status: 'done' } }));
}
