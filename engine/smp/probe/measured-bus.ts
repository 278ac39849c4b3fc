import { Value } from '@sinclair/typebox/value';
import { MAX_LOADED_UTILISATION, measuredLoadedLatencyNs } from '../bus/loaded-latency.js';
import type { MeasuredBusParameters } from '../bus/measured-parameters.js';
import { MeasuredBusParametersSchema } from '../bus/measured-schema.js';
import type { Scenario } from '../scenario-schema.js';
import { WorkspaceError } from '../../workspace/errors.js';
import type { Workspace } from '../../workspace/schema.js';
import type { SavedBusProbe } from './schema.js';

// Pure (no Node): the What-if view imports this, so the renderer and the engine read a saved probe
// one way and the chart is drawn from the law the simulator runs.

/** What a workspace calls itself in an error when it has no file yet. */
export const UNSAVED_WORKSPACE = 'unsaved workspace';

const MAX_MEASURED_VALUE = 1e15;

const MEASURED_FIELDS = Object.keys(MeasuredBusParametersSchema.properties) as (keyof MeasuredBusParameters)[];

/** "host (CPU model), 2026-12-01 13:12 UTC": the machine and date a planner picks a measured bus by. */
export function probeLabel(probe: SavedBusProbe): string {
  const m = probe.result.machine;
  const at = probe.result.measuredAt;
  const date = /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(at) ? `${at.slice(0, 10)} ${at.slice(11, 16)} UTC` : at;
  return `${m.hostname} (${m.cpuModel}), ${date}`;
}

/**
 * The measured bus record of a saved probe, checked as the `measured` law needs it. The workspace
 * schema only says the fit's fields are numbers; a hand-edited or truncated probe can hold a zero
 * service time, a negative arbitration cost or a missing field, and each is refused here with the
 * workspace file and the JSON pointer of the field rather than failing inside the simulator.
 */
export function measuredBusOfProbe(workspace: Pick<Workspace, 'busProbes'>, file: string | null, probeId: string): MeasuredBusParameters {
  const { probe, pointer } = findProbe(workspace, file, probeId);
  const where = (rest: string): string => `${pointer}/result/fit${rest}`;
  const fit: unknown = (probe.result as { fit?: unknown }).fit;
  if (typeof fit !== 'object' || fit === null) throw new WorkspaceError(file ?? UNSAVED_WORKSPACE, where(''), 'the probe has no fitted parameters', 'invalid');
  const record = Object.fromEntries(MEASURED_FIELDS.map((k) => [k, (fit as Record<string, unknown>)[k]]).filter(([, v]) => v !== undefined));
  const first = Value.Errors(MeasuredBusParametersSchema, record).First();
  if (first) {
    const field = first.path === '' ? MEASURED_FIELDS.find((k) => !(k in record)) ?? '' : first.path.slice(1);
    const value = (record as Record<string, unknown>)[field];
    const detail = value === undefined ? 'missing: the measured bus law needs it' : `${first.message.replace(/^Expected (number|integer) to be /, 'must be ').replace(/^Expected /, 'must be ')} (got ${JSON.stringify(value)})`;
    throw new WorkspaceError(file ?? UNSAVED_WORKSPACE, where(field ? `/${field}` : ''), detail, 'invalid');
  }
  const m = record as unknown as MeasuredBusParameters;
  // No machine measures anything near 1e15 ns or bytes per second; beyond that, cycles overflow to Infinity.
  const huge = MEASURED_FIELDS.find((k) => m[k] > MAX_MEASURED_VALUE);
  if (huge) throw new WorkspaceError(file ?? UNSAVED_WORKSPACE, where(`/${huge}`), `is out of range for a measurement (got ${m[huge]}; at most ${MAX_MEASURED_VALUE})`, 'invalid');
  // A probe always measures its idle latency; the loaded-latency line starts there.
  if (!(m.idleLatencyNs > 0)) throw new WorkspaceError(file ?? UNSAVED_WORKSPACE, where('/idleLatencyNs'), `must be greater than 0: a probe measures it (got ${m.idleLatencyNs})`, 'invalid');
  // The service time is lineBytes / peak by construction; a record where it is not is not a probe's.
  const expected = (m.lineBytes / m.peakBandwidthBytesPerSec) * 1e9;
  if (Math.abs(m.transactionServiceNs - expected) > 1e-6 * expected) {
    throw new WorkspaceError(file ?? UNSAVED_WORKSPACE, where('/transactionServiceNs'),
      `is ${m.transactionServiceNs} ns, but lineBytes / peakBandwidthBytesPerSec gives ${expected} ns`, 'invalid');
  }
  return m;
}

