import { useEffect, useState } from 'react';
import type { ReportExportResult, ReportItemGroup } from '../../../../engine/host/contract.js';
import { formatCell, numericColumns } from '../../../../engine/report/format.js';
import type { ReportModel, ReportSection, ReportTable } from '../../../../engine/report/model.js';
import type { Workspace } from '../../../../engine/workspace/schema.js';
import type { ShellBridge } from '../../../../electron/bridge.js';
import type { EngineConnection } from '../../engine/connection.js';
import { useLongRun } from '../../useLongRun.js';
import type { ViewContext } from '../registry.js';

type Paper = 'A4' | 'Letter';

function stem(workspacePath: string | null, name: string): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'report';
  const dir = workspacePath ? workspacePath.replace(/[\\/][^\\/]*$/, '') : '';
  return dir ? `${dir}/${base}-report` : `${base}-report`;
}

/** Choose what goes in, preview it, and export PDF, CSV and HTML a planner can hand on. */
export function ReportsView({ workspace, workspacePath, connection, browse, shell }: {
  workspace: Workspace; workspacePath: string | null; connection: EngineConnection; browse: ViewContext['browse']; shell: ShellBridge | null;
}) {
  const [groups, setGroups] = useState<ReportItemGroup[]>([]);
  const [excluded, setExcluded] = useState<Set<string>>(new Set());
  const [paper, setPaper] = useState<Paper>('A4');
  const defaults = stem(workspacePath, workspace.name);
  const [pdf, setPdf] = useState(`${defaults}.pdf`);
  const [csvDir, setCsvDir] = useState(`${defaults}-csv`);
  const [html, setHtml] = useState('');
  const [preview, setPreview] = useState<ReportModel | null>(null);
  const [result, setResult] = useState<ReportExportResult | null>(null);
  const exporting = useLongRun<{ done: number; total: number; label: string }>();
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    connection.engine.call('report.items', { workspace }).then(setGroups).catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, [workspace, connection]);
  const allItems = groups.flatMap((g) => g.items);
  const only = excluded.size === 0 ? undefined : allItems.filter((i) => !excluded.has(i.name)).map((i) => i.name);
  const common = { workspace, ...(workspacePath ? { workspacePath } : {}), ...(only ? { only } : {}) };
  const toggle = (name: string): void => setExcluded((e) => { const next = new Set(e); if (next.has(name)) next.delete(name); else next.add(name); return next; });

  const showPreview = async (): Promise<void> => {
    setError(null);
    try { setPreview(await connection.engine.call('report.preview', common)); } catch (err) { setError(err instanceof Error ? err.message : String(err)); }
  };

  const exportNow = async (): Promise<void> => {
    setError(null); setResult(null);
    // In the app, Electron's printToPDF prints the same HTML the engine would give Chromium.
    const viaShell = shell !== null && pdf.trim() !== '';
    const out = await exporting.start({ done: 0, total: 1, label: 'building the report' }, (signal, onProgress) =>
      connection.engine.stream('report.export', { ...common, paper, ...(!viaShell && pdf.trim() ? { pdf: pdf.trim() } : {}), ...(csvDir.trim() ? { csvDir: csvDir.trim() } : {}), ...(html.trim() ? { html: html.trim() } : {}) }, { signal, onProgress }));
    if (!out) return;
    if (viaShell && shell) {
      try {
        const rendered = await connection.engine.call('report.html', { ...common, paper });
        // The PDF field is only the save dialog's suggestion: the app asks where to put it.
        const printed = await shell.printReport({ html: rendered.html, paper, defaultPath: pdf.trim(), title: rendered.title });
        if (printed) out.pdf = { path: printed.path, pages: printed.pages ?? 0 };
      } catch (err) {
        setError(err instanceof Error ? err.message : String(err));
      }
    }
    setResult(out);
  };

  const pick = (setter: (v: string) => void, suffix: string, title: string) => async (): Promise<void> => {
    const chosen = await browse({ mode: 'save', suffix, title, suggestedName: `${defaults.replace(/^.*[\\/]/, '')}${suffix}` });
    if (chosen) setter(chosen);
  };

  return (
    <section className="view reports" data-testid="reports-view">
      <h1>Report</h1>
      <div className="usl-layout">
        <section className="panel compact-panel">
          <h3>What goes in</h3>
          {groups.length === 0 && <p className="muted">Nothing to report yet: add scenarios, sweeps, measurements or notes.</p>}
          {groups.map((g) => (
            <div key={g.kind} className="report-group">
              <strong>{g.title}</strong>
              {g.items.map((item) => (
                <label key={item.name} className="check-row">
                  <input type="checkbox" checked={!excluded.has(item.name)} onChange={() => toggle(item.name)} data-testid={`report-item-${item.name}`} />
                  <span>{item.title}</span>
                </label>
              ))}
            </div>
          ))}
        </section>
        <section className="panel compact-panel">
          <h3>Export</h3>
          <div className="field-row">
            <label className="field compact"><span>Paper</span>
              <select value={paper} onChange={(e) => setPaper(e.target.value as Paper)} data-testid="report-paper"><option>A4</option><option>Letter</option></select>
            </label>
          </div>
          {([['PDF', pdf, setPdf, '.pdf', 'report-pdf'], ['CSV folder', csvDir, setCsvDir, '', 'report-csv'], ['HTML (optional)', html, setHtml, '.html', 'report-html']] as const).map(([label, value, setter, suffix, id]) => (
            <label key={id} className="field">
              <span>{label}</span>
              <div className="path-row">
                <input value={value} onChange={(e) => setter(e.target.value)} data-testid={id} placeholder="leave empty to skip" />
                {suffix && <button onClick={() => void pick(setter, suffix, `Save ${label}`)()}>…</button>}
              </div>
            </label>
          ))}
          <div className="action-row">
            <button onClick={() => void showPreview()} data-testid="report-preview">Preview</button>
            {exporting.running
              ? <button onClick={exporting.cancel} data-testid="report-cancel">Cancel</button>
              : <button className="primary" onClick={() => void exportNow()} disabled={!pdf.trim() && !csvDir.trim() && !html.trim()} data-testid="report-export">Export</button>}
            {exporting.progress && <span className="progress-line" data-testid="report-progress"><progress value={exporting.progress.done} max={Math.max(1, exporting.progress.total)} /> {exporting.progress.label}</span>}
          </div>
          {(error ?? exporting.error) && <p className="error" role="alert">{error ?? exporting.error}</p>}
          {result && (
            <ul className="link-list" data-testid="report-result">
              {result.pdf && <li>PDF: <span className="mono">{result.pdf.path}</span> ({result.pdf.pages} pages)</li>}
              {result.csv && <li>CSV: <span className="mono">{result.csv.dir}</span> ({result.csv.files.length} files)</li>}
              {result.html && <li>HTML: <span className="mono">{result.html}</span></li>}
              {result.noChromium && <li className="warn">{result.noChromium}</li>}
            </ul>
          )}
        </section>
      </div>
      {preview && (
        <section className="panel report-preview" data-testid="report-preview-body">
          <h2>{preview.title}</h2>
          <p className="muted">Headroom {preview.provenance.headroomVersion} · {preview.provenance.workspacePath ?? 'unsaved workspace'} · sha256 {preview.provenance.workspaceSha256.slice(0, 12)}… · charts appear in the PDF</p>
          {preview.sections.map((s) => <PreviewSection key={s.id} section={s} depth={0} />)}
        </section>
      )}
    </section>
  );
}

