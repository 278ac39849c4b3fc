import { createRng } from '../prng.js';

/** 32-bit words per 64-byte line: the chain visits one word per line so every hop is a new line. */
export const WORDS_PER_LINE = 16;

/**
 * A pointer-chasing chain over `lines` cache lines: chain[line * 16] holds the word index of the
 * next line, in a random single cycle (Sattolo's algorithm), so each load depends on the one
 * before, hardware prefetchers cannot guess the next address, and the walk covers the whole
 * buffer before it repeats.
 */
export function buildChain(lines: number, seed = 1): Uint32Array {
  if (!Number.isInteger(lines) || lines < 2 || lines * WORDS_PER_LINE > 2 ** 32) throw new RangeError(`chain: ${lines} lines is not a whole number between 2 and 2^28`);
  const order = new Uint32Array(lines);
  for (let i = 0; i < lines; i++) order[i] = i;
  const rng = createRng(seed);
  for (let i = lines - 1; i > 0; i--) {
    const j = rng.int(i); // j < i: Sattolo's variant, which yields one cycle
    const t = order[i]!; order[i] = order[j]!; order[j] = t;
  }
  const chain = new Uint32Array(lines * WORDS_PER_LINE);
  for (let i = 0; i < lines; i++) chain[order[i]! * WORDS_PER_LINE] = order[(i + 1) % lines]! * WORDS_PER_LINE;
  return chain;
}
