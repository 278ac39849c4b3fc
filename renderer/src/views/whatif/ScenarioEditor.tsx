import type { Scenario, ThreadSpec } from '../../../../engine/smp/scenario-schema.js';
import { busLawLabels } from '../../../../engine/smp/bus/law.js';
import { probeLabel, probeOfScenario } from '../../../../engine/smp/probe/measured-bus.js';
import type { SavedBusProbe } from '../../../../engine/smp/probe/schema.js';
import { MeasuredBusChart } from './MeasuredBusChart.js';
import { fmt } from './model.js';
import { NumberField } from './NumberField.js';

/** The scenario form: machine, threads, and AutoPilot's tunables (every one the document names). */
/**
 * `probes` are the open workspace's saved bus probes: each is offered as a measured bus, and
 * `onUseProbe` puts the scenario on it (the engine reads the probe and refuses bad data with its
 * place, shown in `probeError`).
 */
export function ScenarioEditor({ scenario, onChange, probes, file, onUseProbe, probeError }: {
  scenario: Scenario; onChange: (s: Scenario) => void;
  probes: SavedBusProbe[]; file: string | null; onUseProbe: (probeId: string) => void; probeError: string | null;
}) {
  const ap = scenario.autopilot ?? {};
  const setAp = (patch: Partial<NonNullable<Scenario['autopilot']>>): void => onChange({ ...scenario, autopilot: { ...ap, ...patch } });
  const threads = scenario.threads ?? [];
  const law = scenario.bus ?? 'document';
  const q = scenario.queueing ?? {};
  const fromProbe = law === 'measured' ? probeOfScenario(scenario, probes) : null;
  const lawChoice = fromProbe ? `probe:${fromProbe.id}` : law;
  const chooseLaw = (value: string): void => {
    if (value.startsWith('probe:')) { onUseProbe(value.slice('probe:'.length)); return; }
    set('bus', value === 'document' ? undefined : value as NonNullable<Scenario['bus']>);
  };
  const setQ = (patch: Partial<NonNullable<Scenario['queueing']>>): void => {
    const next = { ...q, ...patch };
    for (const k of Object.keys(next) as (keyof typeof next)[]) if (next[k] === undefined) delete next[k];
    set('queueing', Object.keys(next).length > 0 ? next : undefined);
  };
  const setThread = (i: number, patch: Partial<ThreadSpec>): void =>
    onChange({ ...scenario, threads: threads.map((t, k) => (k === i ? { ...t, ...patch } : t)) });
  const set = <K extends keyof Scenario>(key: K, value: Scenario[K] | undefined): void => {
    const next = { ...scenario };
    if (value === undefined) delete next[key]; else next[key] = value;
    onChange(next);
  };
  return (
    <div className="scenario-editor" data-testid="scenario-editor">
      <div className="field-row">
        <label className="field compact wide-field">
          <span>Name</span>
          <input value={scenario.name ?? ''} onChange={(e) => set('name', e.target.value || undefined)} data-testid="scenario-name" />
        </label>
        <NumberField label="CPUs" integer value={scenario.cpus} min={1} max={1024} onChange={(v) => v !== undefined && set('cpus', v)} testId="scenario-cpus" />
        <NumberField label="Bus bandwidth (×)" value={scenario.busBandwidth} min={0.001} max={1000} optional onChange={(v) => set('busBandwidth', v)} hint="Relative to the reference bus of the analytic model (1 = Table 2's machine)." />
        <NumberField label="Background I/O" percent value={scenario.ioLoad} min={0} max={1} optional onChange={(v) => set('ioLoad', v)} />
        <NumberField label="Time slice" value={scenario.timeSlice} min={0.001} optional onChange={(v) => set('timeSlice', v)} />
        <NumberField label="Seed" integer value={scenario.seed} min={0} max={4294967295} optional onChange={(v) => set('seed', v)} />
        <NumberField label="Monitor noise" percent value={scenario.monitorNoise} min={0} max={1} optional onChange={(v) => set('monitorNoise', v)} hint="Relative error of the bus monitor's per-slice reading." />
      </div>
      <h3>Bus law</h3>
      <div className="field-row">
        <label className="field compact wide-field" style={{ minWidth: '36em' }}>
          <span>Law</span>
          <select value={lawChoice} onChange={(e) => chooseLaw(e.target.value)} data-testid="scenario-bus" style={{ width: '100%' }}>
            <option value="document">document (Table 2, empirical)</option>
            <option value="queueing">queueing (FCFS bus, exact MVA)</option>
            {probes.map((p) => <option key={p.id} value={`probe:${p.id}`}>measured: use the measured bus of {probeLabel(p)}</option>)}
            {(scenario.measuredBus && !fromProbe) || probes.length === 0
              ? <option value="measured" disabled={!scenario.measuredBus}>{scenario.measuredBus ? 'measured (the scenario\'s own record)' : 'measured (run a bus probe first: Bus probe below, or headroom smp probe --save)'}</option>
              : null}
          </select>
        </label>
        {law === 'queueing' && (
          <>
            <NumberField label="Arbitration cycles" value={q.arbitrationCycles} min={0} optional onChange={(v) => setQ({ arbitrationCycles: v })} testId="queueing-arbitration-cycles" hint="Added to every transaction while two or more masters share the bus." />
            <NumberField label="Retry cycles" value={q.retryCycles} min={0} optional onChange={(v) => setQ({ retryCycles: v })} hint="Wasted by a transaction that finds the bus busy (solved approximately)." />
          </>
        )}
        {law !== 'document' && (
          <label className="field compact">
            <span>Arbitration</span>
            <select value={q.arbitration ?? 'fcfs'} onChange={(e) => setQ({ arbitration: e.target.value === 'fcfs' ? undefined : 'round-robin' })}>
              <option value="fcfs">FCFS</option>
              <option value="round-robin">round-robin</option>
            </select>
          </label>
        )}
      </div>
      <p className="muted" data-testid="scenario-bus-label">{busLawLabels[law]}</p>
      {law === 'measured' && scenario.measuredBus && (
        <p className="muted" data-testid="scenario-measured-bus">
          {fromProbe ? <>Parameters from {fromProbe.id}, {probeLabel(fromProbe)}: </> : <>Parameters from the scenario's own record: </>}
          {fmt(scenario.measuredBus.transactionServiceNs, 3)} ns per {scenario.measuredBus.lineBytes}-byte line (peak {fmt(scenario.measuredBus.peakBandwidthBytesPerSec / 1e9, 3)} GB/s),
          arbitration {fmt(scenario.measuredBus.arbitrationNs, 3)} ns, idle latency {fmt(scenario.measuredBus.idleLatencyNs, 4)} ns.
          {(q.serviceCycles !== undefined || q.arbitrationCycles !== undefined || q.retryCycles !== undefined) && ' This scenario\'s "queueing" cycle figures replace the measured ones.'}
        </p>
      )}
      {probeError && <p className="error" role="alert" data-testid="scenario-probe-error">{probeError}</p>}
      {law === 'measured' && fromProbe && <MeasuredBusChart workspace={{ busProbes: probes }} file={file} probeId={fromProbe.id} testId="chart-scenario-bus" />}
      <h3>Threads</h3>
      {scenario.generate && <p className="muted">This scenario also generates {scenario.generate.count} threads (bus demand {scenario.generate.busDemand.join('–')}); edit its file to change that.</p>}
      <table className="grid edit-grid" data-testid="thread-table">
        <thead><tr><th>Name</th><th>Copies</th><th>Bus demand (%)</th><th>Work</th><th>Priority</th><th>I/O-bound</th><th /></tr></thead>
        <tbody>
          {threads.map((t, i) => (
            <tr key={i}>
              <td><input aria-label="Thread name" value={t.name ?? ''} onChange={(e) => setThread(i, { name: e.target.value || undefined })} /></td>
              <td><CellNumber value={t.count ?? 1} integer min={1} max={10_000} onChange={(v) => setThread(i, { count: v })} /></td>
              <td>{t.phases ? <span className="muted">{t.phases.length} phases</span> : <CellNumber value={(t.busDemand ?? 0) * 100} min={0} max={100} onChange={(v) => setThread(i, { busDemand: v / 100 })} />}</td>
              <td>{t.phases ? <span className="muted">{t.phases.reduce((a, p) => a + p.work, 0)}</span> : <CellNumber value={t.work ?? 1} min={0.001} onChange={(v) => setThread(i, { work: v })} />}</td>
              <td><CellNumber value={t.priority ?? 0} integer min={0} max={255} onChange={(v) => setThread(i, { priority: v })} /></td>
              <td><input type="checkbox" aria-label="I/O-bound" checked={t.ioBound ?? false} onChange={(e) => setThread(i, { ioBound: e.target.checked || undefined })} /></td>
              <td><button className="quiet" aria-label="Remove thread" onClick={() => onChange({ ...scenario, threads: threads.filter((_, k) => k !== i) })}>×</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <button onClick={() => onChange({ ...scenario, threads: [...threads, { name: `t${threads.length + 1}`, busDemand: 0.2, work: 200 }] })} data-testid="add-thread">Add thread</button>
      <h3>AutoPilot</h3>
      <div className="field-row">
        <NumberField label="Saturation threshold" percent value={ap.threshold} min={0.01} max={2} optional onChange={(v) => setAp({ threshold: v })} testId="ap-threshold" hint="AutoPilot keeps the bus commitment below this." />
        <NumberField label="Load adjustment rate" percent value={ap.adjustRate} min={0} max={1} optional onChange={(v) => setAp({ adjustRate: v })} hint="How fast a thread's measured bus load moves its estimate." />
        <NumberField label="Reserved for I/O" percent value={ap.ioReserve} min={0} max={1} optional onChange={(v) => setAp({ ioReserve: v })} hint="Bandwidth held back for I/O-bound threads." />
        <NumberField label="Starvation bound" integer value={ap.starvationBound} min={0} max={1_000_000} optional onChange={(v) => setAp({ starvationBound: v })} hint="Times a ready thread may be passed over before it goes first." />
        <NumberField label="Monitor period" value={ap.monitorPeriod} min={0.001} optional onChange={(v) => setAp({ monitorPeriod: v })} hint="The bus monitor's sample period; AutoPilot reads the last complete period." />
        <NumberField label="First estimate" percent value={ap.initialEstimate} min={0} max={1} optional onChange={(v) => setAp({ initialEstimate: v })} hint="A thread's estimated demand before it has been measured (default: the reference demand)." />
        <label className="field compact">
          <span>AutoPilot</span>
          <select value={ap.variant ?? 'document'} onChange={(e) => setAp({ variant: e.target.value === 'document' ? undefined : 'projected' })} data-testid="ap-variant">
            <option value="document">as the document describes it</option>
            <option value="projected">projected commitment (Headroom's own)</option>
          </select>
        </label>
        <label className="field compact checkbox">
          <span>When nothing fits</span>
          <select value={(ap.idleWhenNoFit ?? true) ? 'idle' : 'best'} onChange={(e) => setAp({ idleWhenNoFit: e.target.value === 'idle' })}>
            <option value="idle">idle the CPU</option>
            <option value="best">run the best candidate</option>
          </select>
        </label>
      </div>
    </div>
  );
}

function CellNumber({ value, onChange, min, max, integer }: { value: number; onChange: (v: number) => void; min?: number; max?: number; integer?: boolean }) {
  return (
    <input className="cell-number" type="number" value={Number(value.toPrecision(8))} min={min} max={max} step={integer ? 1 : 'any'}
      onChange={(e) => {
        const n = Number(e.target.value);
        if (e.target.value === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || (min !== undefined && n < min) || (max !== undefined && n > max)) return;
        onChange(n);
      }} />
  );
}