function PreviewSection({ section, depth }: { section: ReportSection; depth: number }) {
  const Heading = depth === 0 ? 'h2' : 'h3';
  return (
    <div className="preview-section">
      <Heading>{section.title}</Heading>
      {section.paragraphs.map((p, i) => <p key={i}>{p}</p>)}
      {section.tables.map((t) => <PreviewTable key={t.id} table={t} />)}
      {section.charts.length > 0 && <p className="muted small">{section.charts.length} chart{section.charts.length > 1 ? 's' : ''}: {section.charts.map((c) => c.title).join(', ')}</p>}
      {section.children.map((c) => <PreviewSection key={c.id} section={c} depth={depth + 1} />)}
    </div>
  );
}

function PreviewTable({ table }: { table: ReportTable }) {
  const rows = table.rows.slice(0, 12);
  const numeric = numericColumns({ columns: table.columns, rows });
  return (
    <div className="preview-table">
      <strong>{table.title}</strong>
      <table className="grid">
        <thead><tr>{table.columns.map((c, k) => <th key={c.id} className={numeric[k] ? 'num' : undefined}>{c.label}{c.unit ? ` (${c.unit})` : ""}</th>)}</tr></thead>
        <tbody>{rows.map((r, i) => <tr key={i}>{r.map((cell, k) => <td key={k} className={numeric[k] ? 'num' : undefined}>{formatCell(cell, table.columns[k] ?? {})}</td>)}</tr>)}</tbody>
      </table>
      {table.rows.length > rows.length && <p className="muted small">… {table.rows.length - rows.length} more rows in the export</p>}
    </div>
  );
}
