import { useEffect, useState } from 'react';
import type { Data } from 'plotly.js';
import type { LunView, ProbeView, StorageHeadroomView } from '../../../../engine/storage/headroom-view.js';
import type { Workspace } from '../../../../engine/workspace/schema.js';
import { Chart } from '../../components/Chart.js';
import type { EngineConnection } from '../../engine/connection.js';
import type { WorkspaceStore } from '../../state/workspace-store.js';
import { fmt } from '../whatif/model.js';
import { ProbeForm } from './ProbeForm.js';

const day = (t: number | null | undefined): string => (t == null ? '—' : new Date(t).toISOString().slice(0, 10));
const iso = (t: number): string => new Date(t).toISOString();

/**
 * How much more load each LUN takes before latency breaks, and when growth gets there: each saved
 * probe refitted, and each LUN of the workspace's SLA database with its capacity, today's demand,
 * the headroom between them and the forecast. The engine computes it all (storage.headroom).
 * A LUN can be probed from here too (ProbeForm); the new probe joins the workspace and its panel.
 */
export function HeadroomView({ workspace, workspacePath, connection, store }: { workspace: Workspace; workspacePath: string | null; connection: EngineConnection; store: WorkspaceStore }) {
  const [view, setView] = useState<StorageHeadroomView | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setError(null);
    connection.engine.call('storage.headroom', { workspace, ...(workspacePath ? { workspacePath } : {}) })
      .then((v) => { if (live) setView(v); })
      .catch((err: unknown) => { if (live) setError(err instanceof Error ? err.message : String(err)); });
    return () => { live = false; };
  }, [workspace, workspacePath, connection]);

  if (error) return <section className="panel"><h2>Headroom</h2><p className="error" role="alert" data-testid="headroom-error">{error}</p></section>;
  if (!view) return <section className="panel"><h2>Headroom</h2><p className="muted" data-testid="headroom-loading">Fitting…</p></section>;
  const probeForm = <ProbeForm workspace={workspace} store={store} connection={connection} />;
  if (view.probes.length === 0 && view.database === null) {
    return (
      <div className="headroom-view">
      {probeForm}
      <section className="panel" data-testid="headroom-empty">
        <h2>Headroom</h2>
        <p>Nothing to fit yet: this workspace holds no storage probe and names no SLA database.</p>
        <ul>
          <li>Probe a LUN above, or from the command line and save it here: <code className="mono">headroom storage probe nbd://HOST:PORT/HOST-ID/LUN --save {workspacePath ?? 'WORKSPACE.headroom.json'}</code>, then reopen the workspace.</li>
          <li>Or name the SLA database the Monitor stores intervals in (Monitor view): each of its LUNs gets a capacity, a demand trend and the date they meet.</li>
        </ul>
      </section>
      </div>
    );
  }
  return (
    <div className="headroom-view" data-testid="headroom-view">
      {probeForm}
      {view.database && <DatabasePanel database={view.database} />}
      {view.probes.map((p) => <ProbePanel key={p.id} probe={p} />)}
    </div>
  );
}

