import type { ThrottleClock } from './throttle.js';

/** A virtual clock: timers fire when the test advances time, in due order. */
export class VirtualClock implements ThrottleClock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now(): number { return this.t; }
  setTimer(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimer(handle: unknown): void { this.timers = this.timers.filter((x) => x.id !== handle); }
  /** Advance to `until`, firing timers (with `lateMs` of scheduling lateness, like a busy event loop). */
  runUntil(until: number, lateMs = 0): void {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at + lateMs > until) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at + lateMs);
      next.fn();
    }
    this.t = until;
  }
}
