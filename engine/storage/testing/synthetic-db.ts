import { modelInterval, sampleRowsOf, SamplePacker, SlaStore, type ModelPair } from '../../sla/index.js';

export interface SyntheticLun {
  gatewayId: string;
  lun: string;
  capacityIops: number;
  /** Mean service time at no load, ms (the analyzer's storage model: latency = S / (1 − ρ)). */
  serviceMs: number;
  /** Total IOPS the LUN's hosts offer in interval i. */
  demand: (i: number) => number;
}

export interface SyntheticDbOptions {
  file: string;
  luns: readonly SyntheticLun[];
  start: number;
  stepMs: number;
  intervals: number;
  noise?: number;
  seed?: number;
}

/**
 * An SLA database written through the real store (packer, ingest, rollups) from the analyzer's
 * own storage model, so its parameters (capacity, service time, demand) are known. Two hosts per
 * LUN share its demand 60/40.
 */
export function writeSyntheticDb(o: SyntheticDbOptions): void {
  const store = new SlaStore(o.file);
  try {
    const packer = new SamplePacker(store.lastBatchId() + 1);
    for (let i = 0; i < o.intervals; i++) {
      const at = o.start + i * o.stepMs;
      for (const lun of o.luns) {
        const demand = lun.demand(i);
        const pairs: ModelPair[] = [
          { gatewayId: lun.gatewayId, host: 'app-a', lun: lun.lun, demandIops: demand * 0.6, mbPerIo: 0.004096 },
          { gatewayId: lun.gatewayId, host: 'app-b', lun: lun.lun, demandIops: demand * 0.4, mbPerIo: 0.004096 },
        ];
        const stats = modelInterval({ backends: { [lun.gatewayId]: { capacityIops: lun.capacityIops, serviceMs: lun.serviceMs } }, noise: o.noise ?? 0, seed: o.seed ?? 1 }, pairs, [], i + 1);
        for (const row of sampleRowsOf(null, at, stats)) packer.add(row);
      }
      if (packer.size >= 1000) store.ingest(packer.take()!);
    }
    const rest = packer.take();
    if (rest) store.ingest(rest);
    store.rollup(o.start + o.intervals * o.stepMs + 2 * 3_600_000);
  } finally {
    store.close();
  }
}
