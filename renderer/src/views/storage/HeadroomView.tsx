import { useEffect, useState } from 'react';
import type { Data } from 'plotly.js';
import type { ClassView, LunView, ProbeView, StorageHeadroomView } from '../../../../engine/storage/headroom-view.js';
import type { Workspace } from '../../../../engine/workspace/schema.js';
import { Chart } from '../../components/Chart.js';
import type { EngineConnection } from '../../engine/connection.js';
import type { WorkspaceStore } from '../../state/workspace-store.js';
import { fmt } from '../whatif/model.js';
import { ProbeForm } from './ProbeForm.js';

const day = (t: number | null | undefined): string => (t == null ? '—' : new Date(t).toISOString().slice(0, 10));
const iso = (t: number): string => new Date(t).toISOString();
/** One colour per class, shared by its target line, its fitted curve and its line on the trend chart. */
const CLASS_COLOURS = ['#2a9d8f', '#a66bd6', '#e9a03b', '#3d7dd8', '#6a994e', '#c9c9c9'];
const classColour = (k: number): string => CLASS_COLOURS[k % CLASS_COLOURS.length]!;
const className = (c: ClassView): string => (c.className === '' ? '(no class)' : c.className);
/** An interval whose end the JSON carried as null (an unbounded Fieller interval) reads ∞. */
const end = (x: number | null): string => (x === null || !Number.isFinite(x) ? '∞' : fmt(x, 3));

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
  // Each class's target as a horizontal line, with its own percentile's fit crossing it at its load at target.
  const classes = lun.classes.filter((c) => c.target !== null).map((c, k) => ({ c, colour: classColour(k) }));
  const xEnd = Math.max(0, ...lun.curve.map((p) => p.iops), ...lun.measured.map((p) => p.iops), ...lun.classes.flatMap((c) => c.curve.map((p) => p.iops)));
  const withTarget = cap ? classes : [];
  for (const { c, colour } of withTarget) {
    if (c.measured.length > 0) curve.push({ x: c.measured.map((p) => p.iops), y: c.measured.map((p) => p.latencyMs), name: `${className(c)} ${c.target!.percentile} measured`, type: 'scatter', mode: 'markers', marker: { size: 4, opacity: 0.45, color: colour } });
    curve.push({ x: [0, xEnd], y: [c.target!.ms, c.target!.ms], name: `${className(c)} target: ${c.target!.percentile} ≤ ${c.target!.ms} ms`, type: 'scatter', mode: 'lines', line: { color: colour, dash: 'dot', width: 2 } });
    if (c.curve.length > 0) curve.push({ x: c.curve.map((p) => p.iops), y: c.curve.map((p) => p.latencyMs), name: `${className(c)} ${c.target!.percentile}: fit`, type: 'scatter', mode: 'lines', line: { color: colour, dash: 'dash', width: 1.5 } });
  }
  const trend: Data[] = [];
  if (f) {
    const x = f.projection.map((p) => iso(p.t));
    trend.push({ x: f.history.map((h) => iso(h.t)), y: f.history.map((h) => h.iops), name: 'demand (stored)', type: 'scatter', mode: 'markers', marker: { size: 4 } });
    trend.push({ x, y: f.projection.map((p) => p.high), name: 'band, high', type: 'scatter', mode: 'lines', line: { width: 0 }, showlegend: false });
    trend.push({ x, y: f.projection.map((p) => p.low), name: 'band', type: 'scatter', mode: 'lines', line: { width: 0 }, fill: 'tonexty', fillcolor: 'rgba(242,165,65,0.25)' });
    trend.push({ x, y: f.projection.map((p) => p.iops), name: `trend (${f.kind})`, type: 'scatter', mode: 'lines', line: { dash: 'dash' } });
    if (cap && f.history.length > 0 && x.length > 0) trend.push({ x: [iso(f.history[0]!.t), x.at(-1)!], y: [cap.iops.value, cap.iops.value], name: 'capacity', type: 'scatter', mode: 'lines', line: { color: '#e86a92' } });
    // Where the LUN's demand breaks each class's target: the trend meeting this line is the class's date.
    for (const { c, colour } of classes) {
      if ('fitted' in c.headroom || f.history.length === 0 || x.length === 0) continue;
      const y = c.headroom.loadAtTargetIops.value;
      trend.push({ x: [iso(f.history[0]!.t), x.at(-1)!], y: [y, y], name: `${className(c)}: ${c.headroom.percentile} target reached`, type: 'scatter', mode: 'lines', line: { color: colour, dash: 'dot', width: 2 } });
    }
  }
  return (
    <div className="lun-charts" data-testid={`lun-${lun.lun}`}>
      <h3>LUN {lun.lun} (gateway {lun.gatewayId}), {lun.intervals} {lun.resolution} intervals</h3>
      {problems.map((p) => <p key={p} className="error" data-testid="lun-problem">{p}</p>)}
      <ClassTable lun={lun} />
      <div className="chart-pair">
        {cap && <Chart testId={`chart-lun-latency-${lun.lun}`} data={curve} layout={{ title: { text: 'Latency against load' }, xaxis: { title: { text: 'IOPS (LUN total)' }, rangemode: 'tozero' }, yaxis: { title: { text: withTarget.length ? 'latency (ms)' : `${cap.measure} latency (ms)` }, rangemode: 'tozero' } }} />}
        {f && <Chart testId={`chart-lun-trend-${lun.lun}`} data={trend} layout={{ title: { text: 'Demand, trend and capacity' }, xaxis: { title: { text: 'time (UTC)' } }, yaxis: { title: { text: 'IOPS' }, rangemode: 'tozero' } }} />}
      </div>
    </div>
  );
}

