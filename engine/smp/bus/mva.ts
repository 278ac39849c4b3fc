/**
 * Solutions of one closed queueing model: C threads (one customer each) alternate exponential
 * compute with mean Zᵢ and transactions on a single FCFS bus of exponential service S (the same for
 * every thread, so the network has product form), with an optional open stream of I/O transactions
 * that holds utilisation U_io. Time is in units of the reference bus's service time.
 *
 *   exactMva:      Reiser–Lavenberg recursion over all 2^C sub-populations (exact, C ≤ 20).
 *   schweitzerMva: Schweitzer's approximation, Q(K − c) ≈ Σ_{j≠c} Qⱼ (any C), with an optional
 *                  per-class retry cost (not product form, so approximate by construction).
 *   convolution:   the normalising constant of π(B) ∝ |B|! ∏_{i∈B} S/Zᵢ (exact, O(C²), any C):
 *                  what the simulator calls between events.
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
 * The exact solution through the normalising constant. With ρᵢ = S/Zᵢ and wₖ = k!·eₖ(ρ) (eₖ the
 * elementary symmetric polynomials), G = Σ wₖ; thread i is at the bus with probability
 * ρᵢ Σₖ (k+1)·wₖ(−i) / G and computes otherwise, so Xᵢ = P(computing)/Zᵢ. Adding a factor is
 * wₖ += k ρ wₖ₋₁ (rescaled so no co-schedule size overflows); removing one solves
 * wₖ = wₖ(−i) + k ρ wₖ₋₁(−i) forwards where kρ ≤ 1 and backwards where kρ > 1, the stable
 * direction of each. O(C²), exact for any C. `scratch` holds at least 2(C + 1) numbers.
 */
export function convolutionThroughput(think: ArrayLike<number>, C: number, service: number, x: Float64Array, scratch: Float64Array): void {
  const w = scratch; // w[0..C]
  const d = scratch.subarray(C + 1); // w(−i)[0..C−1]
  w[0] = 1;
  for (let k = 1; k <= C; k++) w[k] = 0;
  for (let i = 0; i < C; i++) {
    const rho = service / think[i]!;
    let top = 0;
    for (let k = i + 1; k >= 1; k--) { w[k] = w[k]! + k * rho * w[k - 1]!; if (w[k]! > top) top = w[k]!; }
    if (top > 1e150) for (let k = 0; k <= i + 1; k++) w[k] = w[k]! / top;
  }
  let g = 0;
  for (let k = 0; k <= C; k++) g += w[k]!;
  for (let i = 0; i < C; i++) {
    const rho = service / think[i]!;
    // Forward while kρ ≤ 1, from w(−i)₀ = w₀; backward from w(−i)_{C−1} = w_C / (Cρ) for the rest.
    const split = Math.min(C - 1, Math.floor(1 / rho));
    d[0] = w[0]!;
    for (let k = 1; k <= split; k++) d[k] = w[k]! - k * rho * d[k - 1]!;
    if (split < C - 1) {
      d[C - 1] = w[C]! / (C * rho);
      for (let k = C - 1; k > split + 1; k--) d[k - 1] = (w[k]! - d[k]!) / (k * rho);
    }
    let h = 0;
    for (let k = 0; k < C; k++) h += (k + 1) * d[k]!;
    const atBus = (rho * h) / g;
    x[i] = Math.max(0, 1 - atBus) / think[i]!;
  }
}
