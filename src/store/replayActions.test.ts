import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFinetuneRecording, parseRecording, type Recording } from '../replay/format';
import { fakeRemote } from '../test/fakeWorker';
import type { StudioApi } from '../worker/client';
import type { RunProgress } from '../worker/protocol';
import { sampleText, setWorkerFactory, startTraining } from './actions';
import { exportLfr, showBlock } from './lfrActions';
import { lfrMirror } from './lfrSlice';
import { leaveReplay, recordingJson, startReplay } from './replayActions';
import { resetStudio, useStudio } from './store';

// The shipped LFR recording: a real run, so the replay meets real plans, scores and cuts.
function pretraining(text: string, file: string): Recording {
  const r = parseRecording(text, file);
  if (isFinetuneRecording(r)) throw new Error(`${file} is a fine-tune recording`);
  return r;
}

const shipped = (file: string) =>
  pretraining(
    readFileSync(new URL(`../../public/recordings/${file}`, import.meta.url), 'utf8'),
    file,
  );

const RECORDING = shipped('tiny-lfr.json');
const progress = RECORDING.events.flatMap((e) => (e.progress ? [e.progress] : []));
const recordedSteps = progress.flatMap((p) => p.points);

describe('replaying a recording', () => {
  beforeEach(resetStudio);
  afterEach(() => {
    leaveReplay();
    resetStudio();
  });

  it('feeds every recorded event into the run, the charts and the LFR mirror, at once at instant speed', () => {
    startReplay(RECORDING, 'instant');
    const s = useStudio.getState();
    expect(s.replay?.status).toBe('done');
    expect(s.replay?.played).toBe(RECORDING.events.length);
    expect(s.history.steps).toEqual(recordedSteps);
    expect(s.run.phase).toBe('done');
    expect(s.run.step).toBe(progress.at(-1)?.step);
    const mirror = lfrMirror('lfr');
    expect(mirror?.steps).toBe(recordedSteps.length);
    expect(mirror?.decisions()).toHaveLength(2);
    // The form shows the recorded settings.
    expect(s.form.batchSize).toBe(RECORDING.form.values.batchSize);
    expect(s.lfrForm.schedule).toBe('lfr');
    expect(s.lfrForm.values.blocks).toBe(RECORDING.form.lfr?.blocks);
    expect(s.sample.text).toBe(RECORDING.events.filter((e) => e.sample).at(-1)?.sample?.text);
  });

  it('shows a block its recording holds, and says so for one it does not', async () => {
    startReplay({ ...RECORDING, blockTexts: RECORDING.blockTexts.slice(0, 1) }, 'instant');
    await showBlock('lfr', RECORDING.blockTexts[0].id);
    expect(useStudio.getState().lfrBlock?.text).toEqual(RECORDING.blockTexts[0]);
    await showBlock('lfr', 5);
    expect(useStudio.getState().lfrBlock?.error).toBe(
      'This recording does not include the text of block 5: it keeps the texts of 1 blocks.',
    );
  });

  it('hands out the recorded schedule and the replayed histories', async () => {
    startReplay(RECORDING, 'instant');
    expect(await exportLfr('lfr', 'schedule')).toBe(RECORDING.schedule);
    const csv = await exportLfr('lfr', 'historiesCsv');
    expect(csv?.split('\n')[0]).toBe('block,slice,start_step,end_step,score');
  });

  it('refuses to train or sample while a recording is shown, and forgets it on leaving', async () => {
    startReplay(RECORDING, 'instant');
    expect(await startTraining()).toBe(false);
    expect(useStudio.getState().startError).toMatch(/A recorded run is shown/);
    await sampleText('The', { maxNewTokens: 5, temperature: 1, topK: 0 });
    expect(useStudio.getState().sample.error).toMatch(/a recording has no model in this browser/);
    leaveReplay();
    const s = useStudio.getState();
    expect(s.replay).toBeUndefined();
    expect(s.history.steps).toEqual([]);
    expect(s.lfrRole).toBeUndefined();
    expect(s.run.phase).toBe('idle');
  });
});

const PLAIN = shipped('tiny.json');

// A worker whose run sends the plain recording's events, in order, before Train resolves.
function replayingWorker() {
  const fake: Partial<StudioApi> = {
    loadData: async () => ({
      name: 'openwebtext',
      tokenizer: 'byte',
      trainTokens: 1e6,
      valTokens: 1e5,
      trainDocuments: 100,
    }),
    startTraining: async (_s: unknown, onProgress: (p: RunProgress) => void) => {
      for (const e of PLAIN.events) if (e.progress) onProgress(e.progress);
      return { ok: true };
    },
    sample: async () => ' sampled',
  };
  return () => fakeRemote(fake);
}

describe('recording a run', () => {
  beforeEach(resetStudio);
  afterEach(() => {
    leaveReplay();
    resetStudio();
  });

  it('says there is nothing to record before a run', async () => {
    expect(await recordingJson()).toBeUndefined();
    expect(useStudio.getState().recordingError).toBe(
      'There is no run to record yet: train for at least one step.',
    );
  });

  it('writes every event the page received, its samples and settings, and no replay’s', async () => {
    setWorkerFactory(replayingWorker());
    expect(await startTraining()).toBe(true);
    await sampleText('The', { maxNewTokens: 5, temperature: 1, topK: 0 });
    // A replay shown afterwards goes through the same progress path: it is not this run's.
    startReplay(RECORDING, 'instant');
    leaveReplay();
    const back = pretraining((await recordingJson())!, 'mine.json');
    const sent = PLAIN.events.flatMap((e) => (e.progress ? [e.progress] : []));
    expect(back.events.flatMap((e) => (e.progress ? [e.progress] : []))).toEqual(sent);
    expect(back.events.at(-1)?.sample).toEqual({ prompt: 'The', text: ' sampled' });
    expect(back.role).toBeNull();
    expect(back.blockTexts).toEqual([]);
    expect(back.form.values.maxSteps).toBe(useStudio.getState().form.maxSteps);
    expect(back.settings.model.nLayer).toBe(2);
  });
});
