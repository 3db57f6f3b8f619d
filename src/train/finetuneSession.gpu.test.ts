import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFinetuneCheckpoint } from '../checkpoint/finetuneFormat';
import { BatchSampler } from '../data/blocks';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { initParams } from '../model/init';
import { LORA_TARGETS } from '../model/lora';
import { buildParamTable } from '../model/params';
import { blocks, config } from '../test/finetuneFixture';
import { type FinetuneStepResult, FinetuneTrainer } from './finetune';
import {
  type FinetuneProgress,
  type FinetuneRequest,
  FinetuneSession,
  type FinetuneSessionOptions,
  finetuneProblems,
  finetuneRateAt,
  type InvarianceSeries,
  optimizerSettings,
  runInvariance,
} from './finetuneSession';

const request = (over: Partial<FinetuneRequest> = {}): FinetuneRequest => ({
  lora: { rank: 2, alpha: 4, targets: LORA_TARGETS },
  optimizers: ['adam', 'rite'],
  lr: 1e-2,
  warmupSteps: 0,
  decay: 'constant',
  steps: 4,
  batchSize: 4,
  escapedMass: true,
  seed: 5,
  order: 'interleaved',
  ...over,
});

/** Runs a session to its end; every progress event it sent. */
async function run(ctx: GpuContext, base: Float32Array, r: FinetuneRequest) {
  const events: FinetuneProgress[] = [];
  const session = await FinetuneSession.create(ctx, config, base, blocks, r, (p) => events.push(p));
  session.start();
  await session.settled();
  const losses = (kind: string) =>
    events
      .flatMap((e) => e.points)
      .filter((p) => p.kind === kind)
      .map((p) => p.loss);
  return { session, events, last: events[events.length - 1], losses };
}

