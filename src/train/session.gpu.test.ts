import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, type RunSettings } from '../checkpoint/format';
import type { Dataset } from '../data/dataset';
import { byteTokenizer } from '../data/tokenizer';
import { acquireGpu, type GpuContext } from '../gpu/device';
import type { GPTConfig, TrainConfig } from '../model/config';
import { byteStream, testTrainConfig } from '../test/testData';
import type { StepPoint } from './history';
import { type Progress, type SessionOptions, TrainingSession } from './session';

const model: GPTConfig = { blockSize: 8, vocabSize: 256, nLayer: 1, nHead: 2, nEmbd: 16 };
const train = testTrainConfig({ maxSteps: 6, warmupSteps: 1, seed: 5, evalInterval: 3 });
const dataset: Dataset = {
  name: 'fox.txt',
  tokenizer: byteTokenizer,
  train: byteStream('the quick brown fox jumps over the lazy dog. '.repeat(2)),
  val: byteStream('a lazy dog sleeps in the sun all day long, ok?', 'val'),
};
const settings: RunSettings = {
  preset: null,
  tokenizer: 'byte',
  model,
  train,
  data: { choice: 'user', name: 'fox.txt', trainTokens: 91, valTokens: 48 },
};

/** Runs a session to its end; every progress event's points, and the last event. */
async function runToEnd(t: TrainConfig, options: SessionOptions, ctx: GpuContext) {
  const points: StepPoint[] = [];
  let last: Progress | undefined;
  const session = await TrainingSession.create(
    ctx,
    model,
    t,
    dataset,
    (p) => {
      points.push(...p.points);
      last = p;
    },
    { settings, ...options },
  );
  session.start();
  await session.settled();
  return { session, points, last: last! };
}

describe('TrainingSession checkpoints', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await acquireGpu();
  });
  afterAll(() => ctx.device.destroy());

  it('autosaves between steps, and a session restored from step 2 or 4 continues bit-identically', async () => {
    const straight = await runToEnd(train, {}, ctx);
    straight.session.destroy();
    const saves: { step: number; bytes: Uint8Array }[] = [];
    const saving = await runToEnd(
      train,
      { autosaveEvery: 2, onAutosave: async (bytes, step) => void saves.push({ step, bytes }) },
      ctx,
    );
    saving.session.destroy();
    expect(saving.points.map((p) => p.loss)).toEqual(straight.points.map((p) => p.loss));
    expect(saves.map((s) => s.step)).toEqual([2, 4, 6]);

    for (const save of saves.slice(0, 2)) {
      const parts = decodeCheckpoint(save.bytes);
      expect(parts.step).toBe(save.step);
      expect(parts.history.train).toEqual(straight.points.slice(0, save.step));
      const resumed = await runToEnd(train, { restore: parts }, ctx);
      resumed.session.destroy();
      // The first event replays the saved history; the steps after it are trained afresh.
      expect(resumed.points).toEqual(straight.points);
      expect(resumed.last.state).toBe('done');
      expect(resumed.last.step).toBe(train.maxSteps);
    }
    expect(ctx.takeUncapturedErrors().map((e) => e.message)).toEqual([]);
  });

  it('checkpoint() while running captures a whole step and the run goes on', async () => {
    const session = await TrainingSession.create(ctx, model, train, dataset, () => {}, {
      settings,
    });
    session.start();
    const parts = decodeCheckpoint(await session.checkpoint());
    await session.settled();
    expect(session.state).toBe('done');
    expect(parts.history.train).toHaveLength(parts.step);
    expect(parts.step).toBeGreaterThan(0);
    session.destroy();
  });

  it('pauses on a non-finite loss, naming the step and the first non-finite tensor', async () => {
    const wild = { ...train, learningRate: 1e30, minLearningRate: 1e29, gradClip: 0 };
    const run = await runToEnd(wild, { autosaveEvery: 1, onAutosave: async () => {} }, ctx);
    run.session.destroy();
    const pause = run.last.nonFinite;
    expect(run.last.state).toBe('paused');
    expect(pause).toBeDefined();
    expect(Number.isFinite(pause!.loss)).toBe(false);
    expect(run.points.find((p) => !Number.isFinite(p.loss))?.step).toBe(pause!.step);
    expect(pause!.tensor).not.toBeNull();
    expect(Number.isFinite(pause!.tensor!.value)).toBe(false);
    console.log(`non-finite at step ${pause!.step}: ${JSON.stringify(pause!.tensor)}`);
  });
});
