import { checkPolicy, modelInterval, sampleRowsOf, SamplePacker, SlaStore, type ModelPair, type Policy } from '../../sla/index.js';

export interface SyntheticLun {
  gatewayId: string;
  lun: string;
  capacityIops: number;
  /** Mean service time at no load, ms (the analyzer's storage model: latency = S / (1 − ρ)). */
  serviceMs: number;
  /** Total IOPS the LUN's hosts offer in interval i (split 60/40 over hosts app-a and app-b unless `hosts` is given). */
  demand?: (i: number) => number;
  /** The LUN's hosts, each with its own demand (the policy's bindings give each its class). */
  hosts?: readonly SyntheticHost[];
}

export interface SyntheticHost {
  host: string;
  demand: (i: number) => number;
  /** MB per I/O (default 4 KiB). */
  mbPerIo?: number;
}

export interface SyntheticDbOptions {
  file: string;
  luns: readonly SyntheticLun[];
  start: number;
  stepMs: number;
  intervals: number;
  noise?: number;
  seed?: number;
  /** A policy (YAML) recorded in the database as version 1, applied at `start`; its bindings tag each sample with its class. */
  policy?: string;
}

/**
 * An SLA database written through the real store (packer, ingest, rollups) from the analyzer's
 * own storage model, so its parameters (capacity, service time, demand) are known. Two hosts per
 * LUN share its demand 60/40, or each host given has its own.
 */
export function writeSyntheticDb(o: SyntheticDbOptions): void {
  let policy: Policy | null = null;
  if (o.policy !== undefined) {
    const checked = checkPolicy(o.policy);
    if (!checked.policy) throw new Error(`synthetic policy: ${JSON.stringify(checked.diagnostics)}`);
    policy = checked.policy;
  }
  const store = new SlaStore(o.file);
  try {
    if (policy) store.recordPolicy({ version: 1, appliedAt: o.start, name: policy.name, source: 'synthetic', text: o.policy! });
    const packer = new SamplePacker(store.lastBatchId() + 1);
    for (let i = 0; i < o.intervals; i++) {
      const at = o.start + i * o.stepMs;
      for (const lun of o.luns) {
        const hosts = lun.hosts ?? [{ host: 'app-a', demand: (k: number) => lun.demand!(k) * 0.6 }, { host: 'app-b', demand: (k: number) => lun.demand!(k) * 0.4 }];
        const pairs: ModelPair[] = hosts.map((h) => ({ gatewayId: lun.gatewayId, host: h.host, lun: lun.lun, demandIops: h.demand(i), mbPerIo: h.mbPerIo ?? 0.004096 }));
        const stats = modelInterval({ backends: { [lun.gatewayId]: { capacityIops: lun.capacityIops, serviceMs: lun.serviceMs } }, noise: o.noise ?? 0, seed: o.seed ?? 1 }, pairs, [], i + 1);
        for (const row of sampleRowsOf(policy, at, stats)) packer.add(row);
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