describe('FinetuneSession', () => {
  let ctx: GpuContext;
  let base: Float32Array;
  beforeAll(async () => {
    ctx = await acquireGpu();
    // A random base: these tests check the run's plumbing, not that fine-tuning learns (the
    // trainer's own tests do, on a pretrained base).
    base = initParams(config, buildParamTable(config), 3);
  });
  afterAll(() => ctx.device.destroy());

  it('refuses bad requests with the messages of validateLora and loraOptimizerProblem', () => {
    const say = (over: Partial<FinetuneRequest>) => finetuneProblems(config, request(over), base);
    expect(say({})).toEqual([]);
    expect(say({ lora: { rank: 0, alpha: 4, targets: LORA_TARGETS } })[0]).toContain(
      'LoRA rank (0) must be a whole number from 1 to 32',
    );
    expect(say({ lora: { rank: 40, alpha: 4, targets: LORA_TARGETS } })[0]).toContain('above 32');
    // config's c_attn is 48 x 16: rank 17 is within 32 but above the layer's size.
    expect(say({ lora: { rank: 17, alpha: 4, targets: ['attn.c_attn'] } })[0]).toContain(
      'above the size of attn.c_attn (48 x 16)',
    );
    expect(say({ lora: { rank: 2, alpha: 0, targets: LORA_TARGETS } })[0]).toContain(
      'LoRA alpha (0) must be a number above 0',
    );
    expect(say({ lora: { rank: 2, alpha: 4, targets: [] } })[0]).toContain('No layer to adapt');
    expect(say({ lr: 0 })).toEqual(['Learning rate 0 must be above 0: e.g. 1e-3 for Adam.']);
    expect(say({ riteLr: 0 })).toEqual(['Learning rate 0 must be above 0: e.g. 1e-3 for Adam.']);
    expect(say({ warmupSteps: 5 })).toEqual([
      "Warmup steps (5) must be a whole number from 0 to the run's 4 steps.",
    ]);
    expect(say({ optimizers: [] })[0]).toContain('No optimizer');
    expect(say({ steps: 0, batchSize: 1.5, seed: -1 })).toHaveLength(3);
    const nan = base.slice();
    nan[3] = Number.NaN;
    expect(finetuneProblems(config, request(), nan)[0]).toContain('NaN or infinite values');
    expect(finetuneProblems(config, request(), base.subarray(1))[0]).toContain('parameter floats');
  });

  it('trains both optimizers on the same batches: interleaved or one after the other, the same losses', async () => {
    const side = await run(ctx, base, request());
    const seq = await run(ctx, base, request({ order: 'sequential' }));
    const adamAlone = await run(ctx, base, request({ optimizers: ['adam'] }));
    for (const r of [side, seq, adamAlone]) r.session.destroy();
    expect(side.last.state).toBe('done');
    expect(side.last.done).toEqual({ adam: 4, rite: 4 });
    expect(side.losses('adam')).toHaveLength(4);
    // Same base, same initial adapters, same batches: the first losses agree exactly (no step
    // has been taken yet), later ones differ by optimizer.
    expect(side.losses('rite')[0]).toBe(side.losses('adam')[0]);
    expect(side.losses('rite')[3]).not.toBe(side.losses('adam')[3]);
    // Deterministic: the order the GPU runs them in changes nothing, nor does a partner.
    expect(seq.losses('adam')).toEqual(side.losses('adam'));
    expect(seq.losses('rite')).toEqual(side.losses('rite'));
    expect(adamAlone.losses('adam')).toEqual(side.losses('adam'));
    expect(adamAlone.losses('rite')).toEqual([]);
    expect(ctx.takeUncapturedErrors().map((e) => e.message)).toEqual([]);
  });

  it('gives each optimizer step its rate on the schedule: warmup, cosine, RITE at its own rate', async () => {
    const r = request({ steps: 4, warmupSteps: 2, decay: 'cosine', riteLr: 5e-2 });
    const scheduled = await run(ctx, base, r);
    expect(scheduled.last.rates).toEqual({ adam: 1e-2, rite: 5e-2 });
    // The same steps driven by hand at the schedule's rates give the same losses, bit for bit.
    for (const kind of ['adam', 'rite'] as const) {
      const trainer = await FinetuneTrainer.create(ctx, config, base, {
        lora: r.lora,
        optimizer: optimizerSettings(kind, r),
        batchSize: r.batchSize,
        seed: r.seed,
      });
      const sampler = new BatchSampler(blocks, r.batchSize, r.seed);
      const results: Promise<FinetuneStepResult>[] = [];
      for (let i = 0; i < r.steps; i++)
        results.push((await trainer.queueStep(sampler, finetuneRateAt(kind, i, r))).result);
      const rs = await Promise.all(results);
      trainer.destroy();
      expect(rs.map((x) => x.lr)).toEqual([0, 1, 2, 3].map((i) => finetuneRateAt(kind, i, r)));
      expect(rs.map((x) => x.loss)).toEqual(scheduled.losses(kind));
    }
    // The schedule is felt: at the peak rate throughout, the losses part after the first step.
    const flat = await run(ctx, base, { ...r, warmupSteps: 0, decay: 'constant' });
    for (const kind of ['adam', 'rite'] as const) {
      expect(flat.losses(kind)[0]).toBe(scheduled.losses(kind)[0]);
      expect(flat.losses(kind)[1]).not.toBe(scheduled.losses(kind)[1]);
    }
    scheduled.session.destroy();
    flat.session.destroy();
  });

  it('pauses on a non-finite step and says which optimizer, pair and quantity', async () => {
    const r = await run(ctx, base, request({ optimizers: ['adam'], lr: 1e30, steps: 6 }));
    r.session.destroy();
    expect(r.last.state).toBe('paused');
    const pause = r.last.nonFinite!;
    expect(pause.kind).toBe('adam');
    expect(pause.step).toBeGreaterThan(1);
    expect(pause.step).toBeLessThanOrEqual(6);
    expect(pause.pair.length).toBeGreaterThan(0);
    expect(pause.quantity.length).toBeGreaterThan(0);
    // The steps before the bad one are on the chart, none after it.
    expect(r.losses('adam')).toHaveLength(pause.step - 1);
    expect(r.losses('adam').every(Number.isFinite)).toBe(true);
  });

  it('samples from the merged model and exports the adapters for PEFT', async () => {
    const r = await run(ctx, base, request({ optimizers: ['adam'], steps: 2 }));
    const ids = await r.session.sample(
      'adam',
      [1, 2, 3],
      { maxNewTokens: 5, temperature: 1, topK: 0 },
      1,
    );
    expect(ids).toHaveLength(5);
    const files = await r.session.exportAdapters('adam');
    const pairs = config.nLayer * LORA_TARGETS.length;
    const cfg = JSON.parse(files.adapterConfigJson);
    expect(cfg.r).toBe(2);
    expect(cfg.lora_alpha).toBe(4);
    expect(cfg.target_modules).toHaveLength(pairs);
    // safetensors: an 8-byte header length, then a JSON header naming lora_A and lora_B per pair.
    const headerLength = Number(new DataView(files.safetensors.buffer).getBigUint64(0, true));
    const header = JSON.parse(
      new TextDecoder().decode(files.safetensors.subarray(8, 8 + headerLength)),
    );
    expect(Object.keys(header).filter((k) => k.endsWith('.weight'))).toHaveLength(2 * pairs);
    await expect(r.session.exportAdapters('rite')).rejects.toThrow('did not train with rite');
    r.session.destroy();
  });

  it('the invariance demo: RITE keeps Z at rounding level, Adam does not', async () => {
    const series: InvarianceSeries[] = [];
    await runInvariance(
      ctx,
      config,
      base,
      blocks,
      { ...request({ steps: 3 }), matrix: 'general', matrixSeed: 2 },
      (s) => series.push(s),
    );
    expect(series.map((s) => s.kind)).toEqual(['adam', 'rite']);
    const [adam, rite] = series;
    expect(adam.diffs).toHaveLength(3);
    // The spec's f32 bound for RITE is ~1e-5 cond(S); Adam's gap is of order one.
    expect(Math.max(...rite.diffs)).toBeLessThan(1e-5 * rite.cond);
    expect(Math.min(...adam.diffs)).toBeGreaterThan(1e-2);
  });
});