/** Headroom per class on the LUN: where its target breaks, how far above today's peak, when growth gets there, and what protecting it costs the others. */
function ClassTable({ lun }: { lun: LunView }) {
  if (lun.classes.length === 0) return null;
  const policy = 'fitted' in lun.classPolicy ? null : lun.classPolicy;
  const p = 'fitted' in lun.protection ? null : lun.protection;
  return (
    <div data-testid={`lun-classes-${lun.lun}`}>
      <p className="muted">
        Per class: its own target percentile (worst pair) fitted against the LUN&apos;s total IOPS; runs out where the LUN&apos;s demand trend meets that load.
        {policy ? <> Targets from {policy.source}.</> : <> No targets: {(lun.classPolicy as { reason: string }).reason}.</>}
      </p>
      <table className="grid numeric" data-testid="class-headroom">
        <thead><tr><th>Class</th><th>Priority</th><th>Target</th><th>Load at target (IOPS)</th><th>Headroom over today&apos;s peak</th><th>Trend</th><th>Runs out</th><th>Band</th><th style={{ textAlign: 'left' }}>Protection at today&apos;s demand</th></tr></thead>
        <tbody>
          {lun.classes.map((c) => {
            const h = 'fitted' in c.headroom ? null : c.headroom;
            const g = c.growth.fitted ? c.growth : null;
            const ex = c.exhaustion;
            return (
              <tr key={c.className} data-testid={`class-row-${className(c)}`}>
                <td>{className(c)}</td>
                <td>{c.priority ?? '—'}</td>
                <td>{c.target ? `${c.target.percentile} ≤ ${c.target.ms} ms` : '—'}</td>
                {h ? (
                  <>
                    <td><span data-testid="class-load-at-target">{h.loadAtTargetIops.value.toFixed(0)}</span> ({end(h.loadAtTargetIops.low)} – {end(h.loadAtTargetIops.high)})</td>
                    <td data-testid="class-headroom-percent">{h.headroomPercent.value.toFixed(1)}% ({end(h.headroomPercent.low)} – {end(h.headroomPercent.high)}%)</td>
                  </>
                ) : <td colSpan={2} className="muted" style={{ textAlign: 'left' }} data-testid="class-no-headroom">{(c.headroom as { reason: string }).reason}</td>}
                <td>{g ? `${g.kind} ${fmt(g.rate.value, 3)} ${g.rateUnit} (${fmt(g.rate.low, 3)} – ${fmt(g.rate.high, 3)})` : '—'}</td>
                <td data-testid="class-runs-out">{ex ? (ex.alreadyExceeded ? 'already' : ex.at === null ? `not within ${ex.horizonDays} days` : day(ex.at)) : '—'}</td>
                <td>{ex && ex.at !== null && !ex.alreadyExceeded ? `${day(ex.earliest)} – ${ex.latest === null ? 'beyond' : day(ex.latest)}` : '—'}</td>
                <td style={{ textAlign: 'left' }} data-testid="class-protection">{c.verdict ?? '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {p ? (
        <p className="muted" data-testid="class-protection-summary">
          The analyzer&apos;s control law on the fitted LUN ({p.capacityIops.toFixed(0)} IOPS, {fmt(p.serviceMs, 3)} ms service) at today&apos;s demands:{' '}
          {!p.needsThrottling ? 'no throttling needed.' : p.unprotected.length ? `not every target can be held: ${p.unprotected.join(', ')} miss theirs with lower classes at their floors.` : `targets held by throttling lower classes (caps settled after ${p.settledAfter} intervals).`}
          {p.explanations[0] ? <> First cut: {p.explanations[0]}</> : null}
        </p>
      ) : <p className="muted" data-testid="class-protection-summary">No protection run: {(lun.protection as { reason: string }).reason}.</p>}
    </div>
  );
}
