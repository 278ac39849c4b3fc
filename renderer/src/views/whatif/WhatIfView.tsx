import { useEffect, useState } from 'react';
import type { SmpSample } from '../../../../engine/host/contract.js';
import type { ScenarioResult } from '../../../../engine/smp/index.js';
import type { Scenario } from '../../../../engine/smp/scenario-schema.js';
import type { Workspace } from '../../../../engine/workspace/schema.js';
import type { EngineConnection } from '../../engine/connection.js';
import type { WorkspaceStore } from '../../state/workspace-store.js';
import { AnalyticSection } from './AnalyticSection.js';
import { BusProbeSection } from './BusProbeSection.js';
import { scenarioOnProbe } from '../../../../engine/smp/probe/measured-bus.js';
import { withBusProbe } from '../../../../engine/smp/probe/schema.js';
import { defaultScenario, newId, smpOf, withSmp } from './model.js';
import { ScenarioEditor } from './ScenarioEditor.js';
import { SimulationResults } from './SimulationResults.js';
import { SweepSection } from './SweepSection.js';
import { UslSection } from './UslSection.js';

/** What-if: how many CPUs are worth buying, what background I/O costs, whether bus-aware dispatch pays. */
export function WhatIfView({ workspace, store, connection, version }: { workspace: Workspace; store: WorkspaceStore; connection: EngineConnection; version: string }) {
  const smp = smpOf(workspace);
  const [samples, setSamples] = useState<SmpSample[]>([]);
  const [selectedId, setSelectedId] = useState<string | null>(smp.scenarios[0]?.id ?? null);
  const [results, setResults] = useState<Record<string, ScenarioResult>>({});
  const [problem, setProblem] = useState<{ where: string; message: string } | null>(null);
  const [runError, setRunError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [uslSelected, setUslSelected] = useState<string | null>(null);
  const [probeError, setProbeError] = useState<string | null>(null);
  // Errors about the workspace's data name its file, as the engine's checks do.
  const file = store.getState().path;

  useEffect(() => { connection.engine.call('smp.samples', {}).then(setSamples).catch(() => setSamples([])); }, [connection]);
  const selected = smp.scenarios.find((s) => s.id === selectedId) ?? smp.scenarios[0] ?? null;

  // Validate as the user types, through the engine's one scenario schema.
  useEffect(() => {
    if (!selected) { setProblem(null); return; }
    const timer = setTimeout(() => {
      connection.engine.call('smp.validate', { scenario: selected.scenario })
        .then((v) => setProblem(v.ok ? null : { where: v.where ?? '$', message: v.message ?? 'invalid' }))
        .catch(() => undefined);
    }, 200);
    return () => clearTimeout(timer);
  }, [selected, connection]);

  const edit = (change: Parameters<typeof withSmp>[1]): void => store.edit((w) => withSmp(w, change));
  const addScenario = (scenario: Scenario): void => {
    const id = newId('scenario', smp.scenarios.map((s) => s.id));
    edit((s) => ({ ...s, scenarios: [...s.scenarios, { id, scenario }] }));
    setSelectedId(id);
  };
  const updateScenario = (scenario: Scenario): void => {
    if (!selected) return;
    // An edited scenario's last run no longer describes it.
    edit((s) => ({ ...s, scenarios: s.scenarios.map((x) => (x.id === selected.id ? { id: x.id, scenario } : x)) }));
  };

  const run = async (): Promise<void> => {
    if (!selected) return;
    setRunning(true); setRunError(null);
    try {
      const result = await connection.engine.call('smp.simulate', { scenario: selected.scenario });
      setResults((r) => ({ ...r, [selected.id]: result }));
      edit((s) => ({
        ...s,
        scenarios: s.scenarios.map((x) => (x.id === selected.id ? {
          ...x,
          lastRun: {
            ranAt: new Date().toISOString(), headroomVersion: version,
            standardThroughput: result.standard.throughput, autopilotThroughput: result.autopilot.throughput,
            autopilotVsStandard: result.comparison.autopilotVsStandard, autopilotVsOracle: result.comparison.autopilotVsOracle,
            standardMakespan: result.standard.makespan, autopilotMakespan: result.autopilot.makespan,
          },
        } : x)),
      }));
    } catch (err) {
      setRunError(err instanceof Error ? err.message : String(err));
    } finally {
      setRunning(false);
    }
  };

  const result = selected ? results[selected.id] : undefined;
  const scenarioSamples = samples.filter((s) => s.kind === 'scenario');
  return (
    <section className="view whatif" data-testid="whatif-view">
      <h1>What-if: SMP bus and AutoPilot</h1>
      <AnalyticSection analytic={smp.analytic} connection={connection} onChange={(analytic) => edit((s) => ({ ...s, analytic }))} />

      <section className="panel" data-testid="whatif-scenario">
        <h2>Scenario simulation</h2>
        <div className="action-row">
          <label className="field compact">
            <span>Scenario</span>
            <select value={selected?.id ?? ''} onChange={(e) => { setSelectedId(e.target.value); setProbeError(null); }} data-testid="scenario-select">
              {smp.scenarios.length === 0 && <option value="">none yet</option>}
              {smp.scenarios.map((s) => <option key={s.id} value={s.id}>{s.scenario.name ?? s.id}</option>)}
            </select>
          </label>
          <button onClick={() => addScenario(defaultScenario())} data-testid="scenario-new">New</button>
          <label className="field compact">
            <span>Start from a sample</span>
            <select value="" onChange={(e) => { const s = scenarioSamples.find((x) => x.file === e.target.value); if (s) addScenario(s.scenario); }} data-testid="scenario-from-sample">
              <option value="">choose…</option>
              {scenarioSamples.map((s) => <option key={s.file} value={s.file}>{s.title}</option>)}
            </select>
          </label>
          {selected && <button onClick={() => addScenario({ ...selected.scenario, name: `${selected.scenario.name ?? selected.id} (copy)` })}>Duplicate</button>}
          {selected && <button className="quiet" onClick={() => { edit((s) => ({ ...s, scenarios: s.scenarios.filter((x) => x.id !== selected.id), sweeps: s.sweeps.filter((x) => x.scenarioId !== selected.id) })); setSelectedId(null); }}>Delete</button>}
        </div>
        {!selected && <p className="muted">Add a scenario to simulate the standard dispatcher against AutoPilot.</p>}
        {selected && (
          <>
            {selected.scenario.description && <p className="muted">{selected.scenario.description}</p>}
            <ScenarioEditor scenario={selected.scenario} onChange={(s) => { setProbeError(null); updateScenario(s); }}
              probes={workspace.busProbes ?? []} file={file} probeError={probeError}
              onUseProbe={(probeId) => {
                try { updateScenario(scenarioOnProbe(selected.scenario, workspace, file, probeId)); setProbeError(null); } catch (err) { setProbeError(err instanceof Error ? err.message : String(err)); }
              }} />
            {problem && <p className="error" role="alert" data-testid="scenario-problem">{problem.where}: {problem.message}</p>}
            <div className="action-row">
              <button className="primary" disabled={running || problem !== null} onClick={() => void run()} data-testid="scenario-run">{running ? 'Running…' : 'Run both dispatchers'}</button>
              {selected.lastRun && !result && <span className="muted">Last run {new Date(selected.lastRun.ranAt).toLocaleString()}: AutoPilot ÷ standard {selected.lastRun.autopilotVsStandard.toFixed(3)}× (run again for charts; runs are deterministic per seed)</span>}
            </div>
            {runError && <p className="error" role="alert">{runError}</p>}
            {result && <SimulationResults result={result} />}
          </>
        )}
      </section>

      {selected && (
        <SweepSection connection={connection} scenarioId={selected.id} scenario={selected.scenario} sweeps={smp.sweeps}
          onSave={(sweep) => edit((s) => ({ ...s, sweeps: [...s.sweeps, sweep] }))}
          onFitUsl={(name, source, points) => {
            const id = newId('usl', smp.uslSeries.map((x) => x.id));
            edit((s) => ({ ...s, uslSeries: [...s.uslSeries, { id, name, source, points }] }));
            setUslSelected(id);
          }} />
      )}

      <UslSection connection={connection} series={smp.uslSeries} selectedId={uslSelected} onSelect={setUslSelected}
        onAdd={(series) => { edit((s) => ({ ...s, uslSeries: [...s.uslSeries, series] })); setUslSelected(series.id); }}
        onRemove={(id) => edit((s) => ({ ...s, uslSeries: s.uslSeries.filter((x) => x.id !== id) }))} />

      <BusProbeSection connection={connection} workspace={workspace} file={file} onSave={(result) => store.edit((w) => withBusProbe(w, result).workspace)} />
    </section>
  );
}