describe('FinetuneSession checkpoints', () => {
  let ctx: GpuContext;
  let base: Float32Array;
  beforeAll(async () => {
    ctx = await acquireGpu();
    base = initParams(config, buildParamTable(config), 3);
  });
  afterAll(() => ctx.device.destroy());

  const record = {
    base: {
      source: 'run' as const,
      runId: null,
      name: 'random base',
      step: 0,
      model: config,
      tokenizer: 'byte' as const,
      paramsSha256: '00'.repeat(32),
    },
    data: { text: 'heldout' as const, name: 'fixture' },
  };
  // Warmup then cosine: the resumed steps must also pick up the schedule where it was.
  const long = request({ steps: 6, warmupSteps: 2, decay: 'cosine', riteLr: 5e-2 });

  /** Every loss of each optimizer of a session run to its end (restored ones included). */
  async function lossesOf(options: FinetuneSessionOptions) {
    const events: FinetuneProgress[] = [];
    const session = await FinetuneSession.create(
      ctx,
      config,
      base,
      blocks,
      long,
      (p) => events.push(p),
      options,
    );
    session.start();
    await session.settled();
    session.destroy();
    const points = events.flatMap((e) => e.points);
    const of = (kind: string) => points.filter((p) => p.kind === kind).map((p) => p.loss);
    return { adam: of('adam'), rite: of('rite'), last: events[events.length - 1] };
  }

  it('resumes from a mid-run checkpoint with the same losses, bit for bit, Adam and RITE', async () => {
    const saves: Uint8Array[] = [];
    const straight = await lossesOf({
      record,
      autosaveEvery: 3,
      onAutosave: async (bytes) => {
        saves.push(bytes);
      },
    });
    expect(straight.last.state).toBe('done');
    expect(saves).toHaveLength(2);
    const parts = decodeFinetuneCheckpoint(saves[0]);
    expect(parts.optimizers.map((o) => o.step)).toEqual([3, 3]);
    const resumed = await lossesOf({ record, restore: parts });
    expect(resumed.last.state).toBe('done');
    expect(resumed.adam).toEqual(straight.adam);
    expect(resumed.rite).toEqual(straight.rite);
    expect(straight.adam).toHaveLength(6);

    // The check can fail: without the optimizers' state (moments, RITE's bases) the losses differ.
    const { adam, rite } = parts.tensors;
    const amnesia = {
      ...parts,
      tensors: {
        adam: { ...adam!, state: adam!.state.map((s) => new Float32Array(s.length)) },
        rite: { ...rite!, state: rite!.state.map((s) => new Float32Array(s.length)) },
      },
    };
    const forgot = await lossesOf({ record, restore: amnesia });
    expect(forgot.adam.slice(3)).not.toEqual(straight.adam.slice(3));
    expect(forgot.rite.slice(3)).not.toEqual(straight.rite.slice(3));
  });

  it('pauses, takes single steps and resumes with the losses of an uninterrupted run', async () => {
    const straight = await lossesOf({});
    const events: FinetuneProgress[] = [];
    const session = await FinetuneSession.create(ctx, config, base, blocks, long, (p) =>
      events.push(p),
    );
    session.start();
    await session.pause();
    expect(events[events.length - 1].state).toBe('paused');
    await session.stepOnce();
    await session.stepOnce();
    session.start();
    await session.settled();
    session.destroy();
    const points = events.flatMap((e) => e.points);
    expect(points.filter((p) => p.kind === 'adam').map((p) => p.loss)).toEqual(straight.adam);
    expect(points.filter((p) => p.kind === 'rite').map((p) => p.loss)).toEqual(straight.rite);
    expect(events[events.length - 1].state).toBe('done');
  });
});
