// After a step whose loss is not finite: which tensor went bad first. Read back only on this rare
// path, so the training step itself never waits for a check.
import type { GpuContext } from '../gpu/device';
import { readFloats } from '../gpu/readback';
import type { Trainer } from './trainer';

/** Where the first non-finite value sits: a named tensor, the flat index in it, and the value. */
export interface NonFiniteTensor {
  tensor: string;
  kind: 'parameter' | 'activation' | 'gradient';
  index: number;
  value: number;
}

/** Index of the first NaN or infinity in `a`, or -1. */
export function firstNonFiniteIndex(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

/**
 * The first non-finite tensor in the order the harm spreads: the parameters (a bad update), then
 * the last batch's activations in forward order (an overflow), then the gradients. Null when all
 * are finite (the step that diverged was overwritten by later ones).
 */
export async function findNonFinite(
  ctx: GpuContext,
  trainer: Trainer,
): Promise<NonFiniteTensor | null> {
  const { table } = trainer.model;
  const inTable = (all: Float32Array, kind: NonFiniteTensor['kind']): NonFiniteTensor | null => {
    for (const t of table.tensors) {
      const values = all.subarray(t.offset, t.offset + t.length);
      const i = firstNonFiniteIndex(values);
      if (i >= 0) return { tensor: t.name, kind, index: i, value: values[i] };
    }
    return null;
  };
  const params = inTable(await trainer.readParams(), 'parameter');
  if (params) return params;
  const acts = trainer.acts;
  const forwardOrder = [
    acts.encoded,
    ...acts.layers.flatMap((l) => [
      l.ln1,
      l.qkv,
      l.atty,
      l.residual2,
      l.ln2,
      l.fch,
      l.fchGelu,
      l.residual3,
    ]),
    acts.lnf,
    acts.losses,
  ];
  for (const buffer of forwardOrder) {
    const values = await readFloats(ctx, buffer);
    const i = firstNonFiniteIndex(values);
    // Buffers are labelled "act:<name>" where they are made.
    if (i >= 0) {
      return {
        tensor: buffer.label.replace(/^act:/, ''),
        kind: 'activation',
        index: i,
        value: values[i],
      };
    }
  }
  return inTable(await readFloats(ctx, trainer.model.grads, table.totalLength), 'gradient');
}
