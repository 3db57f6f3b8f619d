// A worker crash ends whatever the fine-tune view was waiting for: its run and its demo will send
// nothing more. They are marked failed with what happened and what to do, so the view does not
// wait forever with Start disabled.
import type { FinetuneSlice } from './finetuneSlice';
import { useStudio } from './store';

/** The fine-tune view after the worker crashed with `crash` (unchanged if nothing was going). */
export function afterWorkerCrash(s: FinetuneSlice, crash: string): Partial<FinetuneSlice> {
  const why = `the studio's worker crashed (${crash}). Restart it with the button in the training panel, then start again: the adapters trained so far were in the worker and are gone.`;
  const out: Partial<FinetuneSlice> = {};
  const phase = s.finetuneRun.phase;
  if (phase === 'starting' || phase === 'running' || phase === 'paused')
    out.finetuneRun = { ...s.finetuneRun, phase: 'failed', error: why };
  if (s.invariance.status === 'running')
    out.invariance = { ...s.invariance, status: 'failed', error: `The demo stopped: ${why}` };
  return out;
}

/** Applies afterWorkerCrash when a crash is reported; returns the unsubscribe. */
export function watchFinetuneCrash(): () => void {
  return useStudio.subscribe((now, before) => {
    if (now.workerCrash !== undefined && before.workerCrash === undefined)
      useStudio.setState((s) => afterWorkerCrash(s, now.workerCrash ?? ''));
  });
}
