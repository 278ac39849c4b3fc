/** Time and timers, injected so tests can drive throttles on a virtual clock. */
export interface ThrottleClock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realClock: ThrottleClock = {
  now: () => performance.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A cap; an absent or non-positive field means no cap on that dimension. */
export interface ThrottleLimits {
  readonly iops?: number;
  readonly mbps?: number;
}

/** Seconds of rate a bucket may save up: small, so a capped run starts with a negligible burst. */
const BURST_SECONDS = 0.05;

/** A token bucket; rate Infinity means unlimited. */
class TokenBucket {
  rate = Infinity;
  burst = Infinity;
  tokens = 0;
  private last = 0;

  constructor(private readonly minBurst: number) {}

  configure(rate: number, now: number): void {
    this.refill(now);
    this.rate = rate > 0 && Number.isFinite(rate) ? rate : Infinity;
    if (this.rate === Infinity) { this.burst = Infinity; this.tokens = 0; return; }
    this.burst = Math.max(this.minBurst, this.rate * BURST_SECONDS);
    if (this.tokens > this.burst) this.tokens = this.burst;
  }

  refill(now: number): void {
    if (this.rate !== Infinity) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    }
    this.last = now;
  }

  /**
   * Debt model: a request may go whenever the bucket is not in debt, and its cost may
   * push it below zero. Waiting for "not in debt" rather than "cost available" means a
   * timer that fires late loses nothing (tokens bank up to the burst meanwhile), and a
   * request larger than the burst needs no special case.
   */
  allows(): boolean {
    return this.rate === Infinity || this.tokens >= 0;
  }

  /** Milliseconds until `allows()` becomes true. */
  waitMs(): number {
    if (this.rate === Infinity || this.tokens >= 0) return 0;
    return (-this.tokens / this.rate) * 1000;
  }

  take(cost: number): void {
    if (this.rate !== Infinity) this.tokens -= cost;
  }
}

/** What waits at a gate: a request with a byte cost (each request also costs one operation). */
export interface ThrottleWaiter {
  readonly throttleBytes: number;
}

/**
 * An IOPS bucket and a bandwidth bucket in front of a FIFO queue. Requests over the cap
 * wait in order, never refused; a limit change applies at once to the queue.
 */
export class ThrottleGate<W extends ThrottleWaiter> {
  private readonly ops = new TokenBucket(1);
  private readonly bytes = new TokenBucket(4096);
  private queue: W[] = [];
  private head = 0;
  private timer: unknown = null;
  private pumping = false;
  private limitsValue: ThrottleLimits = {};

  constructor(
    private readonly release: (waiter: W) => void,
    private readonly clock: ThrottleClock = realClock,
  ) {}

  get limits(): ThrottleLimits {
    return this.limitsValue;
  }

  get limited(): boolean {
    return this.ops.rate !== Infinity || this.bytes.rate !== Infinity;
  }

  get waiting(): number {
    return this.queue.length - this.head;
  }

  setLimits(limits: ThrottleLimits): void {
    const now = this.clock.now();
    this.limitsValue = { ...limits };
    const wasLimited = this.limited;
    this.ops.configure(limits.iops ?? 0, now);
    this.bytes.configure((limits.mbps ?? 0) * 1_000_000, now);
    // A bucket that just became limited starts full, so the change itself causes no stall.
    if (!wasLimited) { this.ops.tokens = this.ops.burst; this.bytes.tokens = this.bytes.burst; }
    if (this.timer !== null) { this.clock.clearTimer(this.timer); this.timer = null; }
    this.pump();
  }

  /** True if the request may go now (and its cost is taken); false means call `enqueue`. */
  tryPass(bytes: number): boolean {
    if (this.ops.rate === Infinity && this.bytes.rate === Infinity) return this.head === this.queue.length;
    if (this.head !== this.queue.length) return false;
    const now = this.clock.now();
    this.ops.refill(now);
    this.bytes.refill(now);
    if (!this.ops.allows() || !this.bytes.allows()) return false;
    this.ops.take(1);
    this.bytes.take(bytes);
    return true;
  }

  enqueue(waiter: W): void {
    this.queue.push(waiter);
    if (this.timer === null && !this.pumping) this.pump();
  }

  private pump(): void {
    // A release may lead straight to another enqueue here; the running loop will see it.
    this.pumping = true;
    try {
      this.pumpQueue();
    } finally {
      this.pumping = false;
    }
  }

  private pumpQueue(): void {
    const now = this.clock.now();
    this.ops.refill(now);
    this.bytes.refill(now);
    while (this.head < this.queue.length) {
      const next = this.queue[this.head]!;
      if (!this.ops.allows() || !this.bytes.allows()) {
        const wait = Math.max(this.ops.waitMs(), this.bytes.waitMs());
        this.timer = this.clock.setTimer(this.onTimer, Math.max(1, Math.ceil(wait)));
        this.compact();
        return;
      }
      this.ops.take(1);
      this.bytes.take(next.throttleBytes);
      this.queue[this.head++] = undefined as unknown as W;
      this.release(next);
    }
    this.queue = [];
    this.head = 0;
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.pump();
  };

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Release everything still waiting (used when the gateway shuts down). */
  drain(): void {
    if (this.timer !== null) { this.clock.clearTimer(this.timer); this.timer = null; }
    const rest = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const w of rest) this.release(w);
  }
}
