import { describe, expect, it } from 'vitest';
import type { RunProgress } from '../worker/protocol';
import {
  isFinetuneRecording,
  parseRecording,
  type Recording,
  RecordingError,
  recordingToJson,
} from './format';
import { RunRecorder } from './recorder';

const PLAN = {
  kind: 'lfr' as const,
  blockCount: 4,
  blockSize: 8,
  batchSize: 2,
  accumSteps: 1,
  slices: 64,
  phases: [
    {
      index: 0,
      name: 'learn' as const,
      epochs: 1,
      keptCount: 4,
      startStep: 0,
      endStep: 2,
      tokens: 32,
      decidedBy: null,
      dropPercent: 0,
    },
    {
      index: 1,
      name: 'focus' as const,
      epochs: 1,
      keptCount: 2,
      startStep: 2,
      endStep: 2,
      tokens: 0,
      decidedBy: 0,
      dropPercent: 50,
    },
  ],
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

/** A pretraining recording read back (a fine-tune's would fail the test). */
function parsePretraining(text: string): Recording {
  const r = parseRecording(text, 'run.json');
  if (isFinetuneRecording(r)) throw new Error('read back as a fine-tune recording');
  return r;
}

describe('recording files', () => {
  it('round-trip every event exactly, typed arrays and float32 losses included', () => {
    const rec = sampleRecording();
    const back = parsePretraining(recordingToJson(rec));
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
    const back = parsePretraining(recordingToJson(rec));
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
      j.version = 3;
    }, 'run.json: This recording has version 3, made by a newer studio; this one reads versions 1 and 2: update the studio.');
    refused((j) => {
      j.version = 2;
    }, 'run.json: recording.kind must be one of finetune, not undefined.');
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
    }, "recording.events[0].progress.lfr has block scores before any event carried the schedule's plan");
    refused((j) => {
      j.events = [];
    }, 'The recording has no progress event: there is nothing to replay.');
  });

  type Lfr = {
    plan: Record<string, unknown>;
    observations: Record<string, unknown>[];
  };
  const lfrOf = (j: Record<string, unknown>, i: number) =>
    (j.events as Events)[i].progress.lfr as Lfr;

  it('refuse an LFR plan the replay could not hold: 0, 3 (odd), 1e7 and 1e9 blocks or slices (issue 14)', () => {
    for (const n of [0, 1e9]) {
      refused(
        (j) => (lfrOf(j, 0).plan.blockCount = n),
        `recording.events[0].progress.lfr.plan.blockCount must be a whole number from 1 to 33554432, not ${n}.`,
      );
    }
    refused(
      (j) => (lfrOf(j, 0).plan.blockCount = 3),
      'recording.events[0].progress.lfr.plan.phases[0].keptCount must be a whole number from 0 to 3, not 4.',
    );
    refused(
      (j) => (lfrOf(j, 0).plan.blockCount = 1e7),
      'recording.events[0].progress.lfr.plan asks for 10000000 blocks x 64 history slices, over the 67108864 cells a replay keeps',
    );
    for (const n of [0, 1e7, 1e9]) {
      refused(
        (j) => (lfrOf(j, 0).plan.slices = n),
        `recording.events[0].progress.lfr.plan.slices must be a whole number from 2 to 4096, not ${n}.`,
      );
    }
    refused(
      (j) => (lfrOf(j, 0).plan.slices = 3),
      'recording.events[0].progress.lfr.plan.slices must be an even number (history slices merge in pairs), not 3.',
    );
  });

  it('refuse an observation outside the plan: phase 99, block id 1e6', () => {
    refused(
      (j) => (lfrOf(j, 2).observations[0].phase = 99),
      'recording.events[2].progress.lfr.observations[0].phase must be a whole number from 0 to 1, not 99.',
    );
    refused(
      (j) => ((lfrOf(j, 2).observations[0].blockIds as number[])[1] = 1e6),
      'recording.events[2].progress.lfr.observations[0].blockIds[1] must be a whole number from 0 to 3, not 1000000.',
    );
  });

  it('refuse form values the form could not size a model from: n_layer "1000000000"', () => {
    refused(
      (j) =>
        (((j.form as Record<string, unknown>).values as Record<string, string>).nLayer =
          '1000000000'),
      'recording.form.values.nLayer must be a number from 1 to 48, not "1000000000".',
    );
  });

  it('quote a bounded preview of a deeply nested value, and refuse "__proto__" keys', () => {
    const json = recordingToJson(sampleRecording());
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(() =>
      parseRecording(json.replace('"title": "tiny LFR"', `"title": ${deep}`), 'run.json'),
    ).toThrow('run.json: recording.title must be a string, not a list of 1 item.');
    expect(() =>
      parseRecording(json.replace('"values": {', '"values": {"__proto__": "x", '), 'run.json'),
    ).toThrow('run.json: recording.form.values has a key "__proto__", which no recording writes.');
  });

  // Big on purpose (no stack overflow); slow only on a loaded machine, so a generous timeout.
  it('accept an event with 200,000 points', { timeout: 60_000 }, () => {
    const rec = sampleRecording();
    const point = rec.events[0].progress!.points[0];
    rec.events[0].progress!.points = Array.from({ length: 200_000 }, (_, i) => ({
      ...point,
      step: i,
    }));
    const back = parsePretraining(recordingToJson(rec));
    expect(back.events[0].progress?.points).toHaveLength(200_000);
  });
});
