// scripts/lfr_replay.py (NumPy only) against the studio's own batches: a schedule is played as
// the trainer plays it, its file and token .bin are written, and the replayer must rebuild every
// step's blocks, inputs and targets from the file's rule alone.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Blocks } from '../src/data/blocks';
import { byteTokenizer } from '../src/data/tokenizer';
import { exportSchedule, replayData, type ScheduleExport } from '../src/lfr/export';
import { sampledBlocks } from '../src/lfr/firstBlocks';
import { Schedule } from '../src/lfr/schedule';
import { Rng } from '../src/util/rng';

const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('./lfr_replay.py', import.meta.url).pathname;

interface StudioStep {
  ids: number[];
  inputs: number[][][];
  targets: number[][][];
}

// 47 blocks of 5 bytes, batches of 3 x 2 micro-batches: phases end mid-epoch, so padding shows.
const B = 3;
const A = 2;
const T = 5;
const tokens = Uint8Array.from(new Rng(3).uniformArray(47 * T + 1, 0, 255), Math.floor);
tokens[tokens.length - 1] = byteTokenizer.eosId;
const stream = { split: 'train' as const, tokens, docStarts: Uint32Array.of(0) };

function playedRun(blocks = new Blocks(stream, T)): { schedule: Schedule; batches: StudioStep[] } {
  const settings = { p1: 1, s1: 40, p2: 2, p3: 1, s2: 55, p4: 1, reps: 2 };
  const schedule = Schedule.lfr(blocks, settings, { batchSize: B, accumSteps: A, seed: 2024 });
  const batches: StudioStep[] = [];
  const inputs = new Uint32Array(B * T);
  const targets = new Uint32Array(B * T);
  for (let step = 0; !schedule.done(); step++) {
    const ids = new Uint32Array(A * B);
    const batch: StudioStep = { ids: [], inputs: [], targets: [] };
    for (let a = 0; a < A; a++) {
      schedule.next(ids.subarray(a * B, (a + 1) * B), inputs, targets);
      const rows = (x: Uint32Array) =>
        Array.from({ length: B }, (_, b) => [...x.slice(b * T, (b + 1) * T)]);
      batch.inputs.push(rows(inputs));
      batch.targets.push(rows(targets));
    }
    batch.ids = [...ids];
    batches.push(batch);
    schedule.observe({
      step,
      blockIds: ids,
      sequenceLosses: Float32Array.from(ids, (id) => 1 + ((id * 7) % 5)),
    });
  }
  return { schedule, batches };
}

function replay(file: ScheduleExport, bin: Uint8Array, ...args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'lfr-replay-'));
  writeFileSync(join(dir, 'schedule.json'), JSON.stringify(file));
  writeFileSync(join(dir, 'train.bin'), bin);
  return spawnSync(PYTHON, [SCRIPT, join(dir, 'schedule.json'), join(dir, 'train.bin'), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
}

// Each case starts Python with NumPy (about a second on a loaded machine).
describe('lfr_replay.py', { timeout: 60_000 }, () => {
  const { schedule, batches } = playedRun();
  const exported = replayData(stream, byteTokenizer).then((data) => exportSchedule(schedule, data));

  it("rebuilds the studio's batches of every step from the file's rule and the token .bin", async () => {
    const file = await exported;
    const run = replay(file, tokens, '--dump');
    expect(run.stderr).toBe('');
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as StudioStep & { step: number });
    expect(lines.map((l) => l.step)).toEqual(batches.map((_, s) => s));
    lines.forEach((l, s) => {
      expect(l.ids).toEqual(batches[s].ids);
      expect(l.inputs).toEqual(batches[s].inputs);
      expect(l.targets).toEqual(batches[s].targets);
    });
    // Padding happened: some step repeats a block or spans two epochs' orders.
    expect(file.steps).toEqual(batches.map((b) => b.ids));
    expect(file.visits.rows).toHaveLength(batches.length * A * B);
  });

  it("rebuilds a sampled run's batches from the file's block start positions", async () => {
    const sampled = playedRun(sampledBlocks(stream, T, 20, 11));
    const file = exportSchedule(sampled.schedule, await replayData(stream, byteTokenizer));
    expect(file.blockStarts).toHaveLength(20);
    expect(file.blockStarts).not.toEqual([...Array(20).keys()].map((i) => i * T));
    const run = replay(file, tokens, '--dump');
    expect(run.stderr).toBe('');
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as StudioStep);
    expect(lines).toHaveLength(sampled.batches.length);
    lines.forEach((l, s) => {
      expect(l.inputs).toEqual(sampled.batches[s].inputs);
      expect(l.targets).toEqual(sampled.batches[s].targets);
    });
  });

  it('checks the file against its visit log and its tokens against the sha256', async () => {
    const file = await exported;
    expect(replay(file, tokens).stdout).toMatch(
      new RegExp(
        `^${batches.length} steps rebuilt and equal to the file's; ${batches.length * A * B} logged visits agree`,
      ),
    );
    const otherSeed = replay({ ...file, seed: file.seed + 1 }, tokens);
    expect(otherSeed.status).toBe(1);
    expect(otherSeed.stderr).toMatch(/Step 0: the rule gives blocks/);
    const rows = file.visits.rows.map((r, k): [number, number, number | null] =>
      k === 4 ? [r[0], (r[1] + 1) % 47, r[2]] : r,
    );
    const badLog = replay({ ...file, visits: { ...file.visits, rows } }, tokens);
    expect(badLog.stderr).toMatch(/Visit 4 \(step 0\) trained block/);
    const edited = tokens.slice();
    edited[10] ^= 1;
    const badTokens = replay(file, edited);
    expect(badTokens.status).toBe(1);
    expect(badTokens.stderr).toMatch(
      /has sha256 [0-9a-f]{64}, but the schedule was made on tokens with sha256/,
    );
  });
});
