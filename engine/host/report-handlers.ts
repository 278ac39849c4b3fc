import { promises as fs } from 'node:fs';
import path from 'node:path';
import { checkReportOutput, NoChromiumError, printReportPdf, reportItems, ReportError, writeCsvTables, type ReportModel } from '../report/index.js';
import { validateWorkspace, WorkspaceError, writeFileAtomic } from '../workspace/index.js';
import type { EngineDeps } from './handlers.js';
import type { ReportBuildProgress } from './offload-tasks.js';
import type { MethodHandlers, StreamHandlers } from './service.js';
import { RpcError } from './wire.js';

/** Report problems the user can fix (a bad name in `only`, an output over the workspace) say where. */
function reportFailure(err: unknown): never {
  if (err instanceof WorkspaceError) throw new RpcError({ code: 'invalid-input', message: err.detail, where: err.where ? `${err.file} at ${err.where}` : err.file });
  if (err instanceof ReportError) throw new RpcError({ code: err.code === 'cancelled' ? 'cancelled' : err.code === 'refused' ? 'conflict' : 'invalid-input', message: err.message });
  throw err;
}

interface ReportSource { workspace: unknown; workspacePath?: string | undefined; only?: string[] | undefined }

/**
 * The workspace as the user has it open, unsaved edits included: a report shows what they see.
 * Built on the report worker lane; the SLA database it reads obeys the same capability rule.
 */
async function build(deps: EngineDeps, params: ReportSource, html: { paper: 'A4' | 'Letter' } | null, hooks: { signal?: AbortSignal; onProgress?: (p: ReportBuildProgress) => void } = {}): Promise<{ model: ReportModel; html: string | null }> {
  const workspacePath = params.workspacePath ? path.resolve(params.workspacePath) : null;
  const dbFile = slaDbRead(params.workspace);
  if (dbFile !== null) await deps.files.authorize(path.resolve(dbFile), 'sla-db', 'read');
  return deps.reportLane.run({ kind: 'report.build', workspace: params.workspace, workspacePath, only: params.only ?? null, html }, hooks);
}

/** The SLA database the report will open: named by the workspace, read only when it has periods to report. */
function slaDbRead(workspace: unknown): string | null {
  const sla = typeof workspace === 'object' && workspace !== null ? (workspace as { sla?: unknown }).sla : undefined;
  if (typeof sla !== 'object' || sla === null) return null;
  const { dbFile, periods } = sla as { dbFile?: unknown; periods?: unknown };
  return typeof dbFile === 'string' && dbFile.length > 0 && Array.isArray(periods) && periods.length > 0 ? dbFile : null;
}

export function reportMethodHandlers(deps: EngineDeps): Pick<MethodHandlers, 'report.items' | 'report.preview' | 'report.html'> {
  return {
    'report.items': (params) => {
      try { return reportItems(validateWorkspace('the open workspace', params.workspace)); } catch (err) { return reportFailure(err); }
    },
    'report.preview': async (params, ctx) => (await build(deps, params, null, { signal: ctx.signal })).model,
    'report.html': async (params, ctx) => {
      const built = await build(deps, params, { paper: params.paper }, { signal: ctx.signal });
      return { html: built.html ?? '', title: built.model.title };
    },
  };
}

/** Replaces a report output only if what is there is a report output of that kind. */
async function writeOutput(deps: EngineDeps, file: string, purpose: 'report-pdf' | 'report-html', data: string | Uint8Array): Promise<void> {
  await deps.files.checkReplaceable(file, purpose);
  await writeFileAtomic(file, data);
}

/** CSV files are written straight into the folder: none of the names may be a link elsewhere. */
async function checkCsvFolder(dir: string): Promise<void> {
  let names: string[];
  try { names = await fs.readdir(dir); } catch { return; }
  for (const name of names.filter((n) => n.toLowerCase().endsWith('.csv'))) {
    const stat = await fs.lstat(path.join(dir, name));
    if (!stat.isFile()) throw new RpcError({ code: 'forbidden', message: 'is not a regular file; refusing to write the CSV over it', where: path.join(dir, name) });
  }
}

export function reportStreamHandlers(deps: EngineDeps): Pick<StreamHandlers, 'report.export'> {
  const { files } = deps;
  return {
    'report.export': async (params, ctx) => {
      try {
        const workspacePath = params.workspacePath ? path.resolve(params.workspacePath) : null;
        // Refuse a bad output before doing the work.
        const guard = async (out: string | undefined, purpose: 'report-pdf' | 'report-html' | 'report-csv', what: string): Promise<string | null> =>
          out ? files.authorize(checkReportOutput(out, workspacePath, what), purpose, 'write') : null;
        const pdf = await guard(params.pdf, 'report-pdf', 'PDF');
        const htmlOut = await guard(params.html, 'report-html', 'HTML');
        const csvDir = await guard(params.csvDir, 'report-csv', 'CSV folder');
        if (csvDir) await checkCsvFolder(csvDir);
        const wantHtml = htmlOut !== null || pdf !== null;
        const built = await build(deps, params, wantHtml ? { paper: params.paper } : null, { signal: ctx.signal, onProgress: (p) => ctx.progress(p) });
        const result = { pdf: null as { path: string; pages: number } | null, csv: null as { dir: string; files: string[] } | null, html: null as string | null, noChromium: null as string | null };
        if (csvDir) {
          ctx.progress({ done: 0, total: 1, label: 'writing CSV' });
          result.csv = await writeCsvTables(built.model, csvDir);
        }
        if (htmlOut) {
          await writeOutput(deps, htmlOut, 'report-html', built.html ?? '');
          result.html = htmlOut;
        }
        if (pdf) {
          ctx.progress({ done: 0, total: 1, label: 'printing the PDF' });
          try {
            await files.checkReplaceable(pdf, 'report-pdf');
            const printed = await printReportPdf(built.model, { paper: params.paper, signal: ctx.signal, onProgress: (p) => ctx.progress(p) });
            await writeOutput(deps, pdf, 'report-pdf', printed.pdf);
            result.pdf = { path: pdf, pages: printed.pages };
          } catch (err) {
            if (!(err instanceof NoChromiumError)) throw err;
            const fallback = await files.authorize(pdf.replace(/\.pdf$/i, '') + '.html', 'report-html', 'write');
            await writeOutput(deps, fallback, 'report-html', built.html ?? '');
            result.html = fallback;
            result.noChromium = `${err.message}; wrote the HTML instead: ${fallback}`;
          }
        }
        return result;
      } catch (err) {
        if (ctx.signal.aborted) throw new RpcError({ code: 'cancelled', message: 'report cancelled' });
        return reportFailure(err);
      }
    },
  };
}
