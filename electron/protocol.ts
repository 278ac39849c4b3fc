import { promises as fs } from 'node:fs';
import path from 'node:path';
import { protocol } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../engine/host/csp.js';
import { REPORT_HOST, type ReportPages } from './report-print.js';
import { APP_HOST, APP_SCHEME } from './security.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.ttf': 'font/ttf',
  '.map': 'application/json', '.wasm': 'application/wasm',
};

/** Must run before the app is ready: app:// behaves as a secure, standard origin (workers, fetch, storage). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ]);
}

/**
 * Serves the built renderer over app://headroom/ instead of file://, so the page has a real
 * origin, gets the same CSP as browser mode, and cannot read arbitrary files by URL. Report pages
 * being printed are served, from memory, on their own origin app://report/.
 */
export function serveRendererOverAppScheme(rendererDir: string, reports: ReportPages): void {
  const root = path.resolve(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host === REPORT_HOST) return reports.serve(url);
    if (url.host !== APP_HOST) return new Response('not found', { status: 404 });
    let rel: string;
    try { rel = decodeURIComponent(url.pathname); } catch { return new Response('bad request', { status: 400 }); }
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = path.resolve(root, '.' + rel);
    if (!file.startsWith(root + path.sep)) return new Response('forbidden', { status: 403 });
    try {
      const body = await fs.readFile(file);
      return new Response(body, {
        status: 200,
        headers: {
          'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
          'content-security-policy': CONTENT_SECURITY_POLICY,
          'x-content-type-options': 'nosniff',
        },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}
