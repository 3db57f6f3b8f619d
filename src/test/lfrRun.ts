// Test helpers (imported by tests only): small block sets and a driver that plays a schedule the
// way the trainer does, with results coming back a few steps late.
import { Blocks } from '../data/blocks';
import type { ObservedStep, Schedule } from '../lfr/schedule';

/** `count` blocks of `blockSize` tokens whose token ids are their stream positions. */
export function countingBlocks(count: number, blockSize = 3): Blocks {
  const tokens = Uint32Array.from({ length: count * blockSize + 1 }, (_, i) => i);
  return new Blocks({ split: 'train', tokens, docStarts: Uint32Array.of(0) }, blockSize);
}

export interface PlayedStep {
  step: number;
  phase: number;
  ids: Uint32Array;
}

/**
 * Plays `schedule` to its end: each step's loss of block id is loss(id, phase), results are
 * observed `lag` steps late, and all pending ones are observed when the schedule asks.
 */
export function play(
  schedule: Schedule,
  loss: (id: number, phase: number) => number,
  lag = 3,
): PlayedStep[] {
  const B = schedule.batchSize;
  const A = schedule.accumSteps;
  const T = schedule.blocks.blockSize;
  const inputs = new Uint32Array(B * T);
  const targets = new Uint32Array(B * T);
  const pending: ObservedStep[] = [];
  const played: PlayedStep[] = [];
  for (let step = schedule.firstStep; !schedule.done(); step++) {
    if (schedule.needsObservation()) {
      for (const r of pending.splice(0)) schedule.observe(r);
    }
    const phase = schedule.currentPhase().index;
    const ids = new Uint32Array(A * B);
    for (let a = 0; a < A; a++) schedule.next(ids.subarray(a * B, (a + 1) * B), inputs, targets);
    const sequenceLosses = Float32Array.from(ids, (id) => loss(id, phase));
    pending.push({ step, blockIds: ids, sequenceLosses });
    played.push({ step, phase, ids });
    if (pending.length > lag) schedule.observe(pending.shift()!);
  }
  for (const r of pending) schedule.observe(r);
  return played;
}
