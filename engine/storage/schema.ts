import { Type, type Static } from '@sinclair/typebox';
import type { Workspace } from '../workspace/schema.js';
import type { ProbeResult } from './probe.js';

const Num = Type.Number();

/** A storage probe as the workspace keeps it: the steps are the measurement; the model is refitted from them. */
export const StorageProbeResultSchema = Type.Object({
  uri: Type.String({ maxLength: 2000 }),
  bs: Type.String({ maxLength: 16 }),
  blockBytes: Num,
  rw: Type.Union([Type.Literal('randread'), Type.Literal('randrw')]),
  secondsPerStep: Num,
  startedAt: Type.String({ format: 'date-time' }),
  complete: Type.Boolean(),
  steps: Type.Array(Type.Object({
    iodepth: Num, iops: Num, mbps: Num, meanMs: Num, p50Ms: Num, p95Ms: Num, p99Ms: Num, ios: Num,
  }, { additionalProperties: false }), { maxItems: 1000 }),
}, { additionalProperties: false });

export const StorageProbesSchema = Type.Array(
  Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }), result: StorageProbeResultSchema }, { additionalProperties: false }),
  { maxItems: 500, description: 'Storage probes (`headroom storage probe --save`): fio at rising iodepth through a gateway against a LUN, step by step.' },
);

export type SavedStorageProbe = Static<typeof StorageProbesSchema>[number];

// A probe the engine returns must be one the workspace can save: checked when compiling.
export const storageProbesAreSaveable: ProbeResult extends Static<typeof StorageProbeResultSchema> ? true : never = true;

/** The workspace with one more storage probe, under the next free id (storage-1, storage-2, ...). */
export function withStorageProbe(workspace: Workspace, result: ProbeResult): { workspace: Workspace; id: string } {
  const saved = workspace.storageProbes ?? [];
  const taken = new Set(saved.map((p) => p.id));
  let n = 1;
  while (taken.has(`storage-${n}`)) n++;
  const id = `storage-${n}`;
  return { workspace: { ...workspace, storageProbes: [...saved, { id, result }] }, id };
}
