import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReadyQueues } from './ready-queues.js';

type Op = { kind: 'push'; thread: number } | { kind: 'take'; level: number; at: number } | { kind: 'remove'; thread: number };

/** The queues as plain arrays: what every dispatcher's choice is checked against. */
function reference(levelOf: readonly number[], levels: number, ops: readonly Op[]): number[][] {
  const q: number[][] = Array.from({ length: levels }, () => []);
  for (const op of ops) {
    if (op.kind === 'push') q[levelOf[op.thread]!]!.push(op.thread);
    else if (op.kind === 'take') q[op.level]!.splice(op.at, 1);
    else { const l = q[levelOf[op.thread]!]!; l.splice(l.indexOf(op.thread), 1); }
  }
  return q;
}

describe('ReadyQueues', () => {
  it('keeps FIFO order per level through any mix of pushes, takes from anywhere and removals (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 3 }), fc.array(fc.tuple(fc.nat(2), fc.nat(1000), fc.nat(1000)), { maxLength: 400 }), fc.nat(1000),
      (threads, levels, raw, seed) => {
        const levelOf = Array.from({ length: threads }, (_, i) => (i * 7 + seed) % levels);
        const queues = new ReadyQueues(Int32Array.from(levelOf), levels, threads);
        const queued = new Set<number>();
        const ops: Op[] = [];
        for (const [kind, a, b] of raw) {
          // Only valid operations, as the simulator makes them: a thread is queued at most once.
          if (kind === 0) {
            const th = a % threads;
            if (queued.has(th)) continue;
            queued.add(th); ops.push({ kind: 'push', thread: th }); queues.push(th);
          } else if (queued.size > 0) {
            const level = levelOf[[...queued][a % queued.size]!]!;
            const len = queues.length[level]!;
            if (kind === 1) {
              const at = b % len;
              const th = queues.removeAt(level, at);
              ops.push({ kind: 'take', level, at });
              const expected = reference(levelOf, levels, ops.slice(0, -1))[level]![at];
              expect(th).toBe(expected);
              queued.delete(th);
            } else {
              const th = queues.at(level, b % len);
              queues.remove(th); queued.delete(th); ops.push({ kind: 'remove', thread: th });
            }
          }
          const want = reference(levelOf, levels, ops);
          for (let l = 0; l < levels; l++) {
            expect(Array.from({ length: queues.length[l]! }, (_, k) => queues.at(l, k))).toEqual(want[l]);
          }
          expect(queues.firstLevel()).toBe(want.findIndex((q) => q.length > 0));
        }
      },
    ), { numRuns: 300 });
  });

  it('counts pass-overs for exactly the threads a take passes', () => {
    const queues = new ReadyQueues(Int32Array.from([0, 0, 1, 1]), 2, 4);
    for (const th of [0, 1, 2, 3]) queues.push(th);
    queues.removeAt(0, 0); // the head leaves: the buffer's front moves on
    expect(queues.takePassingOver(0, 1, 1)).toBe(3);
    expect(Array.from(queues.passOvers)).toEqual([0, 1, 1, 0]);
    expect(queues.at(0, 0)).toBe(1);
    expect(queues.at(1, 0)).toBe(2);
  });
});
