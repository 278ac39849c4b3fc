import { createRng, type Rng } from '../prng.js';

/**
 * The bus performance monitor (Figure 6) as AutoPilot sees it: it accumulates the bus's
 * utilisation over fixed periods and offers the last complete period's mean, with optional
 * relative Gaussian noise drawn once per sample. The simulator feeds it the piecewise-constant
 * utilisation between events; the first reading, before any period has completed, is `initial`.
 */
export class BusMonitor {
  private boundary: number;
  private accumulated = 0;
  private sample: number;
  private sampleId = 0;
  private drawnId = 0;
  private drawn: number;
  private readonly rng: Rng;

  constructor(private readonly period: number, private readonly noise: number, seed: number, initial: number) {
    if (!(period > 0)) throw new RangeError(`monitor period must be > 0 (got ${period})`);
    this.boundary = period;
    this.sample = initial;
    this.drawn = initial;
    this.rng = createRng(seed ^ 0x27d4eb2f);
  }

  /** The bus held utilisation `load` from t to tn. */
  advance(t: number, tn: number, load: number): void {
    if (tn < this.boundary) { this.accumulated += load * (tn - t); return; }
    const last = Math.max(this.boundary, Math.floor(tn / this.period) * this.period);
    this.sample = last - this.period >= t ? load : (this.accumulated + load * (this.boundary - t)) / this.period;
    this.accumulated = load * (tn - last);
    this.boundary = last + this.period;
    this.sampleId++;
  }

  /** The latest sample (noise drawn lazily, so a dispatcher that never reads it draws nothing). */
  reading(): number {
    if (this.drawnId !== this.sampleId) {
      this.drawnId = this.sampleId;
      this.drawn = this.noise > 0 ? Math.max(0, this.sample * (1 + this.noise * this.rng.gaussian())) : this.sample;
    }
    return this.drawn;
  }
}
