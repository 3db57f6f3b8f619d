import { describe, expect, it } from 'vitest';
import type { RunProgress } from '../worker/protocol';
import { parseRecording, type Recording, RecordingError, recordingToJson } from './format';
import { RunRecorder } from './recorder';

const PLAN = {
  kind: 'lfr' as const,
  blockCount: 4,
  blockSize: 8,
  batchSize: 2,
  accumSteps: 1,
  slices: 64,
  phases: [{ index: 0, name: 'learn' as const, epochs: 1, startStep: 0, endStep: 2 }],
  totalSteps: 2,
  tokensPlanned: 32,
};

function progress(step: number, withPlan: boolean): RunProgress {
  return {
    state: step === 2 ? 'done' : 'running',
    step,
    maxSteps: 2,
    points: [{ step: step - 1, loss: 5.5 - step * 0.1, lr: 1e-3, gradNorm: 1.25 }],
    val: step === 2 ? [{ step: 2, loss: 5.4, perplexity: Math.exp(5.4) }] : [],
    tokensSeen: step * 16,
    tokensPerSec: 100,
    msPerStep: 160,
    gflops: 0.01,
    etaMs: 0,
    lfr: {
      plan: withPlan ? (PLAN as never) : undefined,
      observations: [
        {
          step: step - 1,
          phase: 0,
          blockIds: Uint32Array.of(step * 2 - 2, step * 2 - 1),
          // Values a float32 holds but a short decimal does not.
          losses: Float32Array.of(Math.PI, 1 / 3),
        },
      ],
      cuts:
        step === 2
          ? [
              {
                phase: 1,
                decidedBy: 0,
                dropPercent: 50,
                scores: Float64Array.of(Math.E, Number.NaN, 0.1, 7),
                dropped: Uint32Array.of(2, 0),
                kept: Uint32Array.of(1, 3),
                cutValue: Math.E,
              },
            ]
          : [],
      tokensUsed: step * 16,
    },
  };
}

function sampleRecording(): Recording {
  let t = 0;
  const rec = new RunRecorder(
    {
      title: 'tiny LFR',
      adapter: { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader' },
      settings: { tokenizer: 'byte', model: {} as never, train: {} as never },
      form: { presetId: 'tiny', tokenizer: 'byte', values: { maxSteps: '2' }, lfr: { p1: '1' } },
      role: 'lfr',
    },
    () => t,
  );
  t = 120.4;
  rec.progress(progress(1, true));
  t = 300;
  rec.sample({ prompt: 'The', text: ' cat' });
  t = 450;
  rec.progress(progress(2, false));
  return rec.recording([{ id: 0, doc: 0, offset: 0, lastDoc: 0, text: 'hello' }], '{"version":1}');
}

describe('recording files', () => {
  it('round-trip every event exactly, typed arrays and float32 losses included', () => {
    const rec = sampleRecording();
    const back = parseRecording(recordingToJson(rec), 'run.json');
    expect(back.events.map((e) => e.t)).toEqual([120, 300, 450]);
    expect(back.events[1].sample).toEqual({ prompt: 'The', text: ' cat' });
    const obs = back.events[0].progress?.lfr?.observations[0];
    expect(obs?.blockIds).toBeInstanceOf(Uint32Array);
    expect(obs?.losses).toEqual(Float32Array.of(Math.PI, 1 / 3));
    expect(back.events[2].progress).toEqual(rec.events[2].progress);
    expect(back.events[0].progress?.lfr?.plan).toEqual(PLAN);
    const cut = back.events[2].progress?.lfr?.cuts[0];
    expect(cut?.scores).toEqual(Float64Array.of(Math.E, Number.NaN, 0.1, 7));
    expect(cut?.dropped).toEqual(Uint32Array.of(2, 0));
    expect(cut?.kept).toBeInstanceOf(Uint32Array);
    expect(back.blockTexts[0].text).toBe('hello');
    expect(back.schedule).toBe('{"version":1}');
    expect(back.form.lfr).toEqual({ p1: '1' });
  });

  it('keep a diverged loss (NaN) as null and read it back as NaN', () => {
    const rec = sampleRecording();
    rec.events[2].progress!.points[0].loss = Number.NaN;
    const back = parseRecording(recordingToJson(rec), 'run.json');
    expect(back.events[2].progress?.points[0].loss).toBeNaN();
  });

  const refused = (edit: (j: Record<string, unknown>) => void, message: string | RegExp) => {
    const json = JSON.parse(recordingToJson(sampleRecording())) as Record<string, unknown>;
    edit(json);
    expect(() => parseRecording(JSON.stringify(json), 'run.json')).toThrow(message);
  };
  type Events = { t: number; progress: Record<string, unknown> }[];

  it('refuse a file that is not JSON, saying which file', () => {
    expect(() => parseRecording('{"format": ', 'notes.json')).toThrow(
      /^notes.json is not valid JSON \(.*\): open a file made by "Download recording"\.$/,
    );
    expect(() => parseRecording('{', 'x.json')).toThrow(RecordingError);
  });

  it('refuse another kind of JSON file and a newer version', () => {
    refused((j) => {
      j.format = 'schedule';
    }, 'run.json: This file is not a studio recording (its "format" is "schedule", not "webgpu-training-studio/recording")');
    refused((j) => {
      j.version = 2;
    }, 'run.json: This recording has version 2, made by a newer studio; this one reads version 1: update the studio.');
  });

  it('name the field that is wrong', () => {
    refused((j) => {
      (j.events as Events)[2].progress.step = 'two';
    }, 'run.json: recording.events[2].progress.step must be a whole number of at least 0, not "two".');
    refused((j) => {
      (j.events as Events)[0].progress.state = 'flying';
    }, /recording\.events\[0\]\.progress\.state must be one of ready, running, paused, done, stopped, failed, not "flying"\./);
    refused((j) => {
      delete j.adapter;
    }, 'run.json: recording.adapter must be an object, not undefined.');
  });

  it('refuse events out of order, block ids without losses, and an LFR run without its plan', () => {
    refused((j) => {
      (j.events as Events)[2].t = 10;
    }, 'recording.events[2] is at 10 ms, before the event ahead of it (300 ms)');
    refused((j) => {
      const lfr = (j.events as Events)[2].progress.lfr as { observations: { losses: number[] }[] };
      lfr.observations[0].losses.pop();
    }, 'recording.events[2].progress.lfr.observations[0] has 2 block ids but 1 losses');
    refused((j) => {
      delete ((j.events as Events)[0].progress.lfr as Record<string, unknown>).plan;
    }, "The recording is of an lfr run but no event carries its schedule's plan");
    refused((j) => {
      j.events = [];
    }, 'The recording has no progress event: there is nothing to replay.');
  });
});
