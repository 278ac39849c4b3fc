import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrowserWindow } from 'electron';
import { printSettings } from '../engine/report/print-settings.js';
import type { ReportPrintRequest } from './bridge.js';

const READY_TIMEOUT_MS = 60_000;

export function isReportPrintRequest(value: unknown): value is ReportPrintRequest {
  const v = value as Record<string, unknown> | null;
  return !!v && typeof v.html === 'string' && v.html.length < 64 * 1024 * 1024 && (v.paper === 'A4' || v.paper === 'Letter')
    && typeof v.outPath === 'string' && v.outPath.length > 0 && v.outPath.length < 4096 && typeof v.title === 'string';
}

/**
 * The app prints reports itself: the engine's HTML in a hidden, sandboxed window, printed with
 * printToPDF and the same page settings the engine gives Chromium, so both PDFs match.
 */
export async function printReportToPdf(request: ReportPrintRequest): Promise<{ path: string; pages: number | null }> {
  const outPath = path.resolve(request.outPath);
  if (outPath.endsWith('.headroom.json')) throw new Error(`${outPath}: refusing to write the PDF over a workspace file; choose another name`);
  const temp = path.join(os.tmpdir(), `headroom-report-${randomBytes(6).toString('hex')}.html`);
  await fs.writeFile(temp, request.html, 'utf8');
  const window = new BrowserWindow({
    show: false,
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: true, webSecurity: true },
  });
  try {
    await window.loadFile(temp);
    const started = Date.now();
    for (;;) {
      const state = await window.webContents.executeJavaScript('window.__reportError ? String(window.__reportError) : (window.__reportReady === true ? "ready" : "")') as string;
      if (state === 'ready') break;
      if (state) throw new Error(`the report page failed: ${state}`);
      if (Date.now() - started > READY_TIMEOUT_MS) throw new Error('the report page did not finish drawing its charts');
      await new Promise((r) => setTimeout(r, 100));
    }
    const pdf = await window.webContents.printToPDF({ ...printSettings(request.paper, request.title), generateDocumentOutline: true });
    await fs.writeFile(outPath, pdf);
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? []).length;
    return { path: outPath, pages: pages || null };
  } finally {
    window.destroy();
    await fs.rm(temp, { force: true });
  }
}
