import { useState } from 'react';
import type { MethodResults } from '../../../../engine/host/contract.js';
import type { EngineConnection } from '../../engine/connection.js';
import { NumberField } from '../whatif/NumberField.js';
import { fmt } from '../whatif/model.js';

type Sizing = MethodResults['messaging.sizing'];

/**
 * The study's own question, asked directly: how many thread pairs for this many gateways?
 * Both rules are shown with every input they used, so a planner can check the arithmetic.
 */
export function SizingPanel({ connection, measuredPerGatewayUs }: { connection: EngineConnection; measuredPerGatewayUs: number | null }) {
  const [gateways, setGateways] = useState<number | undefined>(2000);
  const [intervalMs, setIntervalMs] = useState<number | undefined>(1000);
  const [timeQuantumMs, setTimeQuantumMs] = useState<number | undefined>(10);
  const [ptmaxUs, setPtmaxUs] = useState<number | undefined>(undefined);
  const [perGatewayUs, setPerGatewayUs] = useState<number | undefined>(undefined);
  const [result, setResult] = useState<Sizing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ready = gateways !== undefined && intervalMs !== undefined && timeQuantumMs !== undefined;

  const size = async (): Promise<void> => {
    if (!ready) return;
    setBusy(true); setError(null);
    try {
      const cost = perGatewayUs ?? measuredPerGatewayUs ?? undefined;
      setResult(await connection.engine.call('messaging.sizing', {
        gateways, intervalMs, timeQuantumMs, ...(ptmaxUs !== undefined ? { ptmaxUs } : {}), ...(cost !== undefined ? { perGatewayUs: cost } : {}),
      }));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" data-testid="sizing-panel">
      <h2>Size the daemon for a fleet</h2>
      <p className="muted">Thread pairs (shards) for a number of gateways, by the document's formula and by the rule measured here. Empty costs are measured on this machine{measuredPerGatewayUs !== null ? '; the CPU per gateway defaults to the latest study\'s thread-pair figure' : ''}.</p>
      <div className="field-row">
        <NumberField label="Gateways" integer min={1} max={10_000_000} value={gateways} onChange={setGateways} testId="sizing-gateways" />
        <NumberField label="Poll interval (ms)" integer min={1} max={3_600_000} value={intervalMs} onChange={setIntervalMs} testId="sizing-interval" />
        <NumberField label="Time quantum T_thr (ms)" min={0.001} max={10_000} value={timeQuantumMs} onChange={setTimeQuantumMs} hint="The thread time quantum in the document's formula." />
        <NumberField label="Most processing per gateway T_ptmax (µs)" min={0.001} max={10_000_000} optional value={ptmaxUs} onChange={setPtmaxUs} testId="sizing-ptmax" hint="The document's T_ptmax; empty measures it (worst batch of encode and decode per gateway)." />
        <NumberField label="CPU per gateway per cycle (µs)" min={0.001} max={10_000_000} optional value={perGatewayUs} onChange={setPerGatewayUs} hint="What the measured rule spreads over the shards; empty takes the latest study, else measures it." />
        <button className="primary" onClick={() => void size()} disabled={!ready || busy} data-testid="sizing-run">Size</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {result && (
        <table className="grid numeric" data-testid="sizing-result">
          <thead><tr><th>Rule</th><th>Thread pairs</th><th>Inputs</th></tr></thead>
          <tbody>
            <tr><td>Document: Roundup(n / ((T_thr·1000) / T_ptmax))</td><td><b>{result.documentFormula}</b></td>
              <td>n = {result.gateways}, T_thr = {fmt(result.timeQuantumMs)} ms, T_ptmax = {fmt(result.ptmaxUs)} µs{result.measured.ptmaxUs ? ' (measured)' : ''}: {fmt((result.timeQuantumMs * 1000) / result.ptmaxUs)} gateways per pair</td></tr>
            <tr><td>Measured rule</td><td><b>{result.measuredRule}</b></td>
              <td>{result.gateways} × {fmt(result.perGatewayUs)} µs{result.measured.perGatewayUs ? ' (measured)' : ''} within 50% of the {fmt(result.deadlineMs)} ms reply deadline (half the interval), at most {result.cpus} cores{result.measuredUnclamped > result.measuredRule ? ` (would need ${result.measuredUnclamped})` : ''}</td></tr>
          </tbody>
        </table>
      )}
    </section>
  );
}
