// Where one training step of ours spends its time, kernel by kernel (bench:train prints it for
// a preset it profiles; bench:profile prints it alone for tiny and small).
import { BatchSampler, type Blocks } from '../data/blocks';
import { fetchBytes, OPENWEBTEXT_PATH, type TokenStream, tokenStream } from '../data/dataset';
import { byteTokenizer, loadTokenizer } from '../data/tokenizer';
import { createStorage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { type Command, submitOps } from '../gpu/ops';
import { adamw } from '../kernels/adamw';
import { packDecayMask } from '../kernels/decayMask';
import { gradNorm, gradNormPartialsLength } from '../kernels/gradnorm';
import { groupTokens, TokenGroupBuffers } from '../kernels/tokenGroups';
import { Activations } from '../model/activations';
import type { Preset } from '../model/config';
import { buildBackward, buildForward, GptModel } from '../model/gpt';
import { learningRateAt } from '../train/lrSchedule';
import { emit } from './report';

const TEXT =
  'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity. ';

/** Tiny trains on bytes of a fixed text; the GPT-2 presets on the shipped OpenWebText slice. */
export async function trainStream(preset: Preset): Promise<TokenStream> {
  if (preset.tokenizer === 'byte') {
    const ids = byteTokenizer.encode(TEXT.repeat(40));
    return tokenStream('train', Uint8Array.from([...ids, byteTokenizer.eosId]), byteTokenizer);
  }
  const file = 'train.gpt2.bin';
  const bytes = await fetchBytes(`/${OPENWEBTEXT_PATH}${file}`, file);
  const ids = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  return tokenStream('train', ids, await loadTokenizer('gpt2'));
}

/**
 * Where one of our steps spends its time: the Trainer's step (forward, backward, gradient norm,
 * AdamW) rebuilt from the same launchers, each command submitted alone and waited for, so each
 * time is one launch's; emitted per kernel label and phase, largest first, then the 5 slowest
 * launches with their place in the phase's command list.
 */
export async function profileStep(
  ctx: GpuContext,
  preset: Preset,
  init: Float32Array,
  blocks: Blocks,
): Promise<void> {
  const { id, model: config, train } = preset;
  const B = train.batchSize;
  const T = config.blockSize;
  const model = new GptModel(ctx, config, init);
  const acts = new Activations(ctx, config, B, T, true);
  const ids = new Uint32Array(B);
  const inputs = new Uint32Array(B * T);
  const targets = new Uint32Array(B * T);
  new BatchSampler(blocks, B, train.seed).next(ids, inputs, targets);
  const n = model.table.totalLength;
  const decayRanges = model.table.tensors.filter((t) => t.decay);
  const buffers = [
    createStorage(ctx, 'profile:tokens', inputs),
    createStorage(ctx, 'profile:targets', targets),
    createStorage(ctx, 'profile:m', n),
    createStorage(ctx, 'profile:v', n),
    createStorage(ctx, 'profile:norm', 2),
    createStorage(ctx, 'profile:partials', gradNormPartialsLength(n)),
    createStorage(ctx, 'profile:mask', packDecayMask(n, decayRanges)),
  ];
  const [tokens, tgts, m, v, norm, partials, mask] = buffers;
  const groups = new TokenGroupBuffers(ctx, B * T);
  groups.write(ctx, groupTokens(inputs));
  const { beta1, beta2, weightDecay } = train;
  const hp = { lr: learningRateAt(0, train), beta1, beta2, eps: 1e-8, weightDecay, step: 1 };
  const phases: [string, Command[]][] = [
    [
      'forward',
      [
        { clear: model.grads },
        ...(await buildForward(ctx, model, acts, tokens, tgts, {
          kind: 'train',
          dlossScale: 1 / (B * T),
        })),
      ],
    ],
    ['backward', await buildBackward(ctx, model, acts, groups)],
    [
      'optimizer',
      [
        await gradNorm(ctx, norm, partials, model.grads, n, train.gradClip),
        await adamw(ctx, model.params, m, v, model.grads, norm, mask, n, hp),
      ],
    ],
  ];
  // One whole step first, so no launch pays for first-touch allocation.
  submitOps(
    ctx,
    phases.flatMap(([, commands]) => commands),
    'profile warm-up',
  );
  await ctx.device.queue.onSubmittedWorkDone();
  const byOp = new Map<string, { phase: string; op: string; launches: number; ms: number }>();
  const launches: { phase: string; index: number; op: string; ms: number }[] = [];
  for (const [phase, commands] of phases) {
    for (const [index, command] of commands.entries()) {
      const op = 'encode' in command ? command.label : 'clear' in command ? 'clear' : 'copy';
      const t0 = performance.now();
      submitOps(ctx, [command], op);
      await ctx.device.queue.onSubmittedWorkDone();
      const ms = performance.now() - t0;
      launches.push({ phase, index, op, ms });
      const key = `${phase}:${op}`;
      const entry = byOp.get(key) ?? { phase, op, launches: 0, ms: 0 };
      entry.launches++;
      entry.ms += ms;
      byOp.set(key, entry);
    }
  }
  const total = launches.reduce((sum, l) => sum + l.ms, 0);
  for (const e of [...byOp.values()].sort((a, b) => b.ms - a.ms)) {
    emit({ bench: 'train-profile', preset: id, ...e, share: e.ms / total });
  }
  for (const l of launches.sort((a, b) => b.ms - a.ms).slice(0, 5)) {
    emit({ bench: 'train-profile-launch', preset: id, ...l, share: l.ms / total });
  }
  emit({ bench: 'train-profile', preset: id, op: 'total', ms: total });
  for (const b of buffers) b.destroy();
  groups.destroy();
  acts.destroy();
  model.destroy();
  const errors = ctx.takeUncapturedErrors();
  if (errors.length) throw new Error(`Profiling our step failed: ${errors[0].message}`);
}
