import { useMemo } from 'react';
import type { Data } from 'plotly.js';
import { measuredBusOfProbe, measuredLawCurve, probeErrors, probeLabel, type ProbeErrorRow } from '../../../../engine/smp/probe/measured-bus.js';
import type { SavedBusProbe } from '../../../../engine/smp/probe/schema.js';
import type { MeasuredBusParameters } from '../../../../engine/smp/bus/measured-parameters.js';
import type { Workspace } from '../../../../engine/workspace/schema.js';
import { Chart } from '../../components/Chart.js';
import { fmt } from './model.js';

type Checked = { ok: true; probe: SavedBusProbe; measured: MeasuredBusParameters; errors: ProbeErrorRow[] } | { ok: false; message: string };

/** A saved probe read through the engine's checks: its measured law and its errors, or the place its data is bad. */
export function useCheckedProbe(workspace: Pick<Workspace, 'busProbes'>, file: string | null, probeId: string): Checked {
  return useMemo(() => {
    try {
      const probe = (workspace.busProbes ?? []).find((p) => p.id === probeId);
      const measured = measuredBusOfProbe(workspace, file, probeId);
      return { ok: true, probe: probe!, measured, errors: probeErrors(workspace, file, probeId) };
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }, [workspace, file, probeId]);
}

/**
 * The probe's measurement and the measured bus law on one chart, with the error (model − measured).
 * The model line is the engine's law for the `measured` bus (the probe's record through
 * queueingParametersFromMeasurement), the same parameters a scenario on this probe runs on.
 */
export function MeasuredBusChart({ workspace, file, probeId, testId }: { workspace: Pick<Workspace, 'busProbes'>; file: string | null; probeId: string; testId: string }) {
  const checked = useCheckedProbe(workspace, file, probeId);
  const data = useMemo<Data[]>(() => {
    if (!checked.ok) return [];
    const { probe, measured: m, errors } = checked;
    const points: Data[] = probe.result.curves.map((c) => ({
      x: c.points.map((p) => p.bandwidthBytesPerSec / 1e9), y: c.points.map((p) => p.latencyNs),
      name: `measured, ${c.threads} threads`, type: 'scatter', mode: 'markers', marker: { size: 8 },
      text: c.points.map((p) => `delay ${p.delay}`), hovertemplate: '%{x:.2f} GB/s, %{y:.1f} ns (%{text})<extra></extra>',
    }));
    // The chaser alone moves one line per idle latency: bytes per ns is GB/s.
    const idle: Data = { x: [m.lineBytes / probe.result.idleLatencyNs], y: [probe.result.idleLatencyNs], name: 'idle (chaser alone)', type: 'scatter', mode: 'markers', marker: { size: 10, symbol: 'diamond' } };
    const curve = measuredLawCurve(m);
    const model: Data = {
      x: curve.map((p) => p.bandwidthBytesPerSec / 1e9), y: curve.map((p) => p.latencyNs),
      name: 'measured bus law (queueing, probe\'s parameters)', type: 'scatter', mode: 'lines', hovertemplate: '%{x:.2f} GB/s, %{y:.1f} ns<extra>measured law</extra>',
    };
    const residuals: Data = {
      x: errors.map((e) => e.bandwidthGBps), y: errors.map((e) => e.errorNs), name: 'model − measured (ns, lower panel)',
      type: 'bar', yaxis: 'y2', opacity: 0.45, width: errors.map(() => m.peakBandwidthBytesPerSec / 1e9 / 40),
    };
    // The peak is a measured point where the law's queue is capped: marked, not drawn through.
    const peakGBps = m.peakBandwidthBytesPerSec / 1e9;
    const top = Math.max(...curve.map((p) => p.latencyNs), ...probe.result.curves.flatMap((c) => c.points.map((p) => p.latencyNs)));
    const peak: Data = { x: [peakGBps, peakGBps], y: [0, top], name: `measured peak ${fmt(peakGBps, 3)} GB/s`, type: 'scatter', mode: 'lines', line: { dash: 'dot', width: 1 }, hoverinfo: 'skip' };
    return [...points, idle, model, peak, residuals];
  }, [checked]);
  if (!checked.ok) return <p className="error" role="alert" data-testid={`${testId}-error`}>{checked.message}</p>;
  const m = checked.measured;
  return (
    <Chart testId={testId} data={data} layout={{
      title: { text: `Loaded latency vs bandwidth, ${probeLabel(checked.probe)}: measured and the measured bus law (RMS error ${fmt(m.fitRmsErrorNs, 3)} ns)`, font: { size: 13 } },
      // Anchored to the error panel, so the axis and its title sit under both panels.
      xaxis: { title: { text: 'bandwidth (GB/s)' }, rangemode: 'tozero', anchor: 'y2' },
      // The error has its own panel under the curve, with its zero in view: on a shared, overlaid
      // axis its ticks fell at arbitrary values and the bars hung from the latency curve's middle.
      yaxis: { title: { text: 'loaded latency (ns)' }, rangemode: 'tozero', domain: [0.36, 1] },
      yaxis2: { title: { text: 'error (ns)' }, domain: [0, 0.26], anchor: 'x', zeroline: true, zerolinecolor: '#8a8f98', gridcolor: '#34373d', automargin: true },
      margin: { l: 60, r: 44, t: 44, b: 120 },
    }} height={480} />
  );
}
