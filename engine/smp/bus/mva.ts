/**
 * Solutions of one closed queueing model: C threads (one customer each) alternate exponential
 * compute with mean Zᵢ and transactions on a single FCFS bus of exponential service S (the same for
 * every thread, so the network has product form), with an optional open stream of I/O transactions
 * that holds utilisation U_io. Time is in units of the reference bus's service time.
 *
 *   exactMva:      Reiser–Lavenberg recursion over all 2^C sub-populations (exact, C ≤ 20).
 *   schweitzerMva: Schweitzer's approximation, Q(K − c) ≈ Σ_{j≠c} Qⱼ (any C), with an optional
 *                  per-class retry cost (not product form, so approximate by construction).
 *   convolution:   the normalising constant of π(B) ∝ |B|! ∏_{i∈B} S/Zᵢ (exact, O(C²)): what the
 *                  simulator calls between events.
 * All three return per-thread throughput X (transactions per unit time).
 */
export interface ClosedBus {
  /** Mean compute time between transactions, per thread (> 0). */
  think: ArrayLike<number>;
  /** Service time of one transaction (arbitration included). */
  service: number;
  /** Utilisation held by the open I/O stream, in [0, 1). */
  ioUtilisation: number;
}

export const EXACT_MVA_MAX_CLASSES = 20;

export function exactMva(bus: ClosedBus): Float64Array {
  const C = bus.think.length;
  if (C > EXACT_MVA_MAX_CLASSES) throw new RangeError(`exact MVA covers at most ${EXACT_MVA_MAX_CLASSES} threads (got ${C}); use Schweitzer's approximation`);
  const s = bus.service / (1 - bus.ioUtilisation);
  const queue = new Float64Array(1 << C);
  const x = new Float64Array(C);
  for (let mask = 1; mask < 1 << C; mask++) {
    let q = 0;
    for (let c = 0; c < C; c++) {
      const bit = 1 << c;
      if ((mask & bit) === 0) continue;
      const r = s * (1 + queue[mask ^ bit]!);
      const xc = 1 / (bus.think[c]! + r);
      q += xc * r;
      if (mask === (1 << C) - 1) x[c] = xc;
    }
    queue[mask] = q;
  }
  return x;
}

export function schweitzerMva(bus: ClosedBus, retry = 0, out?: Float64Array): Float64Array {
  const C = bus.think.length;
  const x = out ?? new Float64Array(C);
  const inflate = 1 / (1 - bus.ioUtilisation);
  const q = new Float64Array(C).fill(0.5);
  const serv = new Float64Array(C).fill(bus.service);
  for (let iter = 0; iter < 500; iter++) {
    let total = 0;
    for (let c = 0; c < C; c++) total += q[c]!;
    let busy = bus.ioUtilisation;
    for (let c = 0; c < C; c++) busy += x[c]! * serv[c]!;
    let change = 0;
    for (let c = 0; c < C; c++) {
      if (retry > 0) {
        // A transaction finds the bus busy with the probability the others keep it busy (arrival theorem).
        const others = Math.min(1, busy - x[c]! * serv[c]!);
        serv[c] = bus.service + retry * Math.max(0, others);
      }
      const r = serv[c]! * inflate * (1 + total - q[c]!);
      const xc = 1 / (bus.think[c]! + r);
      const qc = xc * r;
      change = Math.max(change, Math.abs(qc - q[c]!));
      q[c] = qc;
      x[c] = xc;
    }
    if (change < 1e-12) break;
  }
  return x;
}

/**
 * The exact solution through the normalising constant. e_k are the elementary symmetric
 * polynomials of ρᵢ = S/Zᵢ; G = Σ k! e_k; thread i is at the bus with probability
 * ρᵢ Σ_k (k+1)! e_k(−i) / G, and thinks otherwise, so Xᵢ = P(thinking)/Zᵢ. e_k(−i) comes from
 * deleting one factor: forward when ρᵢ ≤ 1, backward when ρᵢ > 1 (each direction is the stable one).
 * `scratch` holds at least 2(C + 1) numbers. Exact for C up to ~16 before k!·e_k loses range.
 */
export function convolutionThroughput(think: ArrayLike<number>, C: number, service: number, x: Float64Array, scratch: Float64Array): void {
  const e = scratch; // e[0..C]
  const d = scratch.subarray(C + 1); // e(−i)[0..C−1]
  e[0] = 1;
  for (let k = 1; k <= C; k++) e[k] = 0;
  for (let i = 0; i < C; i++) {
    const rho = service / think[i]!;
    for (let k = i + 1; k >= 1; k--) e[k] = e[k]! + rho * e[k - 1]!;
  }
  let g = 0;
  let fact = 1;
  for (let k = 0; k <= C; k++) { if (k > 0) fact *= k; g += fact * e[k]!; }
  for (let i = 0; i < C; i++) {
    const rho = service / think[i]!;
    if (rho <= 1) {
      d[0] = 1;
      for (let k = 1; k < C; k++) d[k] = e[k]! - rho * d[k - 1]!;
    } else {
      d[C - 1] = e[C]! / rho;
      for (let k = C - 1; k >= 1; k--) d[k - 1] = (e[k]! - d[k]!) / rho;
    }
    let h = 0;
    let f = 1; // (k+1)!
    for (let k = 0; k < C; k++) { f *= k + 1; h += f * d[k]!; }
    const atBus = (rho * h) / g;
    x[i] = Math.max(0, 1 - atBus) / think[i]!;
  }
}
