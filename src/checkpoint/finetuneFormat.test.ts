import { describe, expect, it } from 'vitest';
import type { GPTConfig } from '../model/config';
import { crc32 } from './crc32';
import {
  baseDifferences,
  decodeFinetuneCheckpoint,
  encodeFinetuneCheckpoint,
  type FinetuneBaseRecord,
  type FinetuneCheckpointParts,
  finetuneTensorLayout,
} from './finetuneFormat';
import { CheckpointError } from './format';

const model: GPTConfig = { blockSize: 8, vocabSize: 256, nLayer: 1, nHead: 2, nEmbd: 8 };
const lora = { rank: 2, alpha: 4, targets: ['attn.c_attn', 'mlp.c_fc'] as const };
const settings = {
  lora: { ...lora, targets: [...lora.targets] },
  optimizers: ['adam', 'rite'] as const,
  lr: 1e-3,
  riteLr: 5e-2,
  warmupSteps: 2,
  decay: 'cosine' as const,
  steps: 10,
  batchSize: 4,
  escapedMass: true,
  seed: 7,
  order: 'interleaved' as const,
};
const base: FinetuneBaseRecord = {
  source: 'run',
  runId: 'run-1',
  name: 'tiny run',
  step: 40,
  model,
  tokenizer: 'byte',
  paramsSha256: 'ab'.repeat(32),
};

function parts(): FinetuneCheckpointParts {
  const layout = finetuneTensorLayout(model, settings);
  const fill = (length: number, k: number) =>
    Float32Array.from({ length }, (_, i) => ((i % 31) - 15) * k);
  const of = (kind: 'adam' | 'rite') => {
    const mine = layout.filter((t) => t.kind === kind);
    return {
      adapters: fill(mine[0].length, kind === 'adam' ? 0.01 : 0.02),
      state: mine.slice(1).map((t, i) => fill(t.length, 0.001 * (i + 1))),
    };
  };
  const sampler = { seed: 7, epoch: 0, cursor: 12, blocks: 40 };
  return {
    base,
    data: { text: 'heldout', name: 'openwebtext' },
    settings: { ...settings, optimizers: [...settings.optimizers] },
    optimizers: [
      { kind: 'adam', step: 3, sampler, losses: [1, 2, 3].map((s) => ({ step: s, loss: 5 - s })) },
      { kind: 'rite', step: 3, sampler, losses: [{ step: 1, loss: Number.NaN }] },
    ],
    savedAt: '2026-01-02T03:04:05.000Z',
    tensors: { adam: of('adam'), rite: of('rite') },
  };
}

const PREFIX = 16;

function headerOf(bytes: Uint8Array): Record<string, unknown> {
  const H = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX, PREFIX + H)));
}

/** The file with its header replaced by `edit`'s, lengths and checksum made right again. */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const H = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  const header = headerOf(bytes);
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const tensors = bytes.subarray(PREFIX + H, bytes.length - 4);
  const out = new Uint8Array(PREFIX + padded + tensors.length + 4);
  out.set(bytes.subarray(0, 12));
  const view = new DataView(out.buffer);
  view.setUint32(12, padded, true);
  out.fill(0x20, PREFIX, PREFIX + padded);
  out.set(json, PREFIX);
  out.set(tensors, PREFIX + padded);
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

const refusal = (bytes: Uint8Array): string => {
  try {
    decodeFinetuneCheckpoint(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as Error).message).toMatch(/Nothing was loaded; your current run is unchanged\.$/);
    return (e as Error).message;
  }
  throw new Error('the file was accepted');
};

type Header = Record<string, Record<string, unknown> & unknown[]>;

