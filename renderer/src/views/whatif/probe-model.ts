import type { SavedBusProbe } from '../../../../engine/smp/probe/schema.js';
import { probeModelLatencyNs } from '../../../../engine/smp/probe/fit.js';

type Probe = SavedBusProbe['result'];

/**
 * The model's loaded latency at a bandwidth for the chart's model curve. For now this is the
 * probe's own fitted M/D/1 law; when the measured bus law's mapping to queueing parameters lands
 * (engine/smp/bus), switch this one function to it and the chart and error follow.
 */
export function modelLatencyNs(probe: Probe, bandwidthBytesPerSec: number): number {
  return probeModelLatencyNs(probe.fit, bandwidthBytesPerSec);
}

export interface ProbeErrorRow { threads: number; delay: number; bandwidthGBps: number; measuredNs: number; modelNs: number; errorNs: number; errorPct: number }

/** Model against measurement at every loaded point: the figures the view prints under the chart. */
export function probeErrors(probe: Probe): ProbeErrorRow[] {
  return probe.curves.flatMap((c) => c.points.map((p) => {
    const modelNs = modelLatencyNs(probe, p.bandwidthBytesPerSec);
    return { threads: c.threads, delay: p.delay, bandwidthGBps: p.bandwidthBytesPerSec / 1e9, measuredNs: p.latencyNs, modelNs, errorNs: modelNs - p.latencyNs, errorPct: (100 * (modelNs - p.latencyNs)) / p.latencyNs };
  }));
}

