import { useState } from 'react';
import type { StorageProbeRun } from '../../../../engine/host/contract.js';
import { withStorageProbe } from '../../../../engine/storage/schema.js';
import type { Workspace } from '../../../../engine/workspace/schema.js';
import type { EngineConnection } from '../../engine/connection.js';
import type { WorkspaceStore } from '../../state/workspace-store.js';
import { useLongRun } from '../../useLongRun.js';
import { NumberField } from '../whatif/NumberField.js';

const BLOCK_SIZES = ['512', '4k', '8k', '16k', '64k', '128k', '1m'] as const;
type Progress = { done: number; total: number; label: string };

/** What became of the last probe: where it was kept, in the workspace and the SLA database. */
interface Outcome { id: string | null; run: StorageProbeRun }

/**
 * "Probe a LUN": fio at rising iodepth through a gateway, run by the engine (storage.probe) with a
 * progress bar and Cancel. The probe goes into the workspace as `headroom storage probe --save`
 * adds it (the workspace becomes unsaved, like any edit), and into the workspace's SLA database
 * when it names one. A cancelled probe keeps the steps that finished.
 */
export function ProbeForm({ workspace, store, connection }: { workspace: Workspace; store: WorkspaceStore; connection: EngineConnection }) {
  const last = workspace.storageProbes?.at(-1)?.result.uri;
  const [uri, setUri] = useState(last ?? '');
  const [bs, setBs] = useState<string>('4k');
  const [rw, setRw] = useState<'randread' | 'randrw'>('randread');
  const [seconds, setSeconds] = useState(14);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const probeRun = useLongRun<Progress>();
  const { progress, error } = probeRun;
  const slaDb = workspace.sla?.dbFile;

  const run = async (): Promise<void> => {
    setOutcome(null);
    const result = await probeRun.start({ done: 0, total: 7, label: 'starting' }, (signal, onProgress) =>
      connection.engine.stream('storage.probe', { uri: uri.trim(), bs, rw, seconds, ...(slaDb ? { slaDb } : {}) }, { signal, onProgress }));
    if (!result) return;
    let id: string | null = null;
    if (result.probe.steps.length > 0) {
      store.edit((w) => { const added = withStorageProbe(w, result.probe); id = added.id; return added.workspace; });
    }
    setOutcome({ id, run: result });
  };

  return (
    <section className="panel" data-testid="storage-probe-form">
      <h2>Probe a LUN</h2>
      <p className="muted">fio (its nbd engine) through a Headroom gateway against one LUN, at iodepth 32, 16 … 1 after a warm-up; the seconds are split over the seven. The engine's machine runs fio.</p>
      <form className="field-row" onSubmit={(e) => { e.preventDefault(); if (!progress) void run(); }}>
        <label className="field compact wide-field">
          <span>Gateway export (nbd:// or nbds://)</span>
          <input value={uri} onChange={(e) => setUri(e.target.value)} placeholder="nbd://127.0.0.1:10809/HOST/LUN" spellCheck={false} data-testid="storage-probe-uri" disabled={!!progress} />
        </label>
        <label className="field compact">
          <span>Block size</span>
          <select value={bs} onChange={(e) => setBs(e.target.value)} data-testid="storage-probe-bs" disabled={!!progress}>
            {BLOCK_SIZES.map((b) => <option key={b} value={b}>{b}</option>)}
          </select>
        </label>
        <label className="field compact">
          <span>Mode</span>
          <select value={rw} onChange={(e) => setRw(e.target.value as 'randread' | 'randrw')} data-testid="storage-probe-rw" disabled={!!progress}>
            <option value="randread">random read</option>
            <option value="randrw">random read/write</option>
          </select>
        </label>
        <NumberField label="Seconds (7 – 600)" value={seconds} min={7} max={600} onChange={(v) => { if (v !== undefined) setSeconds(v); }} testId="storage-probe-seconds" />
        {progress
          ? <button type="button" onClick={probeRun.cancel} data-testid="storage-probe-cancel">Cancel</button>
          : <button type="submit" className="primary" disabled={uri.trim() === ''} data-testid="storage-probe-run">Probe</button>}
      </form>
      {slaDb && !progress && <p className="muted" data-testid="storage-probe-db-note">The probe also goes into the SLA database {slaDb}.</p>}
      {progress && (
        <div className="progress-line" data-testid="storage-probe-progress">
          <progress value={progress.done} max={progress.total} /> {progress.done} / {progress.total} steps: {progress.label}
        </div>
      )}
      {error && <p className="error" role="alert" data-testid="storage-probe-error">{error}</p>}
      {outcome && <ProbeOutcome outcome={outcome} />}
    </section>
  );
}

function ProbeOutcome({ outcome: { id, run } }: { outcome: Outcome }) {
  const p = run.probe;
  const db = run.database;
  return (
    <p className="muted" data-testid="storage-probe-outcome">
      {p.complete
        ? `Probed ${p.uri}: ${p.steps.length} steps.`
        : `Cancelled after ${p.steps.length} finished step${p.steps.length === 1 ? '' : 's'}${p.steps.length > 0 ? ', kept' : ''}.`}
      {id && (
        <> Added to the workspace as{' '}
          <button type="button" className="link" data-testid="storage-probe-id" title="Show its panel"
            onClick={() => document.querySelector(`[data-testid="headroom-probe-${id}"]`)?.scrollIntoView({ behavior: 'smooth', block: 'start' })}>{id}</button>
          (save the workspace to keep it).</>
      )}
      {db && db.probeId !== null && <> Stored in the SLA database {db.file} as probe {db.probeId}.</>}
      {db && db.error !== null && <span className="error" data-testid="storage-probe-db-error"> Not stored in the SLA database: {db.error}</span>}
    </p>
  );
}
