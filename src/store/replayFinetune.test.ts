import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRecording } from '../replay/format';
import { applyFinetuneProgress, initialFinetuneRun } from './finetuneSlice';
import { streamedStep } from './invarianceSteps';
import { leaveReplay, startReplay } from './replayActions';
import { finetuneRecordingJson, watchFinetuneRecording } from './replayFinetune';
import { resetStudio, useStudio } from './store';

const base = {
  source: 'run' as const,
  config: { vocabSize: 256, blockSize: 64, nLayer: 2, nHead: 4, nEmbd: 64 },
  tokenizer: 'byte' as const,
  step: 3,
  busy: false,
};

// What the fine-tune actions do to the view during a run, a sample and a demo.
function liveFinetune(): void {
  useStudio.setState({
    finetuneBase: base,
    finetuneRun: { ...initialFinetuneRun, phase: 'starting', steps: 2 },
    finetuneCurves: { adam: [], rite: [] },
  });
  const progress = (state: 'running' | 'done', step: number) =>
    useStudio.setState((s) =>
      applyFinetuneProgress(s, {
        state,
        done: { adam: step, rite: step },
        steps: 2,
        points: [
          { kind: 'adam', step, loss: 5 - step },
          { kind: 'rite', step, loss: 4 - step },
        ],
        msPerStep: 10,
        rates: { adam: 1e-3, rite: 3e-2 },
      }),
    );
  progress('running', 1);
  progress('done', 2);
  useStudio.setState({
    finetuneSample: { busy: true, kind: 'rite', text: undefined, error: undefined },
  });
  useStudio.setState({
    finetuneSample: { busy: false, kind: 'rite', text: 'The end', error: undefined },
  });
  useStudio.setState({ invariance: { status: 'running', series: [], error: undefined } });
  for (const [kind, diff] of [
    ['adam', 0.5],
    ['rite', 1e-7],
  ] as const)
    useStudio.setState((s) => ({
      invariance: streamedStep(s.invariance, { kind, step: 1, diff, cond: 10 }),
    }));
  useStudio.setState((s) => ({ invariance: { ...s.invariance, status: 'done' } }));
}

describe('recording the fine-tune view and replaying it', () => {
  let stop: () => void = () => {};
  beforeEach(() => {
    resetStudio();
    stop = watchFinetuneRecording();
  });
  afterEach(() => {
    stop();
    leaveReplay();
    resetStudio();
  });

  // First: the recorder is the page's, kept from one test to the next.
  it('says there is nothing to record before a fine-tune or a demo', () => {
    expect(finetuneRecordingJson()).toBeUndefined();
    expect(useStudio.getState().finetuneRecordingError).toContain('no fine-tune to record yet');
  });

  it('replays what the view showed: both curves, the run state, the sample and the demo', () => {
    liveFinetune();
    const live = useStudio.getState();
    const curves = structuredClone(live.finetuneCurves);
    const text = finetuneRecordingJson();
    expect(text).toBeDefined();
    startReplay(parseRecording(text!, 'ft.json'), 'instant');
    const s = useStudio.getState();
    expect(s.replay).toMatchObject({ kind: 'finetune', status: 'done' });
    expect(s.finetuneCurves).toEqual(curves);
    expect(s.finetuneRun).toMatchObject({ phase: 'done', done: { adam: 2, rite: 2 } });
    expect(s.finetuneSample.text).toBe('The end');
    expect(s.invariance.series).toEqual(live.invariance.series);
    expect(s.finetuneBase).toEqual(base);
    leaveReplay();
    expect(useStudio.getState().finetuneCurves).toEqual({ adam: [], rite: [] });
    expect(useStudio.getState().invariance.series).toEqual([]);
  });

  it('does not record a replay into the live recording', () => {
    liveFinetune();
    const text = finetuneRecordingJson()!;
    startReplay(parseRecording(text, 'ft.json'), 'instant');
    leaveReplay();
    expect(finetuneRecordingJson()).toBe(text);
  });
});
