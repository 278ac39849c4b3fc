import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PollScheduler } from './poll-scheduler.js';

describe('poll scheduler', () => {
  it('classifies replies as on time, late, stale or unexpected and records completion', () => {
    const s = new PollScheduler(100);
    const { cycle } = s.startCycle(1000, ['a', 'b', 'c']);
    expect(s.reply('a', cycle, 1050)).toBe('on-time');
    expect(s.reply('a', cycle, 1060)).toBe('unexpected');
    expect(s.reply('zz', cycle, 1060)).toBe('unexpected');
    expect(s.reply('b', cycle, 1180)).toBe('late');
    expect(s.cycleComplete).toBe(false);
    expect(s.reply('c', cycle, 1090)).toBe('on-time');
    expect(s.cycleComplete).toBe(true);
    const next = s.startCycle(2000, ['a', 'b']);
    expect(next.closed).toMatchObject({ cycle, polled: 3, onTime: 2, late: 1, missed: 0, completionMs: 180 });
    expect(s.reply('c', cycle, 2001)).toBe('stale');
    s.reply('a', next.cycle, 2010);
    expect(s.closeCycle()).toMatchObject({ missed: 1, missedGateways: ['b'], completionMs: null });
  });

  it('accounts for every polled gateway exactly once', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { maxLength: 30 }), fc.array(fc.tuple(fc.nat(40), fc.nat(300))), (ids, replies) => {
        const s = new PollScheduler(100);
        const { cycle } = s.startCycle(0, ids);
        for (const [i, t] of replies) s.reply(ids[i] ?? `x${i}`, cycle, t);
        const r = s.closeCycle()!;
        expect(r.onTime + r.late + r.missed).toBe(ids.length);
        expect(r.completionMs === null).toBe(r.missed > 0);
      }),
    );
  });
});