/**
 * The scenario on the measured bus of a saved probe: the law and the probe's parameters, inline, so
 * it runs the same anywhere (`smp simulate` included). Cycle overrides in `queueing` would replace
 * what was measured, so they go; the arbitration order is the planner's choice and stays.
 */
export function scenarioOnProbe(scenario: Scenario, workspace: Pick<Workspace, 'busProbes'>, file: string | null, probeId: string): Scenario {
  const measuredBus = { ...measuredBusOfProbe(workspace, file, probeId) };
  const { queueing, ...rest } = scenario;
  return { ...rest, bus: 'measured', measuredBus, ...(queueing?.arbitration ? { queueing: { arbitration: queueing.arbitration } } : {}) };
}

/** The saved probe whose parameters a scenario's measured bus carries, if any. */
export function probeOfScenario(scenario: Scenario, probes: readonly SavedBusProbe[]): SavedBusProbe | null {
  const m = scenario.measuredBus;
  if (!m) return null;
  return probes.find((p) => MEASURED_FIELDS.every((k) => (p.result.fit as Record<string, unknown>)[k] === m[k])) ?? null;
}

export interface ProbeErrorRow { threads: number; delay: number; bandwidthGBps: number; measuredNs: number; modelNs: number; errorNs: number; errorPct: number }

/**
 * The measured law against the probe's measurement at every loaded point, checked point by point:
 * a latency that is not positive or a bandwidth below zero is refused with its place.
 */
export function probeErrors(workspace: Pick<Workspace, 'busProbes'>, file: string | null, probeId: string): ProbeErrorRow[] {
  const m = measuredBusOfProbe(workspace, file, probeId);
  const { probe, pointer } = findProbe(workspace, file, probeId);
  const curves: unknown = (probe.result as { curves?: unknown }).curves;
  if (!Array.isArray(curves)) throw new WorkspaceError(file ?? UNSAVED_WORKSPACE, `${pointer}/result/curves`, 'missing', 'invalid');
  return curves.flatMap((c: SavedBusProbe['result']['curves'][number], i) => (Array.isArray(c?.points) ? c.points : []).map((p, j) => {
    const at = `${pointer}/result/curves/${i}/points/${j}`;
    if (!(Number.isFinite(p?.latencyNs) && p.latencyNs > 0)) throw new WorkspaceError(file ?? UNSAVED_WORKSPACE, `${at}/latencyNs`, `must be a latency > 0 ns (got ${String(p?.latencyNs)})`, 'invalid');
    if (!(Number.isFinite(p.bandwidthBytesPerSec) && p.bandwidthBytesPerSec >= 0)) throw new WorkspaceError(file ?? UNSAVED_WORKSPACE, `${at}/bandwidthBytesPerSec`, `must be a bandwidth ≥ 0 (got ${String(p.bandwidthBytesPerSec)})`, 'invalid');
    const modelNs = measuredLoadedLatencyNs(m, p.bandwidthBytesPerSec);
    return { threads: c.threads, delay: p.delay, bandwidthGBps: p.bandwidthBytesPerSec / 1e9, measuredNs: p.latencyNs, modelNs, errorNs: modelNs - p.latencyNs, errorPct: (100 * (modelNs - p.latencyNs)) / p.latencyNs };
  }));
}

/**
 * The measured law's loaded-latency curve from idle up to MAX_LOADED_UTILISATION of the probe's
 * peak, for the chart's model line. Past that the law caps the queue, and a line drawn on to the
 * peak would run flat: a levelling-off no bus shows, drawn by the cap rather than the model.
 */
export function measuredLawCurve(m: MeasuredBusParameters, steps = 60): Array<{ bandwidthBytesPerSec: number; latencyNs: number }> {
  const top = m.peakBandwidthBytesPerSec * MAX_LOADED_UTILISATION;
  return Array.from({ length: steps }, (_, i) => {
    const x = (top * i) / (steps - 1);
    return { bandwidthBytesPerSec: x, latencyNs: measuredLoadedLatencyNs(m, x) };
  });
}

function findProbe(workspace: Pick<Workspace, 'busProbes'>, file: string | null, probeId: string): { probe: SavedBusProbe; pointer: string } {
  const probes = workspace.busProbes ?? [];
  const index = probes.findIndex((p) => p.id === probeId);
  if (index < 0) throw new WorkspaceError(file ?? UNSAVED_WORKSPACE, '/busProbes', `no bus probe "${probeId}" in this workspace`, 'invalid');
  return { probe: probes[index]!, pointer: `/busProbes/${index}` };
}
