import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OutputBatcher, type ByteSink } from './output-batcher.js';

/** A sink that keeps each write and a copy of its bytes, and lets go of them when told. */
function holdingSink() {
  const held: { bytes: Buffer; copy: Buffer; done?: (err?: Error | null) => void }[] = [];
  const sink: ByteSink = { write: (bytes, done) => { held.push({ bytes, copy: Buffer.from(bytes), done }); return true; } };
  return { sink, held };
}

describe('output batcher', () => {
  it('never overwrites bytes the sink still holds, however late it lets go (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 0, max: 255 }), fc.boolean()), { minLength: 1, maxLength: 300 }),
      async (messages) => {
        const { sink, held } = holdingSink();
        const batcher = new OutputBatcher(sink, 8 * 1024);
        let released = 0;
        for (const [size, fill, turnEnds] of messages) {
          const at = batcher.reserve(size);
          batcher.buffer.fill(fill, at, at + size);
          if (turnEnds) {
            batcher.flush();
            // The sink lets go of some writes, oldest first, and keeps the rest for a while.
            while (released < held.length - 3) {
              const h = held[released++]!;
              // Intact up to the moment the sink lets go; after that the batcher may reuse the bytes.
              expect(h.bytes.equals(h.copy)).toBe(true);
              h.done?.();
            }
          }
        }
        batcher.flush();
        // Every write the sink still holds reads as it did when it was handed over.
        for (const h of held.slice(released)) expect(h.bytes.equals(h.copy)).toBe(true);
        // And the bytes, in order, are exactly what was reserved.
        const expected = Buffer.concat(messages.map(([size, fill]) => Buffer.alloc(size, fill)));
        expect(Buffer.concat(held.map((h) => h.copy)).equals(expected)).toBe(true);
      },
    ), { numRuns: 300 });
  });

  it('reuses a slab once the sink has let go of it instead of allocating a new one', () => {
    const { sink, held } = holdingSink();
    const batcher = new OutputBatcher(sink, 1024);
    const first = batcher.buffer;
    batcher.reserve(1000);
    batcher.flush();
    held[0]!.done?.();
    batcher.reserve(1000); // the first slab is full: a second one
    const second = batcher.buffer;
    expect(second).not.toBe(first);
    batcher.flush();
    batcher.reserve(1000); // the second is full, the first is free again
    expect(batcher.buffer).toBe(first);
    // While the sink holds the second slab's bytes, it is not handed out again.
    batcher.flush();
    batcher.reserve(1000);
    expect(batcher.buffer).not.toBe(second);
    expect(batcher.buffer).not.toBe(first);
  });
});
