import { describe, expect, it } from 'vitest';
import { Schedule } from '../lfr/schedule';
import type { GPTConfig } from '../model/config';
import { PRESETS } from '../model/config';
import { countingBlocks, play } from '../test/lfrRun';
import { crc32 } from './crc32';
import {
  CheckpointError,
  type CheckpointLfr,
  type CheckpointParts,
  checkpointTensorLength,
  decodeCheckpoint,
  encodeCheckpoint,
} from './format';

const model: GPTConfig = { blockSize: 8, vocabSize: 256, nLayer: 1, nHead: 2, nEmbd: 8 };
const n = checkpointTensorLength(model);
const fill = (k: number) => Float32Array.from({ length: n }, (_, i) => (i % 97) * k - 1);

function parts(): CheckpointParts {
  return {
    settings: {
      preset: 'tiny',
      tokenizer: 'byte',
      model,
      train: { ...PRESETS[0].train, maxSteps: 30 },
      data: { choice: 'openwebtext', name: 'openwebtext', trainTokens: 5000, valTokens: 900 },
    },
    step: 3,
    schedule: { step: 3, lr: 0.0012 },
    sampler: { seed: 1337, epoch: 1, cursor: 5, blocks: 20 },
    rng: { sampling: 0xdeadbeef },
    lfr: null,
    history: {
      train: [
        { step: 1, loss: 5.5, lr: 0.0003, gradNorm: 1.5 },
        { step: 2, loss: Number.NaN, lr: 0.0006, gradNorm: Number.NaN },
      ],
      val: [{ step: 2, loss: 5.25, perplexity: Math.exp(5.25) }],
    },
    savedAt: '2025-01-02T03:04:05.000Z',
    params: fill(0.5),
    m: fill(0.25),
    v: fill(0.125),
  };
}

const PREFIX = 16;

/** The file's parts as written: header JSON and the bytes after it (tensors, no checksum). */
function split(bytes: Uint8Array): { header: Record<string, unknown>; tensors: Uint8Array } {
  const H = new DataView(bytes.buffer).getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX, PREFIX + H)));
  return { header, tensors: bytes.subarray(PREFIX + H, bytes.length - 4) };
}

