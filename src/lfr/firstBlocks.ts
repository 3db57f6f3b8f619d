// A run on the first n blocks of a split: LFR tracks every block, so small experiments (and the
// tests) choose how many blocks it tracks instead of taking the whole slice.
import { Blocks } from '../data/blocks';
import type { TokenStream } from '../data/dataset';
import { LfrError } from './settings';

/** The first `maxBlocks` blocks of `stream` (all of them when 0 or when the stream has fewer). */
export function firstBlocks(stream: TokenStream, blockSize: number, maxBlocks: number): Blocks {
  if (!Number.isInteger(maxBlocks) || maxBlocks < 0) {
    throw new LfrError(`blocks must be a whole number, 0 for all, not ${maxBlocks}.`);
  }
  const all = new Blocks(stream, blockSize);
  if (maxBlocks === 0 || maxBlocks >= all.count) return all;
  const end = maxBlocks * blockSize + 1;
  const docStarts = stream.docStarts.filter((p) => p < end);
  return new Blocks(
    { split: stream.split, tokens: stream.tokens.subarray(0, end), docStarts },
    blockSize,
  );
}
