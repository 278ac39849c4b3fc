import { useEffect, useState } from 'react';
import type { SavedBusProbe } from '../../../../engine/smp/probe/schema.js';
import type { Workspace } from '../../../../engine/workspace/schema.js';
import type { EngineConnection } from '../../engine/connection.js';
import { useLongRun } from '../../useLongRun.js';
import { NumberField } from './NumberField.js';
import { fmt } from './model.js';
import { probeLabel } from '../../../../engine/smp/probe/measured-bus.js';
import { MeasuredBusChart, useCheckedProbe } from './MeasuredBusChart.js';

type Probe = SavedBusProbe['result'];

/** Measure this machine's memory bus (MLC-style loaded latency) and compare the fitted queueing law with it. */
export function BusProbeSection(props: { connection: EngineConnection; workspace: Pick<Workspace, 'busProbes'>; file: string | null; onSave: (result: Probe) => void }) {
  const probes = props.workspace.busProbes ?? [];
  const [threads, setThreads] = useState<number | null>(null);
  const [seconds, setSeconds] = useState(10);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const probeRun = useLongRun<{ done: number; total: number; label: string }>();
  const { progress, error } = probeRun;
  const selected = probes.find((p) => p.id === selectedId) ?? probes.at(-1) ?? null;

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
        {probes.length > 1 && (
          <label className="field compact">
            <span>Probe</span>
            <select value={selected?.id ?? ''} onChange={(e) => setSelectedId(e.target.value)} data-testid="probe-select">
              {probes.map((p) => <option key={p.id} value={p.id}>{p.id}: {probeLabel(p)}</option>)}
            </select>
          </label>
        )}
      </div>
      {error && <p className="error" role="alert" data-testid="probe-error">{error}</p>}
      {!selected && !progress && <p className="muted">No probe yet in this workspace.</p>}
      {selected && <ProbeResult workspace={props.workspace} file={props.file} probe={selected} />}
    </section>
  );
}

function ProbeResult({ workspace, file, probe }: { workspace: Pick<Workspace, 'busProbes'>; file: string | null; probe: SavedBusProbe }) {
  const checked = useCheckedProbe(workspace, file, probe.id);
  const r = probe.result;
  return (
    <div data-testid="probe-results">
      <MeasuredBusChart workspace={workspace} file={file} probeId={probe.id} testId="chart-probe" />
      {checked.ok && (() => {
        const f = checked.measured;
        return (
          <>
            <p className="muted" data-testid="probe-summary">
              Idle latency {fmt(r.idleLatencyNs, 4)} ns; peak bandwidth {r.peakBandwidth.map((p) => `${p.threads} thread${p.threads === 1 ? '' : 's'} ${fmt(p.bytesPerSec / 1e9, 3)} GB/s`).join(', ')}.
              Fit: {fmt(f.transactionServiceNs, 3)} ns per {f.lineBytes}-byte line, arbitration {fmt(f.arbitrationNs, 3)} ns, RMS error {fmt(f.fitRmsErrorNs, 3)} ns over {r.fit.points} points.
              Measured {new Date(r.measuredAt).toLocaleString()} on {r.machine.hostname}: {r.machine.cpus} × {r.machine.cpuModel}, LLC {fmt(r.llc.bytes / 2 ** 20, 4)} MiB ({r.llc.source}).
            </p>
            <p className="muted">Law: {r.fit.model}. The line is the measured bus law a scenario runs on with this probe (Scenario simulation, Bus law: measured).</p>
            <table className="grid numeric" data-testid="probe-errors">
              <thead><tr><th>threads</th><th>delay</th><th>GB/s</th><th>measured ns</th><th>model ns</th><th>error</th></tr></thead>
              <tbody>
                {checked.errors.map((e, i) => (
                  <tr key={i}><td>{e.threads}</td><td>{e.delay}</td><td>{fmt(e.bandwidthGBps, 3)}</td><td>{fmt(e.measuredNs, 4)}</td><td>{fmt(e.modelNs, 4)}</td><td>{e.errorPct >= 0 ? '+' : ''}{e.errorPct.toFixed(1)}%</td></tr>
                ))}
              </tbody>
            </table>
          </>
        );
      })()}
    </div>
  );
}
