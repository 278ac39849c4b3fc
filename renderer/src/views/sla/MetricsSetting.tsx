import { useEffect, useState } from 'react';
import type { MetricsSettingState } from '../../../../engine/host/contract.js';
import type { EngineConnection } from '../../engine/connection.js';

/**
 * The opt-in for Prometheus: while on, the engine's SLA server serves /metrics on a loopback address
 * (as `headroom server --metrics` does), so Grafana can chart it beside other systems. Kept by the
 * engine in the user's settings; off until turned on.
 */
export function MetricsSetting({ connection, running }: { connection: EngineConnection; running: boolean }) {
  const [state, setState] = useState<MetricsSettingState | null>(null);
  const [enabled, setEnabled] = useState(false);
  const [address, setAddress] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const show = (s: MetricsSettingState, draftToo: boolean): void => {
    setState(s);
    if (draftToo) { setEnabled(s.enabled); setAddress(s.address); }
  };
  // Read when the view opens, and again when the server starts or stops (it opens or closes the endpoint).
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    void connection.engine.call('metrics.get', {}).then((s) => { show(s, !loaded); setLoaded(true); }).catch(() => undefined);
  }, [connection, running]); // eslint-disable-line react-hooks/exhaustive-deps

  const changed = state !== null && (enabled !== state.enabled || address.trim() !== state.address);
  const apply = async (): Promise<void> => {
    setBusy(true); setError(null);
    try { show(await connection.engine.call('metrics.set', { enabled, address: address.trim() }), true); } catch (err) { setError(err instanceof Error ? err.message : String(err)); } finally { setBusy(false); }
  };

  let line: string;
  if (!state) line = '';
  else if (state.url) line = `Prometheus can scrape ${state.url} (series named headroom_…).`;
  else if (!state.enabled) line = 'Off: nothing listens. Turn it on to chart the SLA server in Grafana beside your other systems.';
  else if (running) line = '';
  else line = `On: /metrics listens on ${state.address} while the SLA server runs.`;
  return (
    <div className="metrics-setting" data-testid="metrics-setting">
      <div className="field-row">
        <label className="check-row metrics-check"><input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} data-testid="metrics-enabled" />
          <span>Serve /metrics for Prometheus</span></label>
        <label className="field compact"><span>On (loopback)</span>
          <input value={address} onChange={(e) => setAddress(e.target.value)} placeholder="127.0.0.1:9464" data-testid="metrics-address" /></label>
        <button onClick={() => void apply()} disabled={busy || !changed || address.trim() === ''} data-testid="metrics-apply">Apply</button>
        {line && <span className="hint" data-testid="metrics-status">{line}</span>}
      </div>
      {(error ?? state?.problem) && <p className="error" role="alert" data-testid="metrics-error">{error ?? state?.problem}</p>}
    </div>
  );
}
