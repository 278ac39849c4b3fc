import { contentionFactorOf, memoryCpi } from '../analytic.js';
import type { MemoryHierarchy } from '../analytic.js';
import { busLawLabels, type BusLaw } from './law.js';

export interface BusMachine {
  busBandwidth: number;
  ioLoad: number;
  referenceBusDemand: number;
  hierarchy: MemoryHierarchy;
}

/**
 * The document's law (Table 2 worked backwards): a thread of demand d has main-memory CPI
 * mainRef × d / u₀; a bus of bandwidth B stretches each access by 1/B; every conflicting access
 * waits behind the other bus masters (contentionFactorOf). It reproduces Table 2 exactly and is an
 * empirical curve, not a mechanism; its "utilisation" is the commitment Σ d / B + I/O, which can pass 100%.
 */
export class DocumentBusLaw implements BusLaw {
  readonly id = 'document' as const;
  readonly label = busLawLabels.document;
  private readonly local: number;
  private readonly mainPerDemand: number;
  private readonly invBandwidth: number;
  private readonly io: number;
  private readonly ioUnit: number;

  constructor(m: BusMachine) {
    const cpi = memoryCpi(m.hierarchy);
    this.local = cpi.local;
    this.mainPerDemand = cpi.main / m.referenceBusDemand;
    this.invBandwidth = 1 / m.busBandwidth;
    this.io = Math.min(1, m.ioLoad * this.invBandwidth);
    this.ioUnit = m.referenceBusDemand * this.invBandwidth;
  }

  evaluate(demands: Float64Array, n: number, speeds: Float64Array): number {
    let total = 0;
    for (let k = 0; k < n; k++) total += demands[k]!;
    for (let k = 0; k < n; k++) {
      const d = demands[k]!;
      speeds[k] = this.speed(d, total - d, n - 1);
    }
    return total * this.invBandwidth + this.io;
  }

  aloneSpeed(demand: number): number {
    return this.speed(demand, 0, 0);
  }

  private speed(demand: number, othersDemand: number, othersCount: number): number {
    const main = this.mainPerDemand * demand;
    const alone = this.local + main;
    if (alone <= 0) return 1;
    const factor = contentionFactorOf(othersDemand * this.invBandwidth, othersCount, this.io, this.ioUnit);
    return alone / (this.local + main * this.invBandwidth * factor);
  }
}
