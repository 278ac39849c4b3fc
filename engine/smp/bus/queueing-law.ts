import { busLawLabels, type BusLaw, type BusLawId } from './law.js';
import { convolutionThroughput, schweitzerMva } from './mva.js';
import type { QueueingBusParameters } from './queueing-parameters.js';

/** A demand of 100% has no compute between transactions; this keeps its think time finite. */
const MAX_DEMAND = 1 - 1e-9;

export interface QueueingMachine {
  busBandwidth: number;
  ioLoad: number;
}

/**
 * The mechanistic bus. A thread of demand d (its bus share when alone on the reference bus)
 * alternates compute of mean Z = (1 − d)/d and one transaction of service 1 (the reference bus's
 * occupancy; time is in those units). On this machine a transaction takes 1/B, plus the arbitration
 * overhead while two or more masters share the bus; background I/O is an open stream of
 * transactions holding its share. Between dispatcher events the co-schedule is fixed for many
 * thousands of transactions, so each thread's speed is the steady state of that closed network —
 * the exact equivalent of running it transaction by transaction (a test checks it against the
 * transaction-level DES). Speed = X (Z + 1): transactions completed per unit time over those alone
 * on the reference bus. Solved exactly by the normalising constant; with a retry cost the network
 * loses product form and Schweitzer's approximation solves it. Round-robin arbitration is solved
 * with the FCFS solution: round-robin changes who waits more than how much gets done (on a saturated
 * bus the round-robin DES is within 3% in total and 10% per thread, favouring light threads; a test holds it there).
 */
export class QueueingBusLaw implements BusLaw {
  readonly label: string;
  private readonly service: number;
  private readonly arbitration: number;
  private readonly retry: number;
  private readonly ioRate: number;
  private think = new Float64Array(8);
  private x = new Float64Array(8);
  private scratch = new Float64Array(18);
  private index = new Int32Array(8);

  constructor(m: QueueingMachine, p: QueueingBusParameters, readonly id: Extract<BusLawId, 'queueing' | 'measured'> = 'queueing') {
    if (!(p.serviceCycles > 0)) throw new RangeError(`serviceCycles must be > 0 (got ${p.serviceCycles})`);
    this.label = busLawLabels[id];
    this.service = 1 / m.busBandwidth;
    this.arbitration = p.arbitrationCycles / p.serviceCycles / m.busBandwidth;
    this.retry = p.retryCycles / p.serviceCycles / m.busBandwidth;
    this.ioRate = m.ioLoad;
  }

  evaluate(demands: Float64Array, n: number, speeds: Float64Array): number {
    if (this.think.length < n) this.grow(n);
    let active = 0;
    for (let k = 0; k < n; k++) {
      const d = demands[k]!;
      if (d <= 0) { speeds[k] = 1; continue; }
      const dd = d > MAX_DEMAND ? MAX_DEMAND : d;
      this.think[active] = (1 - dd) / dd;
      this.index[active++] = k;
    }
    const masters = active + (this.ioRate > 0 ? 1 : 0);
    const s = this.service + (masters >= 2 ? this.arbitration : 0);
    const io = Math.min(0.999, this.ioRate * s);
    if (active === 0) return io;
    const x = this.x;
    if (this.retry === 0) {
      convolutionThroughput(this.think, active, s / (1 - io), x, this.scratch);
    } else {
      schweitzerMva({ think: this.think.subarray(0, active), service: s, ioUtilisation: io }, this.retry, x);
    }
    let busy = io;
    for (let a = 0; a < active; a++) {
      const z = this.think[a]!;
      speeds[this.index[a]!] = x[a]! * (z + 1);
      busy += x[a]! * s;
    }
    if (this.retry > 0) {
      // Retries hold the bus too: each transaction that found it busy adds `retry`.
      let extra = 0;
      for (let a = 0; a < active; a++) extra += x[a]! * this.retry * Math.min(1, Math.max(0, busy - x[a]! * s));
      busy += extra;
    }
    return Math.min(1, busy);
  }

  aloneSpeed(demand: number): number {
    const d = new Float64Array([demand]);
    const out = new Float64Array(1);
    this.evaluate(d, 1, out);
    return out[0]!;
  }

  private grow(n: number): void {
    const size = Math.max(n, this.think.length * 2);
    this.think = new Float64Array(size);
    this.x = new Float64Array(size);
    this.index = new Int32Array(size);
    this.scratch = new Float64Array(2 * (size + 1));
  }
}
