import { performance } from 'node:perf_hooks';
import { readStatsBatch, type StatsBatch, type StatsEntry } from '../protocol/index.js';
import { PollScheduler, type CycleResult } from './poll-scheduler.js';

/** Cycle results kept for `cycles()`: an hour at one poll a second. */
export const CYCLE_HISTORY = 3600;

export interface PollCycleHooks<Slot> {
  /** The gateways to poll now, and the workers serving them. */
  registeredIds(): Iterable<string>;
  pollSlots(): Iterable<Slot>;
  sendPoll(slot: Slot, cycle: number): void;
  onClosed(result: CycleResult): void;
  onBadBatch(err: unknown): void;
}

/**
 * The poll cycle: each interval, close the open cycle and poll every registered gateway; match
 * replies (posted by the shards in batches) to the cycle they answer; keep each gateway's last
 * statistics. Drift-free: cycle k is due at start + k * interval, whatever the last one cost.
 */
export class PollCycle<Slot> {
  private readonly scheduler: PollScheduler;
  private readonly latest = new Map<string, StatsEntry[]>();
  private readonly history: CycleResult[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(readonly intervalMs: number, deadlineMs: number, private readonly hooks: PollCycleHooks<Slot>) {
    this.scheduler = new PollScheduler(deadlineMs);
  }

  get progress(): { cycle: number; polled: number; waiting: number } | null {
    return this.scheduler.progress;
  }

  cycles(): CycleResult[] {
    return [...this.history];
  }

  latestStats(gatewayId: string): StatsEntry[] | undefined {
    return this.latest.get(gatewayId);
  }

  /** A gateway that left takes its statistics with it. */
  forget(gatewayId: string): void {
    this.latest.delete(gatewayId);
  }

  /** Poll replies from a shard, many gateways in one buffer. */
  onStats(batch: StatsBatch): void {
    const now = performance.now();
    try {
      readStatsBatch(batch, (gatewayId, cycle, entries) => {
        this.latest.set(gatewayId, entries);
        this.scheduler.reply(gatewayId, cycle, now);
      });
    } catch (err) {
      this.hooks.onBadBatch(err);
    }
  }

  /** Closes the open cycle and starts the next one now. */
  pollNow(): number {
    const { cycle, closed } = this.scheduler.startCycle(performance.now(), this.hooks.registeredIds());
    if (closed) this.record(closed);
    for (const slot of this.hooks.pollSlots()) this.hooks.sendPoll(slot, cycle);
    return cycle;
  }

  /** Poll every interval from now on. */
  start(): void {
    if (this.timer || this.stopped) return;
    const origin = performance.now();
    let k = 0;
    const tick = (): void => {
      if (this.stopped) return;
      this.pollNow();
      k++;
      this.timer = setTimeout(tick, Math.max(0, origin + k * this.intervalMs - performance.now()));
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const closed = this.scheduler.closeCycle();
    if (closed) this.history.push(closed);
  }

  private record(closed: CycleResult): void {
    this.history.push(closed);
    if (this.history.length > CYCLE_HISTORY) this.history.splice(0, this.history.length - CYCLE_HISTORY);
    this.hooks.onClosed(closed);
  }
}