/** Reassembles a file from a raw header and tensor bytes, with a correct checksum. */
function assemble(headerBytes: Uint8Array, tensors: Uint8Array, version = 1): Uint8Array {
  const H = Math.ceil(headerBytes.length / 8) * 8;
  const out = new Uint8Array(PREFIX + H + tensors.length + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('STUDCKPT'));
  view.setUint32(8, version, true);
  view.setUint32(12, H, true);
  out.fill(0x20, PREFIX, PREFIX + H);
  out.set(headerBytes, PREFIX);
  out.set(tensors, PREFIX + H);
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

function withHeader(mutate: (h: Record<string, unknown>) => void): Uint8Array {
  const { header, tensors } = split(encodeCheckpoint(parts()));
  mutate(header);
  return assemble(new TextEncoder().encode(JSON.stringify(header)), tensors);
}

/** The file with its header's JSON text edited (for what JSON.stringify cannot write), checksum recomputed. */
function withHeaderText(edit: (json: string) => string): Uint8Array {
  const { header, tensors } = split(encodeCheckpoint(parts()));
  return assemble(new TextEncoder().encode(edit(JSON.stringify(header))), tensors);
}

/** A tiny LFR run's checkpoint payload, played to its end: real scores in every phase. */
function lfrParts(): CheckpointParts {
  const p = parts();
  const lfr = { p1: 1, s1: 50, p2: 1, p3: 1, s2: 50, p4: 1, reps: 1 };
  const { batchSize, gradAccumSteps: accumSteps, seed } = p.settings.train;
  const schedule = Schedule.lfr(countingBlocks(p.sampler.blocks), lfr, {
    batchSize,
    accumSteps,
    seed,
  });
  play(schedule, (id, phase) => 1 + ((id * 7 + phase) % 5));
  return { ...p, lfr: { plan: { role: 'lfr', lfr, maxBlocks: 0 }, state: schedule.saveState() } };
}

function withLfr(mutate: (lfr: CheckpointLfr) => void): Uint8Array {
  const { header, tensors } = split(encodeCheckpoint(lfrParts()));
  mutate(header.lfr as CheckpointLfr);
  return assemble(new TextEncoder().encode(JSON.stringify(header)), tensors);
}

function refusal(bytes: Uint8Array, options = {}): string {
  try {
    decodeCheckpoint(bytes, options);
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    const message = (e as Error).message;
    expect(message).toMatch(/Nothing was loaded; your current run is unchanged\.$/);
    return message;
  }
  throw new Error('the checkpoint was accepted');
}

const bits = (f: Float32Array) => new Uint32Array(f.buffer, f.byteOffset, f.length);

describe('checkpoint format', () => {
  it('decodes what it encodes: settings, positions, history and bit-exact tensors', () => {
    const p = parts();
    const d = decodeCheckpoint(encodeCheckpoint(p));
    expect(d.settings).toEqual(p.settings);
    expect(d.step).toBe(3);
    expect(d.schedule).toEqual(p.schedule);
    expect(d.sampler).toEqual(p.sampler);
    expect(d.rng).toEqual(p.rng);
    expect(d.lfr).toEqual(p.lfr);
    expect(d.history).toEqual(p.history);
    expect(d.savedAt).toBe(p.savedAt);
    expect(bits(d.params)).toEqual(bits(p.params));
    expect(bits(d.m)).toEqual(bits(p.m));
    expect(bits(d.v)).toEqual(bits(p.v));
  });

  it('refuses a file with one corrupted byte in the tensors, by its checksum', () => {
    const bytes = encodeCheckpoint(parts());
    bytes[bytes.length - 100] ^= 0x04;
    expect(refusal(bytes)).toMatch(
      /^This checkpoint is corrupted: its checksum is 0x[0-9a-f]{8}, but it was saved as 0x[0-9a-f]{8}/,
    );
  });

  it('refuses a file with one corrupted byte in the header that still parses, by its checksum', () => {
    const bytes = encodeCheckpoint(parts());
    const at = new TextDecoder().decode(bytes.subarray(0, 600)).indexOf('"seed":1337');
    bytes[at + 8] = '9'.charCodeAt(0);
    expect(refusal(bytes)).toMatch(/^This checkpoint is corrupted/);
  });

  it('refuses a truncated file, saying how many bytes it expected and got', () => {
    const bytes = encodeCheckpoint(parts());
    const cut = bytes.slice(0, bytes.length - 1000);
    const total = bytes.length.toLocaleString('en-US');
    const got = cut.length.toLocaleString('en-US');
    expect(refusal(cut)).toBe(
      `This checkpoint is truncated: expected ${total} bytes, got ${got}. Nothing was loaded; your current run is unchanged.`,
    );
  });

  it('refuses a file truncated inside its header', () => {
    expect(refusal(encodeCheckpoint(parts()).slice(0, 100))).toMatch(
      /^This checkpoint is truncated: expected at least [\d,]+ bytes, got 100\./,
    );
  });

  it('refuses an oversized file: bytes after its end', () => {
    const bytes = encodeCheckpoint(parts());
    const longer = new Uint8Array(bytes.length + 12);
    longer.set(bytes);
    expect(refusal(longer)).toMatch(
      /^This checkpoint is oversized: .* \(12 extra bytes at the end\)/,
    );
  });

  it('refuses a file above the size limit before reading it', () => {
    const bytes = encodeCheckpoint(parts());
    expect(refusal(bytes, { maxBytes: bytes.length - 1 })).toMatch(
      /^This file is [\d,]+ bytes, more than the [\d,]+ bytes a studio checkpoint can be/,
    );
  });

  it('refuses a tensor whose shape does not match the model in the settings', () => {
    const bytes = withHeader((h) => {
      const s = h.settings as { model: GPTConfig };
      s.model = { ...s.model, nLayer: 2 };
    });
    expect(refusal(bytes)).toMatch(
      new RegExp(
        `^This checkpoint's params has shape \\[${n}\\] .* but its model \\(n_layer 2, .*\\) needs \\[\\d+\\]`,
      ),
    );
  });

  it('refuses a checkpoint of another model than the one expected', () => {
    const bytes = encodeCheckpoint(parts());
    expect(refusal(bytes, { model: { ...model, nEmbd: 16 } })).toMatch(
      /^This checkpoint is for another model: n_embd 8 \(not 16\)\./,
    );
  });

  it('refuses overlapping tensors', () => {
    const bytes = withHeader((h) => {
      const t = h.tensors as { offset: number }[];
      t[1].offset -= 4;
    });
    expect(refusal(bytes)).toMatch(
      /^This checkpoint's adam\.m starts at byte [\d,]+ of the tensor data, not at/,
    );
  });

  it('refuses a file that is not a checkpoint, and names a safetensors file as such', () => {
    expect(refusal(new TextEncoder().encode('hello, world, this is text'))).toMatch(
      /^This file is not a studio checkpoint \(it does not start with "STUDCKPT"\)\. Nothing/,
    );
    const st = new Uint8Array(40);
    st[0] = 20;
    st[8] = '{'.charCodeAt(0);
    expect(refusal(st)).toMatch(/It looks like a safetensors file: use Import for model weights\./);
    expect(refusal(new Uint8Array(0))).toMatch(/^This file is not a studio checkpoint/);
  });

  it('refuses a checkpoint from a future format version', () => {
    const { header, tensors } = split(encodeCheckpoint(parts()));
    const bytes = assemble(new TextEncoder().encode(JSON.stringify(header)), tensors, 2);
    expect(refusal(bytes)).toMatch(
      /^This checkpoint has format version 2, written by a newer studio; this one reads version 1/,
    );
  });

  it('refuses a header that is not JSON', () => {
    const { tensors } = split(encodeCheckpoint(parts()));
    const bytes = assemble(new TextEncoder().encode('{"settings": {"preset": "tiny",'), tensors);
    expect(refusal(bytes)).toMatch(
      /^This checkpoint's header is not valid JSON \(.+\): the file is damaged\./,
    );
  });

  it('refuses a header that is not UTF-8', () => {
    const { tensors } = split(encodeCheckpoint(parts()));
    const bytes = assemble(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]), tensors);
    expect(refusal(bytes)).toMatch(/^This checkpoint's header is not valid JSON/);
  });

  it('refuses a header missing a field or with a wrong type, naming it', () => {
    expect(refusal(withHeader((h) => delete h.sampler))).toMatch(
      /^This checkpoint's header is malformed: sampler is not an object\./,
    );
    expect(
      refusal(withHeader((h) => ((h.settings as Record<string, unknown>).tokenizer = 'latin1'))),
    ).toMatch(/settings\.tokenizer is "latin1", not "byte" or "gpt2"/);
    expect(refusal(withHeader((h) => (h.step = 2.5)))).toMatch(
      /header\.step \(2\.5\) is not a whole number/,
    );
  });

  it('refuses a data cursor outside the blocks it names', () => {
    const bytes = withHeader((h) => ((h.sampler as { cursor: number }).cursor = 20));
    expect(refusal(bytes)).toMatch(/sampler\.cursor \(20\) is not below sampler\.blocks \(20\)/);
  });

  it('refuses a huge model in the header within 2 s, whatever its checksum (issue 14)', () => {
    for (const nLayer of [1e9, 1e7, 2 ** 53, 1e308]) {
      const good = withHeader((h) => {
        ((h.settings as Record<string, unknown>).model as Record<string, number>).nLayer = nLayer;
      });
      const badCrc = good.slice();
      badCrc[badCrc.length - 1] ^= 0xff;
      for (const bytes of [good, badCrc]) {
        const started = performance.now();
        expect(refusal(bytes)).toBe(
          `This checkpoint's header is malformed: settings.model.nLayer (${nLayer}) is over 1,000, more than any run the studio makes. Nothing was loaded; your current run is unchanged.`,
        );
        expect(performance.now() - started).toBeLessThan(2000);
      }
    }
  });

  it('quotes a bounded preview of a deeply nested value', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const bytes = withHeaderText((json) =>
      json.replace('"tokenizer":"byte"', `"tokenizer":${deep}`),
    );
    expect(refusal(bytes)).toMatch(/settings\.tokenizer is a list of 1 item, not "byte" or "gpt2"/);
  });

  it('reads own fields only: "__proto__" and inherited names are refused', () => {
    const proto = withHeaderText((json) => json.replace('"rng":{', '"rng":{"__proto__":1,'));
    expect(refusal(proto)).toMatch(/rng has a key "__proto__", which no run writes/);
    const inherited = withHeaderText((json) => json.replace('"savedAt":', '"saved":'));
    expect(refusal(inherited)).toMatch(/header\.savedAt is not a string/);
  });

  it("decodes an LFR run's schedule plan and state as written", () => {
    const p = lfrParts();
    expect(decodeCheckpoint(encodeCheckpoint(p)).lfr).toEqual(p.lfr);
  });

  it("keeps a control arm's role and a sampled run's sampleBlocks, and refuses an unknown role", () => {
    const p = lfrParts();
    const plan = { ...p.lfr!.plan!, role: 'noReview' as const, sampleBlocks: true };
    const q = { ...p, lfr: { ...p.lfr!, plan } };
    expect(decodeCheckpoint(encodeCheckpoint(q)).lfr?.plan).toEqual(plan);
    expect(refusal(withLfr((l) => Object.assign(l.plan!, { sampleBlocks: 1 })))).toMatch(
      /lfr\.plan\.sampleBlocks is 1, not true or false/,
    );
    expect(refusal(withLfr((l) => Object.assign(l.plan!, { role: 'lfr2' })))).toMatch(
      /lfr\.plan\.role is "lfr2", not one of \["lfr", "baseline", "randomDrop", "noReview"\]/,
    );
  });

  it('refuses a malformed lfr payload, naming the field (issue 14)', () => {
    expect(refusal(withLfr((l) => Object.assign(l, { plan: true })))).toMatch(
      /malformed: lfr\.plan is not an object\./,
    );
    expect(refusal(withLfr((l) => Reflect.deleteProperty(l.state.scores, 'phases')))).toMatch(
      /malformed: lfr\.state\.scores\.phases is not a list\./,
    );
    const badChar = withLfr((l) => {
      const v: string = l.state.scores.visits;
      l.state.scores.visits = `${v.slice(0, 3)}!${v.slice(4)}`;
    });
    expect(refusal(badChar)).toMatch(
      /malformed: lfr\.state\.scores\.visits is not base64 of 80 bytes \(108 characters/,
    );
    expect(refusal(withLfr((l) => (l.state.scores.phases[0].phase = 99)))).toMatch(
      /lfr\.state\.scores\.phases\[0\]\.phase \(99\) is over 7/,
    );
    expect(refusal(withLfr((l) => (l.state.blockCount = 1e9)))).toMatch(
      /lfr\.state\.scores\.blockCount \(20\) is not lfr\.state\.blockCount \(1000000000\)/,
    );
    expect(refusal(withLfr((l) => (l.state.batchSize = 4)))).toMatch(
      /lfr\.state\.batchSize \(4\) is not settings\.train\.batchSize \(8\)/,
    );
    expect(refusal(withLfr((l) => (l.plan!.lfr.s1 = 99)))).toMatch(
      /lfr\.plan\.lfr cannot run: s1 = 99/,
    );
    expect(refusal(withLfr((l) => (l.state.handed += 1)))).toMatch(/lfr\.state\.handed/);
    expect(refusal(withLfr((l) => (l.state.scores.slices = 32)))).toMatch(
      /lfr\.state\.scores\.slices \(32\) is not the 64 history slices a run keeps/,
    );
  });
});
