import { describe, expect, it } from 'vitest';
import { afterWorkerCrash } from './finetuneCrash';
import { initialFinetune, initialFinetuneRun } from './finetuneSlice';

describe('a worker crash in the fine-tune view', () => {
  it('fails a running fine-tune and a running demo with what happened and what to do', () => {
    const s = {
      ...initialFinetune(),
      finetuneRun: { ...initialFinetuneRun, phase: 'running' as const, steps: 30 },
      invariance: { status: 'running' as const, series: [], error: undefined },
    };
    const after = afterWorkerCrash(s, 'boom');
    expect(after.finetuneRun?.phase).toBe('failed');
    expect(after.finetuneRun?.error).toContain("the studio's worker crashed (boom)");
    expect(after.finetuneRun?.error).toContain('Restart it with the button in the training panel');
    expect(after.invariance?.status).toBe('failed');
    expect(after.invariance?.error).toContain('The demo stopped');
  });

  it('leaves an ended fine-tune and an ended demo as they were', () => {
    const s = {
      ...initialFinetune(),
      finetuneRun: { ...initialFinetuneRun, phase: 'done' as const },
      invariance: { status: 'done' as const, series: [], error: undefined },
    };
    expect(afterWorkerCrash(s, 'boom')).toEqual({});
  });
});