function ProbePanel({ probe }: { probe: ProbeView }) {
  const m = probe.model;
  const depths = probe.steps.map((s) => s.iodepth);
  const latency: Data[] = [{ x: depths, y: probe.steps.map((s) => s.meanMs), name: 'measured mean', type: 'scatter', mode: 'markers', marker: { size: 9 } }];
  const throughput: Data[] = [{ x: depths, y: probe.steps.map((s) => s.iops), name: 'measured IOPS', type: 'scatter', mode: 'markers', marker: { size: 9 } }];
  // The probe's own depths as ticks: a log axis would otherwise label 8, 9, 10 … between them.
  const depthAxis = { title: { text: 'iodepth (I/Os in flight)' }, type: 'log' as const, tickvals: depths, ticktext: depths.map(String) };
  // Fits first, so the measured points are drawn over them.
  if (m.fitted) {
    latency.unshift({ x: m.saturatedDepths, y: m.saturatedDepths.map((n) => m.interceptMs.value + m.serviceDemandMs.value * n), name: 'fit: a + D·N', type: 'scatter', mode: 'lines' });
    throughput.unshift({ x: [depths[0]!, depths.at(-1)!], y: [m.capacityIops.value, m.capacityIops.value], name: 'fitted capacity 1/D', type: 'scatter', mode: 'lines', line: { dash: 'dash' } });
  }
  return (
    <section className="panel" data-testid={`headroom-probe-${probe.id}`}>
      <h2>Probe {probe.id}: {probe.uri}</h2>
      <p className="muted">{probe.bs} {probe.rw}, started {probe.startedAt}{probe.complete ? '' : ' (cancelled before the last step)'}. Closed loop past the knee: mean latency = a + D·iodepth, capacity 1/D.</p>
      {m.fitted ? (
        <table className="grid numeric" data-testid="probe-model">
          <thead><tr><th>Parameter</th><th>Estimate</th><th>{Math.round(m.confidence * 100)}% interval</th></tr></thead>
          <tbody>
            <tr><td>Capacity (IOPS)</td><td data-testid="probe-capacity">{m.capacityIops.value.toFixed(1)}</td><td>{fmt(m.capacityIops.low, 4)} – {fmt(m.capacityIops.high, 4)}</td></tr>
            <tr><td>Service demand D (ms)</td><td>{fmt(m.serviceDemandMs.value, 4)}</td><td>{fmt(m.serviceDemandMs.low, 4)} – {fmt(m.serviceDemandMs.high, 4)}</td></tr>
            <tr><td>Intercept a (ms)</td><td>{fmt(m.interceptMs.value, 4)}</td><td>{fmt(m.interceptMs.low, 4)} – {fmt(m.interceptMs.high, 4)}</td></tr>
            <tr><td>Unloaded mean latency (ms)</td><td>{fmt(m.unloadedMs, 4)}</td><td /></tr>
            <tr><td>R²</td><td>{fmt(m.rSquared, 4)}</td><td>fitted over iodepths {m.saturatedDepths.join(', ')}</td></tr>
          </tbody>
        </table>
      ) : <p className="error" data-testid="probe-refusal">No model: {m.reason}.</p>}
      <div className="chart-pair">
        <Chart testId={`chart-probe-latency-${probe.id}`} data={latency} layout={{ title: { text: 'Mean latency against iodepth' }, xaxis: depthAxis, yaxis: { title: { text: 'mean latency (ms)' }, rangemode: 'tozero' } }} />
        <Chart testId={`chart-probe-iops-${probe.id}`} data={throughput} layout={{ title: { text: 'Throughput against iodepth' }, xaxis: depthAxis, yaxis: { title: { text: 'IOPS' }, rangemode: 'tozero' } }} />
      </div>
    </section>
  );
}

