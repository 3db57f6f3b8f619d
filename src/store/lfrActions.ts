// LFR actions: the schedule fields, the clicked block, the exports, and the comparison of LFR
// with random sampling at equal tokens (two runs in turn, same model, seed and token budget).

import type { LfrArm } from '../lfr/arms';
import { errorMessage as message } from '../worker/errorMessage';
import type { LfrExportKind, LfrRole } from '../worker/protocol';
import { currentWorker, startTraining } from './actions';
import {
  type Comparison,
  type ComparisonRun,
  comparisonArms,
  comparisonSeeds,
  type LfrFieldKey,
  type ScheduleChoice,
} from './lfrSlice';
import { recordedBlockText, recordedExport, shownRecording } from './replayActions';
import { editSetting, revalidate } from './settingsActions';
import { type StudioState, useStudio } from './store';
import type { RunPhase } from './trainingSlice';

export function chooseSchedule(schedule: ScheduleChoice): void {
  useStudio.setState((s) => ({ lfrForm: { ...s.lfrForm, schedule } }));
  revalidate();
}

/** Whether the blocks field takes a random sample (from the run's seed) instead of the first N. */
export function chooseBlockSample(sample: boolean): void {
  useStudio.setState((s) => ({ lfrForm: { ...s.lfrForm, sample } }));
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

// Replaces the run of the same role and seed, or adds it.
function setRun(run: ComparisonRun): void {
  useStudio.setState((s) => {
    const runs = s.comparison.runs.filter((r) => r.role !== run.role || r.seed !== run.seed);
    return { comparison: { ...s.comparison, runs: [...runs, run] } };
  });
}

const setComparison = (c: Partial<Comparison>) =>
  useStudio.setState((s) => ({ comparison: { ...s.comparison, ...c } }));

/** Adds or removes a control arm of the comparison (LFR always runs). */
export function chooseComparisonArm(arm: LfrArm, on: boolean): void {
  const arms = useStudio.getState().comparison.arms.filter((a) => a !== arm);
  setComparison({ arms: comparisonArms(on ? [...arms, arm] : arms) });
}

/** The comparison's seeds field as typed. */
export function editComparisonSeeds(text: string): void {
  setComparison({ seeds: text });
}

// The run's validation points against the tokens trained on by then.
function snapshot(
  role: LfrRole,
  seed: number,
  tokensPerStep: number,
  started: number,
): ComparisonRun {
  const s = useStudio.getState();
  const phase = s.run.phase;
  return {
    role,
    seed,
    val: s.history.val.map((p) => ({ ...p, tokens: p.step * tokensPerStep })),
    tokens: s.run.tokensSeen,
    steps: s.run.step,
    wallMs: performance.now() - started,
    state: phase === 'done' || phase === 'stopped' || phase === 'failed' ? phase : 'running',
  };
}

/**
 * Trains the form's model with LFR, then each chosen control arm for the same tokens (random
 * sampling, random drop, LFR without Review; the same seed, so the same initial weights), for
 * each of the seeds asked (the form's seed, seed + 1, ...), and keeps each run's validation
 * curve, tokens and time. The form's seed is put back at the end.
 */
export async function runComparison(): Promise<void> {
  const s0 = useStudio.getState();
  const seeds = comparisonSeeds(s0.comparison.seeds);
  const why = !seeds.ok
    ? seeds.message
    : Number(s0.form.evalInterval) <= 0
      ? 'The comparison is by validation perplexity: set the evaluation interval above 0.'
      : undefined;
  if (!seeds.ok || why) {
    setComparison({ status: 'failed', runs: [], error: why });
    return;
  }
  setComparison({ status: 'running', runs: [], error: undefined });
  const tokensPerStep =
    Number(s0.form.batchSize) * Number(s0.form.gradAccumSteps) * Number(s0.form.blockSize);
  const base = Number(s0.form.seed);
  try {
    for (let i = 0; i < seeds.seeds; i++) {
      editSetting('seed', String(base + i));
      for (const role of comparisonArms(s0.comparison.arms)) {
        const status = await comparisonRun(role, base + i, tokensPerStep);
        if (status !== 'done') {
          setComparison({ status });
          return;
        }
      }
    }
    setComparison({ status: 'done' });
  } finally {
    editSetting('seed', s0.form.seed);
  }
}

// One run of the comparison: how it ended.
async function comparisonRun(
  role: LfrRole,
  seed: number,
  tokensPerStep: number,
): Promise<Comparison['status']> {
  const started = performance.now();
  // Follows the run's validation points as they arrive.
  const unsubscribe = useStudio.subscribe((s, prev) => {
    if (s.historyVersion !== prev.historyVersion) {
      setRun(snapshot(role, seed, tokensPerStep, started));
    }
  });
  const ok = await startTraining(role);
  const end = ok ? await runEnd() : 'idle';
  unsubscribe();
  if (!ok) {
    const s = useStudio.getState();
    const why = s.startError ?? s.data.error ?? s.settingsErrors.join('\n');
    setComparison({ error: why || 'the run did not start' });
    return 'failed';
  }
  setRun(snapshot(role, seed, tokensPerStep, started));
  return end === 'done' ? 'done' : end === 'stopped' ? 'stopped' : 'failed';
}
