import { useEffect, useMemo, useState } from 'react';
import type { Data } from 'plotly.js';
import type { SavedBusProbe } from '../../../../engine/smp/probe/schema.js';
import { Chart } from '../../components/Chart.js';
import type { EngineConnection } from '../../engine/connection.js';
import { useLongRun } from '../../useLongRun.js';
import { NumberField } from './NumberField.js';
import { fmt } from './model.js';
import { modelLatencyNs, probeErrors } from './probe-model.js';

type Probe = SavedBusProbe['result'];

/** Measure this machine's memory bus (MLC-style loaded latency) and compare the fitted queueing law with it. */
export function BusProbeSection(props: { connection: EngineConnection; probes: SavedBusProbe[]; onSave: (result: Probe) => void }) {
  const [threads, setThreads] = useState<number | null>(null);
  const [seconds, setSeconds] = useState(10);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const probeRun = useLongRun<{ done: number; total: number; label: string }>();
  const { progress, error } = probeRun;
  const selected = props.probes.find((p) => p.id === selectedId) ?? props.probes.at(-1) ?? null;

  // Default to the engine's machine (it runs the probe), every hardware thread: nothing assumes two cores.
  useEffect(() => { props.connection.engine.call('engine.info', {}).then((info) => setThreads((t) => t ?? info.cpus)).catch(() => setThreads((t) => t ?? 1)); }, [props.connection]);

  const run = async (): Promise<void> => {
    const result = await probeRun.start({ done: 0, total: 1, label: 'starting' }, (signal, onProgress) =>
      props.connection.engine.stream('smp.probe', { ...(threads !== null ? { threads } : {}), seconds }, { signal, onProgress }));
    if (result) { props.onSave(result); setSelectedId(null); }
  };

  return (
    <section className="panel" data-testid="whatif-probe">
      <h2>Bus probe</h2>
      <p className="muted">Measures this machine as Intel's Memory Latency Checker does: one thread chases pointers through a buffer larger than the last-level cache while the others stream through memory at a series of injection rates. The fit gives the measured bus law its parameters.</p>
      <div className="field-row">
        <NumberField label="Threads (1 chases, the rest stream)" value={threads ?? undefined} min={1} max={1024} integer onChange={(v) => { if (v !== undefined) setThreads(v); }} testId="probe-threads" />
        <NumberField label="Seconds" value={seconds} min={0.1} max={600} onChange={(v) => { if (v !== undefined) setSeconds(v); }} testId="probe-seconds" />
      </div>
      <div className="action-row">
        {progress
          ? <button onClick={probeRun.cancel} data-testid="probe-cancel">Cancel</button>
          : <button className="primary" onClick={() => void run()} data-testid="probe-run">Run probe</button>}
        {progress && (
          <span className="progress-line" data-testid="probe-progress">
            <progress value={progress.done} max={progress.total} /> {progress.done} / {progress.total} phases: {progress.label}
          </span>
        )}
        {props.probes.length > 1 && (
          <label className="field compact">
            <span>Probe</span>
            <select value={selected?.id ?? ''} onChange={(e) => setSelectedId(e.target.value)} data-testid="probe-select">
              {props.probes.map((p) => <option key={p.id} value={p.id}>{p.id}: {new Date(p.result.measuredAt).toLocaleString()}</option>)}
            </select>
          </label>
        )}
      </div>
      {error && <p className="error" role="alert" data-testid="probe-error">{error}</p>}
      {!selected && !progress && <p className="muted">No probe yet in this workspace.</p>}
      {selected && <ProbeResult probe={selected.result} />}
    </section>
  );
}

function ProbeResult({ probe }: { probe: Probe }) {
  const errors = useMemo(() => probeErrors(probe), [probe]);
  const data = useMemo<Data[]>(() => {
    const measured: Data[] = probe.curves.map((c) => ({
      x: c.points.map((p) => p.bandwidthBytesPerSec / 1e9), y: c.points.map((p) => p.latencyNs),
      name: `measured, ${c.threads} threads`, type: 'scatter', mode: 'markers', marker: { size: 8 },
      text: c.points.map((p) => `delay ${p.delay}`), hovertemplate: '%{x:.2f} GB/s, %{y:.1f} ns (%{text})<extra></extra>',
    }));
    const idle: Data = { x: [64 / probe.idleLatencyNs], y: [probe.idleLatencyNs], name: 'idle (chaser alone)', type: 'scatter', mode: 'markers', marker: { size: 10, symbol: 'diamond' } };
    const top = probe.fit.peakBandwidthBytesPerSec;
    const xs = Array.from({ length: 60 }, (_, i) => (top * i) / 59);
    const model: Data = { x: xs.map((x) => x / 1e9), y: xs.map((x) => modelLatencyNs(probe, x)), name: 'model (fitted M/D/1 law)', type: 'scatter', mode: 'lines' };
    const residuals: Data = {
      x: errors.map((e) => e.bandwidthGBps), y: errors.map((e) => e.errorNs), name: 'model − measured (ns, right axis)',
      type: 'bar', yaxis: 'y2', opacity: 0.45, width: errors.map(() => top / 1e9 / 40),
    };
    return [...measured, idle, model, residuals];
  }, [probe, errors]);
  const f = probe.fit;
  return (
    <div data-testid="probe-results">
      <Chart testId="chart-probe" data={data} layout={{
        title: { text: `Loaded latency vs bandwidth: measured and model (RMS error ${fmt(f.fitRmsErrorNs, 3)} ns)` },
        xaxis: { title: { text: 'bandwidth, GB/s' }, rangemode: 'tozero' },
        yaxis: { title: { text: 'latency, ns' }, rangemode: 'tozero' },
        yaxis2: { title: { text: 'model − measured, ns' }, overlaying: 'y', side: 'right', showgrid: false, zeroline: true },
        margin: { l: 60, r: 70, t: 44, b: 120 },
      }} />
      <p className="muted" data-testid="probe-summary">
        Idle latency {fmt(probe.idleLatencyNs, 4)} ns; peak bandwidth {probe.peakBandwidth.map((p) => `${p.threads} thread${p.threads === 1 ? '' : 's'} ${fmt(p.bytesPerSec / 1e9, 3)} GB/s`).join(', ')}.
        Fit: {fmt(f.transactionServiceNs, 3)} ns per {f.lineBytes}-byte line, arbitration {fmt(f.arbitrationNs, 3)} ns, RMS error {fmt(f.fitRmsErrorNs, 3)} ns over {f.points} points.
        Measured {new Date(probe.measuredAt).toLocaleString()} on {probe.machine.hostname}: {probe.machine.cpus} × {probe.machine.cpuModel}, LLC {fmt(probe.llc.bytes / 2 ** 20, 4)} MiB ({probe.llc.source}).
      </p>
      <p className="muted">Model: {f.model}. The model line is the law the measured bus uses with these parameters.</p>
      <table className="grid numeric" data-testid="probe-errors">
        <thead><tr><th>threads</th><th>delay</th><th>GB/s</th><th>measured ns</th><th>model ns</th><th>error</th></tr></thead>
        <tbody>
          {errors.map((e, i) => (
            <tr key={i}><td>{e.threads}</td><td>{e.delay}</td><td>{fmt(e.bandwidthGBps, 3)}</td><td>{fmt(e.measuredNs, 4)}</td><td>{fmt(e.modelNs, 4)}</td><td>{e.errorPct >= 0 ? '+' : ''}{e.errorPct.toFixed(1)}%</td></tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