function DatabasePanel({ database }: { database: NonNullable<StorageHeadroomView['database']> }) {
  return (
    <section className="panel" data-testid="headroom-database">
      <h2>Capacity and forecast per LUN</h2>
      <p className="muted">From the SLA database {database.file}: p50 latency fitted as S / (1 − IOPS/C) on the stored intervals; demand trend on hourly rollups, linear or exponential by fit.</p>
      {database.error && <p className="error" role="alert" data-testid="headroom-database-error">{database.error}</p>}
      {database.luns.length > 0 && (
        <table className="grid numeric" data-testid="headroom-luns">
          <thead><tr><th>Gateway</th><th>LUN</th><th>Capacity (IOPS)</th><th>Demand now (IOPS)</th><th>Headroom</th><th>Held-out error (median)</th><th>Runs out</th><th>Band</th></tr></thead>
          <tbody>
            {database.luns.map((l) => {
              const cap = 'fitted' in l.capacity ? null : l.capacity;
              const ex = 'fitted' in l.forecast ? null : l.forecast.exhaustion;
              return (
                <tr key={`${l.gatewayId}/${l.lun}`} data-testid={`lun-row-${l.lun}`}>
                  <td>{l.gatewayId}</td><td>{l.lun}</td>
                  <td>{cap ? <><span data-testid="lun-capacity">{cap.iops.value.toFixed(0)}</span> ({fmt(cap.iops.low, 3)} – {fmt(cap.iops.high, 3)})</> : '—'}</td>
                  <td>{l.demandIops === null ? '—' : l.demandIops.toFixed(0)}</td>
                  <td>{l.headroomPercent === null ? '—' : `${l.headroomPercent.toFixed(1)}%`}</td>
                  <td>{l.heldOut && !('fitted' in l.heldOut) ? `${l.heldOut.medianAbsErrorPercent.toFixed(1)}%` : '—'}</td>
                  <td>{ex ? (ex.alreadyExceeded ? 'already' : ex.at === null ? `not within ${ex.horizonDays} days` : day(ex.at)) : '—'}</td>
                  <td>{ex && ex.at !== null ? `${day(ex.earliest)} – ${day(ex.latest)}` : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {database.luns.map((l) => <LunCharts key={`${l.gatewayId}/${l.lun}`} lun={l} />)}
    </section>
  );
}

function LunCharts({ lun }: { lun: LunView }) {
  const problems = [
    'fitted' in lun.capacity ? `no capacity fitted: ${lun.capacity.reason}` : null,
    lun.heldOut && 'fitted' in lun.heldOut ? `no held-out check: ${lun.heldOut.reason}` : null,
    'fitted' in lun.forecast ? `no demand trend: ${lun.forecast.reason}` : null,
  ].filter((p): p is string => p !== null);
  const cap = 'fitted' in lun.capacity ? null : lun.capacity;
  const f = 'fitted' in lun.forecast ? null : lun.forecast;
  const curve: Data[] = [];
  if (cap) {
    curve.push({ x: lun.measured.map((p) => p.iops), y: lun.measured.map((p) => p.latencyMs), name: `measured ${cap.measure}`, type: 'scatter', mode: 'markers', marker: { size: 5, opacity: 0.6 } });
    curve.push({ x: lun.curve.map((p) => p.iops), y: lun.curve.map((p) => p.latencyMs), name: 'fit: S / (1 − IOPS/C)', type: 'scatter', mode: 'lines' });
  }
  const trend: Data[] = [];
  if (f) {
    const x = f.projection.map((p) => iso(p.t));
    trend.push({ x: f.history.map((h) => iso(h.t)), y: f.history.map((h) => h.iops), name: 'demand (stored)', type: 'scatter', mode: 'markers', marker: { size: 4 } });
    trend.push({ x, y: f.projection.map((p) => p.high), name: 'band, high', type: 'scatter', mode: 'lines', line: { width: 0 }, showlegend: false });
    trend.push({ x, y: f.projection.map((p) => p.low), name: 'band', type: 'scatter', mode: 'lines', line: { width: 0 }, fill: 'tonexty', fillcolor: 'rgba(242,165,65,0.25)' });
    trend.push({ x, y: f.projection.map((p) => p.iops), name: `trend (${f.kind})`, type: 'scatter', mode: 'lines', line: { dash: 'dash' } });
    if (cap && f.history.length > 0 && x.length > 0) trend.push({ x: [iso(f.history[0]!.t), x.at(-1)!], y: [cap.iops.value, cap.iops.value], name: 'capacity', type: 'scatter', mode: 'lines', line: { color: '#e86a92' } });
  }
  return (
    <div className="lun-charts" data-testid={`lun-${lun.lun}`}>
      <h3>LUN {lun.lun} (gateway {lun.gatewayId}), {lun.intervals} {lun.resolution} intervals</h3>
      {problems.map((p) => <p key={p} className="error" data-testid="lun-problem">{p}</p>)}
      <div className="chart-pair">
        {cap && <Chart testId={`chart-lun-latency-${lun.lun}`} data={curve} layout={{ title: { text: 'Latency against load' }, xaxis: { title: { text: 'IOPS' }, rangemode: 'tozero' }, yaxis: { title: { text: `${cap.measure} latency (ms)` }, rangemode: 'tozero' } }} />}
        {f && <Chart testId={`chart-lun-trend-${lun.lun}`} data={trend} layout={{ title: { text: 'Demand, trend and capacity' }, xaxis: { title: { text: 'time (UTC)' } }, yaxis: { title: { text: 'IOPS' }, rangemode: 'tozero' } }} />}
      </div>
    </div>
  );
}
