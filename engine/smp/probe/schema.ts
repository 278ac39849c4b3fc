import { Type, type Static } from '@sinclair/typebox';
import type { Workspace } from '../../workspace/schema.js';
import type { BusProbeResult } from './run.js';

const Num = Type.Number();
const Text = (max: number) => Type.String({ maxLength: max });

/** A bus probe as the workspace keeps it: measurements cannot be re-run identically, so the whole curve is saved. */
export const BusProbeResultSchema = Type.Object({
  measuredAt: Type.String({ format: 'date-time' }),
  machine: Type.Object({
    os: Text(300), arch: Text(50), cpuModel: Text(300), cpus: Num, memoryGiB: Num, node: Text(50), hostname: Text(300),
  }),
  threads: Num, seconds: Num, phaseMs: Num, lineBytes: Num,
  llc: Type.Object({ bytes: Num, level: Type.Union([Num, Type.Null()]), source: Type.Union([Type.Literal('sysfs'), Type.Literal('default')]) }),
  chaseBufferBytes: Num, streamBufferBytes: Num,
  idleLatencyNs: Num,
  peakBandwidth: Type.Array(Type.Object({ threads: Num, bytesPerSec: Num }), { maxItems: 1100 }),
  curves: Type.Array(Type.Object({
    threads: Num,
    points: Type.Array(Type.Object({ delay: Num, bandwidthBytesPerSec: Num, latencyNs: Num }), { maxItems: 1000 }),
  }), { maxItems: 100 }),
  fit: Type.Object({
    idleLatencyNs: Num, lineBytes: Num, peakBandwidthBytesPerSec: Num, transactionServiceNs: Num, arbitrationNs: Num,
    fitRmsErrorNs: Num, hardwareThreads: Num, model: Text(500), points: Num,
  }),
});

export const BusProbesSchema = Type.Array(
  Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }), result: BusProbeResultSchema }, { additionalProperties: false }),
  { maxItems: 100, description: "Bus probes of the machines this study was measured on (`headroom smp probe`, the What-if view's Bus probe): loaded latency against bandwidth and the fitted queueing parameters." },
);

export type SavedBusProbe = Static<typeof BusProbesSchema>[number];

// A probe the engine returns must be one the workspace can save: checked when compiling.
export const probesAreSaveable: BusProbeResult extends Static<typeof BusProbeResultSchema> ? true : never = true;

/** The next free id, probe-1, probe-2, ... */
export function nextProbeId(saved: readonly SavedBusProbe[]): string {
  const taken = new Set(saved.map((p) => p.id));
  for (let i = 1; ; i++) if (!taken.has(`probe-${i}`)) return `probe-${i}`;
}

/** The workspace with one more probe in its `busProbes`, under the next free id (the CLI's --save and the What-if view both add them so). */
export function withBusProbe(workspace: Workspace, result: BusProbeResult): { workspace: Workspace; id: string } {
  const saved = workspace.busProbes ?? [];
  const id = nextProbeId(saved);
  return { workspace: { ...workspace, busProbes: [...saved, { id, result }] }, id };
}