describe('fine-tune checkpoint format', () => {
  it('round-trips every field and tensor bit for bit', () => {
    const p = parts();
    const back = decodeFinetuneCheckpoint(encodeFinetuneCheckpoint(p));
    const { tensors, ...run } = back;
    const { tensors: want, ...wantRun } = p;
    expect(run).toEqual(wantRun);
    for (const kind of ['adam', 'rite'] as const) {
      expect(tensors[kind]?.adapters).toEqual(want[kind]?.adapters);
      expect(tensors[kind]?.state).toEqual(want[kind]?.state);
    }
    expect(back.tensors.rite?.state).toHaveLength(1);
    expect(back.tensors.adam?.state).toHaveLength(2);
  });

  it('round-trips a one-optimizer run without riteLr', () => {
    const p = parts();
    const { riteLr: _, ...rest } = p.settings;
    const one = { ...p, settings: { ...rest, optimizers: ['rite' as const] } };
    one.optimizers = [p.optimizers[1]];
    one.tensors = { rite: p.tensors.rite };
    const back = decodeFinetuneCheckpoint(encodeFinetuneCheckpoint(one));
    expect(back.settings).toEqual(one.settings);
    expect(back.tensors.adam).toBeUndefined();
  });

  it('refuses to encode a tensor of the wrong length', () => {
    const p = parts();
    p.tensors.adam = { adapters: new Float32Array(3), state: p.tensors.adam!.state };
    expect(() => encodeFinetuneCheckpoint(p)).toThrow(/adam\.adapters has 3 floats/);
  });

  const good = encodeFinetuneCheckpoint(parts());

  const bad: [string, () => Uint8Array, RegExp][] = [
    ['an empty file', () => new Uint8Array(0), /not a fine-tune checkpoint/],
    [
      'a pretraining checkpoint',
      () => new TextEncoder().encode('STUDCKPT0000000000000000'),
      /not a fine-tune checkpoint \(it does not start with "STUDLORA"\)/,
    ],
    ['a cut prefix', () => good.slice(0, 12), /truncated: expected at least 20 bytes, got 12/],
    [
      'a newer version',
      () => {
        const b = good.slice();
        new DataView(b.buffer).setUint32(8, 2, true);
        return b;
      },
      /format version 2, written by a newer studio/,
    ],
    [
      'version 0',
      () => {
        const b = good.slice();
        new DataView(b.buffer).setUint32(8, 0, true);
        return b;
      },
      /version 0, which never existed/,
    ],
    [
      'a huge header length',
      () => {
        const b = good.slice();
        new DataView(b.buffer).setUint32(12, 2 ** 31, true);
        return b;
      },
      /header claims 2,147,483,648 bytes/,
    ],
    [
      'a header past the end',
      () => {
        const b = good.slice();
        new DataView(b.buffer).setUint32(12, b.length, true);
        return b;
      },
      /truncated: expected at least/,
    ],
    [
      'a header that is not JSON',
      () => {
        const b = good.slice();
        b[PREFIX] = 0x21;
        return b;
      },
      /header is not valid JSON/,
    ],
    [
      'a cut tensor section',
      () => good.slice(0, good.length - 9),
      /truncated: expected [\d,]+ bytes, got/,
    ],
    [
      'extra bytes',
      () => {
        const b = new Uint8Array(good.length + 4);
        b.set(good);
        return b;
      },
      /oversized: .* \(4 extra bytes at the end\)/,
    ],
    [
      'a changed tensor byte',
      () => {
        const b = good.slice();
        b[b.length - 10] ^= 1;
        return b;
      },
      /corrupted: its checksum is 0x[0-9a-f]{8}, but it was saved as/,
    ],
  ];
  for (const [what, make, message] of bad) {
    it(`refuses ${what}, saying so`, () => expect(refusal(make())).toMatch(message));
  }

  it('refuses a file over the size limit before reading it', () => {
    expect(() => decodeFinetuneCheckpoint(good, 100)).toThrow(/more than the 100 bytes/);
  });

  const badHeader: [string, (h: Header) => void, RegExp][] = [
    ['no base', (h) => delete h.base, /base is not an object/],
    [
      'a bad base source',
      (h) => (h.base.source = 'disk'),
      /base\.source is "disk", not one of run, imported/,
    ],
    [
      'a bad hash',
      (h) => (h.base.paramsSha256 = 'xyz'),
      /base\.paramsSha256 is not 64 lowercase hex/,
    ],
    ['a runId of a number', (h) => (h.base.runId = 3), /base\.runId is neither a run id nor null/],
    [
      'a huge model',
      (h) => (h.base.model = { ...model, nLayer: 1e9 }),
      /base\.model\.nLayer \(1000000000\) is over 1,000/,
    ],
    ['a bad tokenizer', (h) => (h.base.tokenizer = 'bpe'), /base\.tokenizer is "bpe"/],
    [
      'a rank of 0',
      (h) => ((h.settings.lora as unknown as Header['x']).rank = 0),
      /settings\.lora\.rank \(0\)/,
    ],
    [
      'an unknown target',
      (h) => ((h.settings.lora as unknown as Header['x']).targets = ['lm_head']),
      /settings\.lora\.targets\[0\] is "lm_head"/,
    ],
    [
      'a rank above the layer',
      (h) => ((h.settings.lora as unknown as Header['x']).rank = 32),
      /settings\.lora cannot run on base\.model/,
    ],
    [
      'no optimizer',
      (h) => (h.settings.optimizers = []),
      /settings\.optimizers .* is not one or two/,
    ],
    [
      'a twice-listed optimizer',
      (h) => (h.settings.optimizers = ['adam', 'adam']),
      /not one or two different/,
    ],
    [
      'an unknown optimizer',
      (h) => (h.settings.optimizers = ['sgd']),
      /settings\.optimizers\[0\] is "sgd"/,
    ],
    ['a NaN rate', (h) => (h.settings.lr = null), /settings\.lr is not a finite number/],
    [
      'warmup past the steps',
      (h) => (h.settings.warmupSteps = 11),
      /settings\.warmupSteps \(11\) is over 10/,
    ],
    ['a bad decay', (h) => (h.settings.decay = 'step'), /settings\.decay is "step"/],
    [
      'a huge batch',
      (h) => (h.settings.batchSize = 1000),
      /settings\.batchSize \(1000\) is over 256/,
    ],
    [
      'a string escapedMass',
      (h) => (h.settings.escapedMass = 'yes'),
      /settings\.escapedMass is not true or false/,
    ],
    ['a bad order', (h) => (h.settings.order = 'random'), /settings\.order is "random"/],
    ['one optimizer record', (h) => h.optimizers.pop(), /optimizers has 1 entries, not one per/],
    [
      'records in another order',
      (h) => h.optimizers.reverse(),
      /optimizers\[0\]\.kind \(rite\) is not settings\.optimizers\[0\] \("adam"\)/,
    ],
    [
      'a step past the run',
      (h) => ((h.optimizers[0] as Header['x']).step = 11),
      /optimizers\[0\]\.step \(11\) is over 10/,
    ],
    [
      'a sampler past its blocks',
      (h) => (((h.optimizers[0] as Header['x']).sampler as Header['x']).cursor = 40),
      /optimizers\[0\]\.sampler\.cursor \(40\) is not below optimizers\[0\]\.sampler\.blocks \(40\)/,
    ],
    [
      'a sampler of another seed',
      (h) => (((h.optimizers[0] as Header['x']).sampler as Header['x']).seed = 8),
      /optimizers\[0\]\.sampler\.seed \(8\) is not settings\.seed \(7\)/,
    ],
    [
      'more losses than steps',
      (h) => ((h.optimizers[0] as Header['x']).step = 2),
      /optimizers\[0\]\.losses has 3 points, more than its 2 steps/,
    ],
    ['a bad data text', (h) => (h.data.text = 'web'), /data\.text is "web"/],
    [
      'a missing tensor',
      (h) => h.tensors.pop(),
      /tensor table lists 4 tensors; its settings need 5/,
    ],
    [
      'tensors in another order',
      (h) => h.tensors.reverse(),
      /tensors\[0\] is "rite\.state\.0", not adam\.adapters/,
    ],
    [
      'a wrong tensor shape',
      (h) => ((h.tensors[1] as Header['x']).shape = [5]),
      /adam\.state\.0 has shape \[5\] .* the tensors do not match the settings/,
    ],
    [
      'a gap between tensors',
      (h) =>
        ((h.tensors[1] as Header['x']).offset =
          4 + ((h.tensors[1] as Header['x']).offset as unknown as number)),
      /adam\.state\.0 starts at byte [\d,]+ of the tensor data, not at/,
    ],
    [
      'an F16 tensor',
      (h) => ((h.tensors[0] as Header['x']).dtype = 'F16'),
      /has dtype "F16", not "F32"/,
    ],
  ];
  for (const [what, edit, message] of badHeader) {
    it(`refuses a header with ${what}, naming the field`, () => {
      const msg = refusal(withHeader(good, (h) => edit(h as Header)));
      expect(msg).toMatch(message);
    });
  }
});

describe('baseDifferences', () => {
  it('is empty for the same base', () => expect(baseDifferences(base, { ...base })).toEqual([]));

  it('names each shape that differs, then the parameters when only they differ', () => {
    const other = { ...base, model: { ...model, nEmbd: 16 }, tokenizer: 'gpt2' as const };
    expect(baseDifferences(base, other)).toEqual(['nEmbd 8 (now 16)', 'tokenizer byte (now gpt2)']);
    const trained = { ...base, paramsSha256: 'cd'.repeat(32) };
    expect(baseDifferences(base, trained)).toEqual([
      'its parameters (SHA-256 abababababab…, now cdcdcdcdcdcd…)',
    ]);
  });
});
