import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../engine/host/csp.js';
import { pageScript } from '../engine/report/page-script.js';
import { printSettings } from '../engine/report/print-settings.js';
import type { ReportPrintRequest } from './bridge.js';
import { APP_SCHEME, createSecureWindow } from './security.js';

const READY_TIMEOUT_MS = 60_000;
const MAX_HTML_CHARS = 64 * 1024 * 1024;
/** The print window's own host: another origin than the workbench (no shared storage, no IPC trust). */
export const REPORT_HOST = 'report';

export function isReportPrintRequest(value: unknown): value is ReportPrintRequest {
  const v = value as Record<string, unknown> | null;
  return !!v && typeof v.html === 'string' && v.html.length < MAX_HTML_CHARS && (v.paper === 'A4' || v.paper === 'Letter')
    && typeof v.title === 'string' && v.title.length < 1024
    && (v.defaultPath === undefined || (typeof v.defaultPath === 'string' && v.defaultPath.length < 4096));
}

/**
 * The scripts a report page may run, by content: plotly.js and the page script, exactly as the
 * engine inlines them (engine/report/html.ts escapes `</script` in plotly the same way). Any other
 * inline script in the HTML stays inline, where the CSP (no 'unsafe-inline') blocks it.
 */
export class KnownReportScripts {
  private readonly byHash = new Map<string, { name: string; text: string }>();

  constructor(scripts: ReadonlyArray<{ name: string; text: string }>) {
    for (const s of scripts) this.byHash.set(sha256(s.text), s);
  }

  /** From the app's own node_modules (packaged or not); without plotly, only the page script is known. */
  static load(appPath: string): KnownReportScripts {
    const scripts = [{ name: 'page.js', text: pageScript }];
    try {
      const file = createRequire(path.join(appPath, 'package.json')).resolve('plotly.js-dist-min/plotly.min.js');
      scripts.push({ name: 'plotly.js', text: readFileSync(file, 'utf8').replace(/<\/(script)/gi, '<\\/$1') });
    } catch { /* charts then fail with "Plotly did not load", which the print reports */ }
    return new KnownReportScripts(scripts);
  }

  lookup(text: string): { name: string; text: string } | undefined {
    return this.byHash.get(sha256(text));
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

interface ServedFile { body: string; type: string }

/**
 * Report pages being printed, served at app://report/<token>/… with the workbench's CSP. Each lives
 * only while its print runs; the token is unguessable so no other page can load one.
 */
export class ReportPages {
  private readonly pages = new Map<string, Map<string, ServedFile>>();

  constructor(private readonly scripts: KnownReportScripts) {}

  /** Stores the page with its known inline scripts moved to files; returns its URL and whether it needs scripts. */
  add(html: string): { token: string; url: string; needsScripts: boolean } {
    const token = randomBytes(16).toString('hex');
    const files = new Map<string, ServedFile>();
    // A bare <script> element's text ends at the first `</script`, as the HTML parser reads it.
    const page = html.replace(/<script>([\s\S]*?)<\/script>/g, (element, text: string) => {
      const known = this.scripts.lookup(text);
      if (!known) return element;
      files.set(`/${token}/${known.name}`, { body: known.text, type: 'text/javascript; charset=utf-8' });
      return `<script src="/${token}/${known.name}"></script>`;
    });
    files.set(`/${token}/report.html`, { body: page, type: 'text/html; charset=utf-8' });
    this.pages.set(token, files);
    // Charts are drawn by script; a report without charts prints with JavaScript off.
    return { token, url: `${APP_SCHEME}://${REPORT_HOST}/${token}/report.html`, needsScripts: /\sdata-chart="/.test(page) };
  }

  remove(token: string): void {
    this.pages.delete(token);
  }

  serve(url: URL): Response {
    const token = url.pathname.split('/')[1] ?? '';
    const file = this.pages.get(token)?.get(url.pathname);
    if (!file) return new Response('not found', { status: 404 });
    return new Response(file.body, {
      status: 200,
      headers: { 'content-type': file.type, 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff' },
    });
  }
}

/**
 * The app prints reports itself: the engine's HTML in a hidden, sandboxed window on app://report
 * (no preload, the workbench's CSP, scripts only when there are charts to draw), printed with
 * printToPDF and the same page settings the engine gives Chromium, so both PDFs match. `outPath`
 * comes from the save dialog in main, never from the page.
 */
export async function printReportToPdf(request: ReportPrintRequest, outPath: string, pages: ReportPages): Promise<{ path: string; pages: number | null }> {
  const page = pages.add(request.html);
  const window = createSecureWindow({ show: false }, { preload: null, javascript: page.needsScripts });
  try {
    await window.loadURL(page.url);
    const started = Date.now();
    while (page.needsScripts) {
      const state = await window.webContents.executeJavaScript('window.__reportError ? String(window.__reportError) : (window.__reportReady === true ? "ready" : "")') as string;
      if (state === 'ready') break;
      if (state) throw new Error(`the report page failed: ${state}`);
      if (Date.now() - started > READY_TIMEOUT_MS) throw new Error('the report page did not finish drawing its charts');
      await new Promise((r) => setTimeout(r, 100));
    }
    const pdf = await window.webContents.printToPDF({ ...printSettings(request.paper, request.title), generateDocumentOutline: true });
    await fs.writeFile(outPath, pdf);
    const count = (pdf.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? []).length;
    return { path: outPath, pages: count || null };
  } finally {
    window.destroy();
    pages.remove(page.token);
  }
}
