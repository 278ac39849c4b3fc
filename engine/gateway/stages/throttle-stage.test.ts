import { describe, expect, it } from 'vitest';
import { ThrottleGate } from '../throttle.js';
import { VirtualClock } from '../virtual-clock.js';
import { RecordingStage } from './recording-stage.js';
import { ThrottleStage, resumeThrottled, type ThrottledIo, type ThrottleObserver } from './throttle-stage.js';

interface Io extends ThrottledIo { readonly id: number }

const io = (id: number, throttleBytes = 4096): Io => ({ id, throttleBytes, gatesPassed: 0, waited: false, throttle: null });

class CountingObserver implements ThrottleObserver {
  throttled = 0;
  noteThrottled(): void {
    this.throttled++;
  }
}

function gate(clock: VirtualClock, limits: { iops?: number; mbps?: number } = {}): ThrottleGate<ThrottledIo> {
  const g = new ThrottleGate<ThrottledIo>(resumeThrottled, clock);
  g.setLimits(limits);
  return g;
}

/** When (virtual ms) each request reached the next stage. */
function passTimes(clock: VirtualClock, next: RecordingStage<Io>, count: number, untilMs: number): number[] {
  const at: number[] = [];
  for (let t = 0; t <= untilMs && at.length < count; t++) {
    clock.runUntil(t);
    while (at.length < next.submitted.length) at.push(clock.t);
  }
  return at;
}

describe('the throttle stage', () => {
  it('passes uncapped requests straight on, and holds capped ones beyond the cap until the bucket allows them, in order', () => {
    const clock = new VirtualClock();
    const next = new RecordingStage<Io>();
    const observer = new CountingObserver();
    const stage = new ThrottleStage<Io>([gate(clock), gate(clock, { iops: 100 }), gate(clock)], observer, next);
    for (let i = 0; i < 40; i++) stage.submit(io(i));
    // 100 IOPS saves up a burst of 5 (50 ms of rate): a handful go at once, the rest wait.
    const atOnce = next.submitted.length;
    expect(atOnce).toBeGreaterThan(0);
    expect(atOnce).toBeLessThanOrEqual(6);
    expect(observer.throttled).toBe(40 - atOnce);
    const at = passTimes(clock, next, 40, 2000);
    expect(next.submitted.map((r) => r.id)).toEqual([...Array(40).keys()]);
    // The k-th request past the burst goes no earlier than k / rate, and the whole run takes (40 - burst) / rate.
    for (let k = atOnce; k < 40; k++) expect(at[k]!).toBeGreaterThanOrEqual(((k - atOnce + 1) / 100) * 1000 - 1);
    expect(at[39]!).toBeGreaterThanOrEqual(((40 - atOnce) / 100) * 1000 - 1);
    expect(at[39]!).toBeLessThanOrEqual(((40 - atOnce) / 100) * 1000 + 20);
  });

  it('counts a request that waits at several gates once, and holds it at each gate in turn', () => {
    const clock = new VirtualClock();
    const next = new RecordingStage<Io>();
    const observer = new CountingObserver();
    // A bandwidth cap on the host, an IOPS cap on the LUN.
    const stage = new ThrottleStage<Io>([gate(clock, { mbps: 1 }), gate(clock), gate(clock, { iops: 10 })], observer, next);
    for (let i = 0; i < 20; i++) stage.submit(io(i, 65536));
    const waited = 20 - next.submitted.length;
    expect(observer.throttled).toBe(waited);
    passTimes(clock, next, 20, 10_000);
    expect(next.submitted).toHaveLength(20);
    expect(observer.throttled).toBe(waited);
    // 20 × 64 KiB at 1 MB/s is 1.3 s of bandwidth; 20 at 10 IOPS is 2 s: the tighter cap sets the pace.
    expect(clock.t).toBeGreaterThanOrEqual(1500);
  });

  it('hands a request released by a gate shared with another connection back to its own stage', () => {
    const clock = new VirtualClock();
    const shared = gate(clock, { iops: 20 });
    const nextA = new RecordingStage<Io>();
    const nextB = new RecordingStage<Io>();
    const a = new ThrottleStage<Io>([shared], new CountingObserver(), nextA);
    const b = new ThrottleStage<Io>([shared], new CountingObserver(), nextB);
    for (let i = 0; i < 10; i++) { a.submit(io(i)); b.submit(io(100 + i)); }
    clock.runUntil(2000);
    expect(nextA.submitted.map((r) => r.id)).toEqual([...Array(10).keys()]);
    expect(nextB.submitted.map((r) => r.id)).toEqual([...Array(10).keys()].map((i) => 100 + i));
  });

  it('passes each settle on', () => {
    const next = new RecordingStage<Io>();
    const stage = new ThrottleStage<Io>([], new CountingObserver(), next);
    const r = io(1);
    stage.submit(r);
    stage.settle(r, 9);
    expect(next.submitted).toEqual([r]);
    expect(next.settled).toEqual([{ io: r, now: 9 }]);
  });
});
