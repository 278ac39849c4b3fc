import type { AutoPilotSettings } from '../model.js';
import type { AutoPilotVariant, Dispatcher, DispatchState } from './dispatcher.js';

const EPS = 1e-12;

/**
 * What both AutoPilot variants share: the tunables, and the starvation bound — a thread passed
 * over `starvationBound` times goes next, and nothing else is dispatched ahead of it, so running
 * threads drain at their slice ends until it fits under the bus capacity.
 */
abstract class AutoPilotBase implements Dispatcher {
  readonly kind = 'autopilot' as const;
  abstract readonly variant: AutoPilotVariant;
  private readonly reserved: number[] = [];
  private readonly reservedFlag: Uint8Array;

  /** Commitment a thread may bring the bus to: I/O-bound threads up to the threshold, others below the I/O reserve. */
  protected readonly ioLimit: number;
  protected readonly cpuLimit: number;

  constructor(protected readonly ap: AutoPilotSettings, threads: number) {
    this.reservedFlag = new Uint8Array(threads);
    this.ioLimit = ap.threshold + EPS;
    this.cpuLimit = ap.threshold - ap.ioReserve + EPS;
  }

  abstract choose(s: DispatchState): number;

  protected hasReserved(): boolean {
    return this.reserved.length > 0;
  }

  protected reserve(th: number): void {
    if (this.reservedFlag[th] === 0) { this.reservedFlag[th] = 1; this.reserved.push(th); }
  }

  protected takeReserved(s: DispatchState, committed: number): number {
    const th = this.reserved[0]!;
    if (s.nRunning > 0 && committed + s.estimate[th]! * s.invBandwidth > 1 + EPS) return -1;
    s.ready.remove(th);
    this.reserved.shift();
    this.reservedFlag[th] = 0;
    return th;
  }

  /** Nothing fits: idle if so set, else run the candidate that adds least to the bus (ties: first in line). */
  protected noFit(s: DispatchState, top: number): number {
    if (this.ap.idleWhenNoFit && s.nRunning > 0) return -1;
    const q = s.ready.queues[top]!;
    const h = s.ready.head[top]!;
    const len = s.ready.length[top]!;
    let best = 0;
    for (let k = 1; k < len; k++) if (s.estimate[q[h + k]!]! < s.estimate[q[h + best]!]!) best = k;
    for (let k = 0; k < best; k++) if (s.ready.passOvers[q[h + k]!]! >= this.ap.starvationBound) { best = k; break; }
    s.ready.passOver(top, best);
    return s.ready.removeAt(top, best);
  }
}

/**
 * AutoPilot as the document describes it: "If the current bus utilization is below the saturation
 * level AutoPilot will act similar to a default system" — each thread runs in turn; at or over it
 * AutoPilot "will attempt to find the best available thread to run based on the bus load of the
 * threads": the largest estimated demand that still fits under the threshold beside the threads
 * running, or it idles the CPU if none fits and idling is set. The mode is chosen on the bus
 * monitor's sampled utilisation, not on a projection.
 */
export class DocumentAutoPilot extends AutoPilotBase {
  readonly variant = 'document' as const;

  choose(s: DispatchState): number {
    const committed = s.committedEstimate();
    if (this.hasReserved()) return this.takeReserved(s, committed);
    const ready = s.ready;
    const top = ready.firstLevel();
    if (top < 0) return -1;
    if (s.monitorReading() < this.ap.threshold) return ready.removeAt(top, 0);
    const lastLevel = this.ap.searchAllPriorities ? ready.levels - 1 : top;
    const { estimate, ioBound, invBandwidth } = s;
    const { ioLimit, cpuLimit } = this;
    let bestL = -1;
    let bestK = -1;
    let bestDemand = -1;
    for (let l = top; l <= lastLevel; l++) {
      const q = ready.queues[l]!;
      const h = ready.head[l]!;
      const len = ready.length[l]!;
      for (let k = 0; k < len; k++) {
        const th = q[h + k]!;
        const e = estimate[th]! * invBandwidth;
        if (committed + e <= (ioBound[th] ? ioLimit : cpuLimit) && e > bestDemand) { bestDemand = e; bestL = l; bestK = k; }
      }
    }
    if (bestL < 0) return this.noFit(s, top);
    // A thread ahead of the choice that would be passed over once more than the bound goes next instead.
    for (let l = top; l <= bestL; l++) {
      const q = ready.queues[l]!;
      const h = ready.head[l]!;
      const upTo = l === bestL ? bestK : ready.length[l]!;
      for (let k = 0; k < upTo; k++) {
        if (ready.passOvers[q[h + k]!]! >= this.ap.starvationBound) { this.reserve(q[h + k]!); return this.takeReserved(s, committed); }
      }
    }
    return ready.takePassingOver(top, bestL, bestK);
  }
}

/**
 * Headroom's own variant (not the document's): every decision tests the projected commitment —
 * the estimates of the running threads plus the candidate — and takes the first thread in line
 * that fits under the threshold. Its first estimate of a thread is the thread's true demand.
 */
export class ProjectedAutoPilot extends AutoPilotBase {
  readonly variant = 'projected' as const;

  choose(s: DispatchState): number {
    const committed = s.committedEstimate();
    if (this.hasReserved()) return this.takeReserved(s, committed);
    const ready = s.ready;
    const top = ready.firstLevel();
    if (top < 0) return -1;
    const lastLevel = this.ap.searchAllPriorities ? ready.levels - 1 : top;
    const { estimate, ioBound, invBandwidth } = s;
    const passOvers = ready.passOvers;
    const bound = this.ap.starvationBound;
    const { ioLimit, cpuLimit } = this;
    for (let l = top; l <= lastLevel; l++) {
      const q = ready.queues[l]!;
      const h = ready.head[l]!;
      const len = ready.length[l]!;
      for (let k = 0; k < len; k++) {
        const th = q[h + k]!;
        if (committed + estimate[th]! * invBandwidth <= (ioBound[th] ? ioLimit : cpuLimit)) return ready.takePassingOver(top, l, k);
        // Passing this thread over once more would break the bound: it goes next instead.
        if (passOvers[th]! >= bound) { this.reserve(th); return this.takeReserved(s, committed); }
      }
    }
    return this.noFit(s, top);
  }
}

export function createAutoPilot(ap: AutoPilotSettings, threads: number): Dispatcher {
  return ap.variant === 'projected' ? new ProjectedAutoPilot(ap, threads) : new DocumentAutoPilot(ap, threads);
}
