import { VALUES_PER_SAMPLE, type PackedSamples, type SampleRow, type SeriesKey } from './types.js';

/**
 * Packs sample rows into columnar batches for the store. Keeps the sender's numbering of
 * series, so each series' key crosses the mailbox once. A packer belongs to one store.
 */
export class SamplePacker {
  /** gateway → host → LUN → class → series number; nested maps spare a key string per row. */
  private readonly seriesIndex = new Map<string, Map<string, Map<string, Map<string | null, number>>>>();
  private seriesCount = 0;
  private pending: { index: number; key: SeriesKey }[] = [];
  private t: Float64Array;
  private series: Int32Array;
  private values: Float64Array;
  private count = 0;

  constructor(private nextBatchId = 1, capacity = 4096) {
    this.t = new Float64Array(capacity);
    this.series = new Int32Array(capacity);
    this.values = new Float64Array(capacity * VALUES_PER_SAMPLE);
  }

  get size(): number {
    return this.count;
  }

  add(row: SampleRow): void {
    let byHost = this.seriesIndex.get(row.gatewayId);
    if (!byHost) this.seriesIndex.set(row.gatewayId, (byHost = new Map()));
    let byLun = byHost.get(row.host);
    if (!byLun) byHost.set(row.host, (byLun = new Map()));
    let byClass = byLun.get(row.lun);
    if (!byClass) byLun.set(row.lun, (byClass = new Map()));
    let index = byClass.get(row.className);
    if (index === undefined) {
      index = this.seriesCount++;
      byClass.set(row.className, index);
      this.pending.push({ index, key: { gatewayId: row.gatewayId, host: row.host, lun: row.lun, className: row.className } });
    }
    if (this.count === this.t.length) this.grow();
    const i = this.count++;
    this.t[i] = row.t;
    this.series[i] = index;
    const v = i * VALUES_PER_SAMPLE;
    this.values[v] = row.iops;
    this.values[v + 1] = row.mbps;
    this.values[v + 2] = row.p50Us;
    this.values[v + 3] = row.p95Us;
    this.values[v + 4] = row.p99Us;
    this.values[v + 5] = row.queueDepth;
  }

  /** The rows added since the last take, as one batch with the next batch id (null when empty). */
  take(): PackedSamples | null {
    if (this.count === 0) return null;
    const batch: PackedSamples = {
      batchId: this.nextBatchId++,
      newSeries: this.pending,
      count: this.count,
      t: this.t.slice(0, this.count),
      series: this.series.slice(0, this.count),
      values: this.values.slice(0, this.count * VALUES_PER_SAMPLE),
    };
    this.pending = [];
    this.count = 0;
    return batch;
  }

  private grow(): void {
    const t = new Float64Array(this.t.length * 2);
    t.set(this.t);
    const series = new Int32Array(this.series.length * 2);
    series.set(this.series);
    const values = new Float64Array(this.values.length * 2);
    values.set(this.values);
    this.t = t;
    this.series = series;
    this.values = values;
  }
}
