import { describe, expect, it } from 'vitest';
import { defaultFinetuneForm, type FinetuneRunView } from '../store/finetuneSlice';
import type { FinetunePoint } from '../worker/protocol';
import { type FinetuneRecording, finetuneRecordingToJson } from './finetuneFormat';
import { FinetuneRecorder } from './finetuneRecorder';
import { isFinetuneRecording, parseRecording } from './format';

const run = (over: Partial<FinetuneRunView>): FinetuneRunView => ({
  phase: 'running',
  done: { adam: 1, rite: 1 },
  steps: 3,
  msPerStep: 12,
  rates: { adam: 1e-3, rite: 3e-2 },
  nonFinite: undefined,
  error: undefined,
  ...over,
});

/** A fine-tune as the view saw it: two progress events, a sample, a two-step demo. */
function recorded(): FinetuneRecording {
  let clock = 0;
  const rec = new FinetuneRecorder(
    {
      title: 'LoRA fine-tune',
      adapter: { vendor: 'google', architecture: 'swiftshader', description: '' },
      base: {
        source: 'run',
        config: { vocabSize: 256, blockSize: 64, nLayer: 2, nHead: 4, nEmbd: 64 },
        tokenizer: 'byte',
        step: 40,
        busy: false,
      },
      form: defaultFinetuneForm(),
    },
    () => (clock += 100),
  );
  const curves: Record<'adam' | 'rite', FinetunePoint[]> = { adam: [], rite: [] };
  curves.adam.push({ kind: 'adam', step: 1, loss: Math.PI });
  curves.rite.push({ kind: 'rite', step: 1, loss: 3 });
  rec.progress(run({}), curves);
  curves.adam.push({ kind: 'adam', step: 2, loss: Number.NaN });
  rec.progress(run({ phase: 'done', done: { adam: 2, rite: 1 } }), curves);
  rec.sample({ kind: 'rite', text: 'The cat' });
  rec.demoStarted();
  rec.invariance([{ kind: 'adam', diffs: [0.5], cond: 10 }]);
  rec.invariance([
    { kind: 'adam', diffs: [0.5, 0.7], cond: 10 },
    { kind: 'rite', diffs: [1e-7], cond: 10 },
  ]);
  return rec.recording();
}

type Event = Record<'progress' | 'invariance' | 'sample', Record<string, unknown>> & { t: number };
type Mutable = Record<string, unknown> & { events: Event[] };

function refused(edit: (j: Mutable) => void, message: string | RegExp): void {
  const j = JSON.parse(finetuneRecordingToJson(recorded())) as Mutable;
  edit(j);
  expect(() => parseRecording(JSON.stringify(j), 'ft.json')).toThrow(message);
}

