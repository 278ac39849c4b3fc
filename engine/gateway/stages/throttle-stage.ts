import type { ThrottleGate, ThrottleWaiter } from '../throttle.js';
import type { DataStage } from './stage.js';

/** What the throttle stage keeps on a request while it passes the gates. */
export interface ThrottledIo extends ThrottleWaiter {
  /** Gates passed so far. */
  gatesPassed: number;
  /** It has waited at a gate (counted once, however many gates it waits at). */
  waited: boolean;
  /** The stage passing it: gates are shared by connections, so a gate hands it back to its own stage. */
  throttle: ThrottleResume | null;
}

/** The throttle stage as a gate sees it. */
export interface ThrottleResume {
  advance(io: ThrottledIo): void;
}

/** Gates release a waiting request into the stage that queued it. Pass this to every ThrottleGate the stages share. */
export function resumeThrottled(io: ThrottledIo): void {
  io.throttle!.advance(io);
}

/** Counts requests that had to wait at a throttle (the pair's EntityStats). */
export interface ThrottleObserver {
  noteThrottled(): void;
}

/**
 * Holds each request at its throttles in turn (host, host/LUN, LUN: ThrottleGate token
 * buckets), then passes it on. Requests over a cap wait in order; none is refused.
 */
export class ThrottleStage<I extends ThrottledIo> implements DataStage<I> {
  constructor(
    private readonly gates: readonly ThrottleGate<ThrottledIo>[],
    private readonly observer: ThrottleObserver,
    private readonly next: DataStage<I>,
  ) {}

  submit(io: I): void {
    io.gatesPassed = 0;
    io.waited = false;
    io.throttle = this;
    this.advance(io);
  }

  /** Through the remaining gates to the next stage, or into the queue of the first gate that holds it. */
  advance(io: I): void {
    const gates = this.gates;
    while (io.gatesPassed < gates.length) {
      const gate = gates[io.gatesPassed++]!;
      if (!gate.tryPass(io.throttleBytes)) {
        if (!io.waited) {
          io.waited = true;
          this.observer.noteThrottled();
        }
        gate.enqueue(io);
        return;
      }
    }
    this.next.submit(io);
  }

  settle(io: I, now: number): void {
    this.next.settle(io, now);
  }
}
