/**
 * The poll cycle bookkeeping, pure and clock-injected: a cycle polls every registered gateway;
 * a reply before the deadline is on time, after it late, and none by the next cycle missed.
 * A cycle's completion time is when its last reply arrived, if every polled gateway replied.
 */
export interface CycleResult {
  cycle: number;
  startedAt: number;
  polled: number;
  onTime: number;
  late: number;
  missed: number;
  /** Milliseconds from the cycle's start to its last reply; null when some gateway missed. */
  completionMs: number | null;
  /** Gateways that missed this cycle. */
  missedGateways: string[];
}

export type ReplyVerdict = 'on-time' | 'late' | 'stale' | 'unexpected';

interface OpenCycle {
  cycle: number;
  startedAt: number;
  waiting: Set<string>;
  polled: number;
  onTime: number;
  late: number;
  lastReplyAt: number;
}

export class PollScheduler {
  private open: OpenCycle | null = null;
  private nextCycle = 1;

  constructor(readonly deadlineMs: number) {}

  get currentCycle(): number | null {
    return this.open?.cycle ?? null;
  }

  /** Closes the open cycle (if any) and starts the next one; returns the closed cycle's result. */
  startCycle(now: number, gatewayIds: Iterable<string>): { cycle: number; closed: CycleResult | null } {
    const closed = this.closeCycle();
    const waiting = new Set(gatewayIds);
    this.open = { cycle: this.nextCycle++, startedAt: now, waiting, polled: waiting.size, onTime: 0, late: 0, lastReplyAt: now };
    return { cycle: this.open.cycle, closed };
  }

  reply(gatewayId: string, cycle: number, now: number): ReplyVerdict {
    const open = this.open;
    if (!open || cycle !== open.cycle) return cycle < this.nextCycle ? 'stale' : 'unexpected';
    if (!open.waiting.delete(gatewayId)) return 'unexpected';
    open.lastReplyAt = Math.max(open.lastReplyAt, now);
    if (now - open.startedAt <= this.deadlineMs) {
      open.onTime++;
      return 'on-time';
    }
    open.late++;
    return 'late';
  }

  /** The open cycle: how many were polled and how many have not replied yet. */
  get progress(): { cycle: number; polled: number; waiting: number } | null {
    return this.open ? { cycle: this.open.cycle, polled: this.open.polled, waiting: this.open.waiting.size } : null;
  }

  /** True when every gateway polled in the open cycle has replied. */
  get cycleComplete(): boolean {
    return this.open !== null && this.open.waiting.size === 0;
  }

  closeCycle(): CycleResult | null {
    const open = this.open;
    if (!open) return null;
    this.open = null;
    const missedGateways = [...open.waiting];
    return {
      cycle: open.cycle,
      startedAt: open.startedAt,
      polled: open.polled,
      onTime: open.onTime,
      late: open.late,
      missed: missedGateways.length,
      completionMs: missedGateways.length === 0 ? open.lastReplyAt - open.startedAt : null,
      missedGateways,
    };
  }
}