describe('fine-tune recordings', () => {
  it('record each progress event with only the points it brought, the sample and every demo step', () => {
    const r = recorded();
    expect(r.events.map((e) => e.t)).toEqual([100, 200, 300, 400, 500, 600]);
    const [first, second] = r.events.flatMap((e) => ('progress' in e ? [e.progress] : []));
    expect(first.points.map((p) => p.step)).toEqual([1, 1]);
    expect(second.points).toEqual([{ kind: 'adam', step: 2, loss: Number.NaN }]);
    expect(second.state).toBe('done');
    const steps = r.events.flatMap((e) => ('invariance' in e ? [e.invariance] : []));
    expect(steps).toEqual([
      { kind: 'adam', step: 1, diff: 0.5, cond: 10 },
      { kind: 'adam', step: 2, diff: 0.7, cond: 10 },
      { kind: 'rite', step: 1, diff: 1e-7, cond: 10 },
    ]);
  });

  it('keep one demo: a new demo replaces the recorded steps of the last one', () => {
    const rec = new FinetuneRecorder(recorded());
    rec.invariance([{ kind: 'adam', diffs: [0.5], cond: 10 }]);
    rec.demoStarted();
    rec.invariance([{ kind: 'adam', diffs: [0.9], cond: 2 }]);
    expect(rec.recording().events.map((e) => ('invariance' in e ? e.invariance.diff : 0))).toEqual([
      0.9,
    ]);
  });

  it('round-trip as version 2, kind "finetune", NaN losses included', () => {
    const r = recorded();
    const back = parseRecording(finetuneRecordingToJson(r), 'ft.json');
    expect(isFinetuneRecording(back)).toBe(true);
    expect(back).toEqual(r);
  });

  it('refuse a fine-tune recording without a kind, or of another kind', () => {
    refused((j) => {
      delete j.kind;
    }, 'ft.json: recording.kind must be one of finetune, not undefined.');
    refused((j) => {
      j.kind = 'pretrain';
    }, 'ft.json: recording.kind must be one of finetune, not "pretrain".');
  });

  it('refuse every bad part with the field named and the value quoted briefly', () => {
    const cases: [(j: Mutable) => void, string | RegExp][] = [
      [
        (j) => {
          j.events[0].progress.steps = 2_000_000;
        },
        /events\[0\]\.progress\.steps must be a whole number from 1 to 1000000, not 2000000\./,
      ],
      [
        (j) => {
          j.events[0].progress.state = 'flying';
        },
        /progress\.state must be one of running, paused, done, stopped, failed, not "flying"\./,
      ],
      [
        (j) => {
          (j.events[0].progress.points as { step: number }[])[0].step = 4;
        },
        /points\[0\]\.step must be a whole number from 1 to 3, not 4\./,
      ],
      [
        (j) => {
          (j.events[0].progress.points as { kind: string }[])[0].kind = 'sgd';
        },
        /points\[0\]\.kind must be one of adam, rite, not "sgd"\./,
      ],
      [
        (j) => {
          j.events[0].progress.done = { lion: 1 };
        },
        /progress\.done key must be one of adam, rite, not "lion"\./,
      ],
      [
        (j) => {
          j.events[0].progress.done = { adam: 9 };
        },
        /progress\.done\.adam must be a whole number from 0 to 3, not 9\./,
      ],
      [
        (j) => {
          j.events[0].progress.rates = { rite: -1 };
        },
        /progress\.rates\.rite must be a number above 0, not -1\./,
      ],
      [
        (j) => {
          j.events[3].invariance.step = 1001;
        },
        /invariance\.step must be a whole number from 1 to 1000, not 1001\./,
      ],
      [
        (j) => {
          j.events[3].invariance.cond = 0.5;
        },
        /invariance\.cond must be a condition number of at least 1, not 0.5\./,
      ],
      [
        (j) => {
          j.events[3].invariance.diff = -1;
        },
        /invariance\.diff must be a relative difference of at least 0, not -1\./,
      ],
      [
        (j) => {
          j.events[2].sample.kind = 'both';
        },
        /sample\.kind must be one of adam, rite, not "both"\./,
      ],
      [
        (j) => {
          j.events[1].t = 1;
        },
        /events\[1\] is at 1 ms, before the event ahead of it \(100 ms\)/,
      ],
      [
        (j) => {
          j.events = [j.events[2]];
        },
        'ft.json: The recording has no fine-tune step and no invariance step: there is nothing to replay.',
      ],
      [
        (j) => {
          (j.form as { values: Record<string, string> }).values.rank = '1e9';
        },
        /form\.values\.rank must be a number from 1 to 32, not "1e9"\./,
      ],
      [
        (j) => {
          (j.form as { values: Record<string, string> }).values.lr = 'x'.repeat(1e6);
        },
        /form\.values\.lr must be a number from 0 to 1, not "x{40}…"\./,
      ],
      [
        (j) => {
          (j.form as { targets: string[] }).targets = ['lm_head'];
        },
        /form\.targets\[0\] must be one of attn\.c_attn/,
      ],
      [
        (j) => {
          (j.form as { matrix: string }).matrix = 'identity';
        },
        /form\.matrix must be one of scalar, diagonal, orthogonal, general/,
      ],
      [
        (j) => {
          (j.base as { config: { nLayer: number } }).config.nLayer = 1e9;
        },
        /base\.config\.nLayer must be a whole number from 1 to 1000, not 1000000000\./,
      ],
      [
        (j) => {
          (j.base as { source: string }).source = 'disk';
        },
        /base\.source must be one of run, imported/,
      ],
      [
        (j) => {
          j.events[0].progress.points = Array.from({ length: 200_000 }, () => 1);
        },
        /points\[0\] must be an object, not 1\./,
      ],
    ];
    for (const [edit, message] of cases) refused(edit, message);
  });
});
