import { promises as fs } from 'node:fs';
import path from 'node:path';
import { buildReport, checkReportOutput, NoChromiumError, printReportPdf, renderReportHtml, reportItems, ReportError, writeCsvTables, type ReportModel } from '../report/index.js';
import { validateWorkspace, WorkspaceError } from '../workspace/index.js';
import type { MethodHandlers, StreamHandlers } from './service.js';
import { RpcError } from './wire.js';

/** Report problems the user can fix (a bad name in `only`, an output over the workspace) say where. */
function reportFailure(err: unknown): never {
  if (err instanceof WorkspaceError) throw new RpcError({ code: 'invalid-input', message: err.detail, where: err.where ? `${err.file} at ${err.where}` : err.file });
  if (err instanceof ReportError) throw new RpcError({ code: err.code === 'cancelled' ? 'cancelled' : err.code === 'refused' ? 'conflict' : 'invalid-input', message: err.message });
  throw err;
}

/** The workspace as the user has it open, unsaved edits included: a report shows what they see. */
async function model(params: { workspace: unknown; workspacePath?: string | undefined; only?: string[] | undefined }, hooks: { signal?: AbortSignal; onProgress?: (p: { done: number; total: number; label: string }) => void } = {}): Promise<ReportModel> {
  const where = params.workspacePath ? path.resolve(params.workspacePath) : 'the open workspace';
  const workspace = validateWorkspace(where, params.workspace);
  return buildReport({ workspace, path: params.workspacePath ? path.resolve(params.workspacePath) : null }, {
    ...(params.only && params.only.length ? { only: params.only } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
  });
}

export function reportMethodHandlers(): Pick<MethodHandlers, 'report.items' | 'report.preview' | 'report.html'> {
  return {
    'report.items': (params) => {
      try { return reportItems(validateWorkspace('the open workspace', params.workspace)); } catch (err) { return reportFailure(err); }
    },
    'report.preview': async (params) => model(params).catch(reportFailure),
    'report.html': async (params) => {
      try {
        const built = await model(params);
        return { html: renderReportHtml(built, { paper: params.paper }), title: built.title };
      } catch (err) { return reportFailure(err); }
    },
  };
}

export function reportStreamHandlers(): Pick<StreamHandlers, 'report.export'> {
  return {
    'report.export': async (params, ctx) => {
      try {
        const workspacePath = params.workspacePath ? path.resolve(params.workspacePath) : null;
        // Refuse a bad output before doing the work.
        const pdf = params.pdf ? checkReportOutput(params.pdf, workspacePath, 'PDF') : null;
        const htmlOut = params.html ? checkReportOutput(params.html, workspacePath, 'HTML') : null;
        const csvDir = params.csvDir ? checkReportOutput(params.csvDir, workspacePath, 'CSV folder') : null;
        const built = await model(params, { signal: ctx.signal, onProgress: (p) => ctx.progress(p) });
        const result = { pdf: null as { path: string; pages: number } | null, csv: null as { dir: string; files: string[] } | null, html: null as string | null, noChromium: null as string | null };
        if (csvDir) {
          ctx.progress({ done: 0, total: 1, label: 'writing CSV' });
          result.csv = await writeCsvTables(built, csvDir);
        }
        if (htmlOut) {
          await fs.writeFile(htmlOut, renderReportHtml(built, { paper: params.paper }));
          result.html = htmlOut;
        }
        if (pdf) {
          ctx.progress({ done: 0, total: 1, label: 'printing the PDF' });
          try {
            const printed = await printReportPdf(built, { paper: params.paper, signal: ctx.signal, onProgress: (p) => ctx.progress(p) });
            await fs.writeFile(pdf, printed.pdf);
            result.pdf = { path: pdf, pages: printed.pages };
          } catch (err) {
            if (!(err instanceof NoChromiumError)) throw err;
            const fallback = pdf.replace(/\.pdf$/i, '') + '.html';
            await fs.writeFile(fallback, renderReportHtml(built, { paper: params.paper }));
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
