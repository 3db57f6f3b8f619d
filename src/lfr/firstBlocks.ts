// A run on n blocks of a split: LFR tracks every block, so small experiments (and the tests)
// choose how many blocks it tracks instead of taking the whole slice: the first n, or a seeded
// random sample of n of the split's windows.
import { Blocks } from '../data/blocks';
import type { TokenStream } from '../data/dataset';
import { LfrError } from './settings';
import { fisherYates } from './shuffle';

function checkCount(maxBlocks: number): void {
  if (!Number.isInteger(maxBlocks) || maxBlocks < 0) {
    throw new LfrError(`blocks must be a whole number, 0 for all, not ${maxBlocks}.`);
  }
}

/** The first `maxBlocks` blocks of `stream` (all of them when 0 or when the stream has fewer). */
export function firstBlocks(stream: TokenStream, blockSize: number, maxBlocks: number): Blocks {
  checkCount(maxBlocks);
  const all = new Blocks(stream, blockSize);
  if (maxBlocks === 0 || maxBlocks >= all.count) return all;
  const end = maxBlocks * blockSize + 1;
  const docStarts = stream.docStarts.filter((p) => p < end);
  return new Blocks(
    { split: stream.split, tokens: stream.tokens.subarray(0, end), docStarts },
    blockSize,
  );
}

/** The generator state a sample of `seed` starts from (spelled out in the schedule file). */
export const sampleSeed = (seed: number): number => (seed ^ 0x5bd1e995) >>> 0;

/**
 * `maxBlocks` of the split's windows (those of the whole split's block ids) drawn at random: the
 * first maxBlocks of a Fisher-Yates shuffle of the ids from sampleSeed(seed), in stream order.
 * All of them when 0 or when the stream has fewer.
 */
export function sampledBlocks(
  stream: TokenStream,
  blockSize: number,
  maxBlocks: number,
  seed: number,
): Blocks {
  checkCount(maxBlocks);
  const all = new Blocks(stream, blockSize);
  if (maxBlocks === 0 || maxBlocks >= all.count) return all;
  const ids = fisherYates(
    Uint32Array.from({ length: all.count }, (_, i) => i),
    sampleSeed(seed),
  );
  const starts = ids.slice(0, maxBlocks).sort();
  for (let i = 0; i < starts.length; i++) starts[i] *= blockSize;
  return new Blocks(stream, blockSize, starts);
}

/** The blocks a run trains on: a sample of `seed` when it is given, else the first ones. */
export function chosenBlocks(
  stream: TokenStream,
  blockSize: number,
  maxBlocks: number,
  seed: number | null,
): Blocks {
  return seed === null
    ? firstBlocks(stream, blockSize, maxBlocks)
    : sampledBlocks(stream, blockSize, maxBlocks, seed);
}
