import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../runtime/index.js';
import { CONTENT_SECURITY_POLICY } from './csp.js';
import type { EngineService } from './service.js';
import type { ServerChannel, ServerMessage } from './wire.js';

export interface BrowserServerOptions {
  port: number;
  /** Loopback only: the engine reads and writes the user's files. */
  host?: '127.0.0.1' | 'localhost' | '::1';
  rendererDir: string;
  token?: string;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf', '.map': 'application/json',
  '.wasm': 'application/wasm', '.txt': 'text/plain; charset=utf-8',
};

/** Max size of one RPC message from the browser: workspaces are small; anything larger is refused. */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

function tokensMatch(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Browser mode: serves the built renderer on loopback and the RPC contract over a WebSocket
 * that only opens with this launch's random token. The Host and Origin checks stop another
 * web page (or a DNS-rebinding host name) from reaching the engine through the user's browser.
 */
export async function startBrowserServer(service: EngineService, options: BrowserServerOptions, log: Logger): Promise<BrowserServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = path.resolve(options.rendererDir);
  let port = options.port;
  const allowedHost = (value: string | undefined): boolean =>
    value !== undefined && [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(value);

  const server = http.createServer((req, res) => {
    if (!allowedHost(req.headers.host)) { res.writeHead(421).end('wrong host'); return; }
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return; }
    void serveStatic(rendererDir, req, res).catch((err: unknown) => {
      log.warn({ err }, 'static file failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  // A malformed request is that connection's problem: answer 400 and close it, nothing more.
  server.on('clientError', (err, socket) => {
    log.debug({ err: err.message }, 'malformed HTTP request');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  wss.on('error', (err) => log.warn({ err }, 'engine WebSocket server error'));
  server.on('upgrade', (req, socket, head) => {
    // Reset peers and writes after a close must not surface as an unhandled 'error'.
    socket.on('error', (err) => log.debug({ err: err.message }, 'engine connection socket error'));
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const origin = req.headers.origin;
    const originOk = origin === undefined || [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`].includes(origin);
    if (url.pathname !== '/rpc' || !allowedHost(req.headers.host) || !originOk || !tokensMatch(url.searchParams.get('token'), token)) {
      log.warn({ path: url.pathname, origin, remote: req.socket.remoteAddress }, 'refused an engine connection without the launch token');
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A bad frame (invalid UTF-8, unmasked, reserved opcode, over maxPayload) ends this connection only:
      // ws closes it with the right status code and reports the reason here.
      ws.on('error', (err) => log.warn({ err: err.message, remote: req.socket.remoteAddress }, 'closed a workbench connection after a bad frame'));
      service.attach(webSocketServerChannel(ws), 'websocket');
      log.info({ remote: req.socket.remoteAddress }, 'workbench connected');
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => { server.off('error', reject); resolve(); });
  });
  server.on('error', (err) => log.error({ err }, 'engine HTTP server error'));
  port = (server.address() as AddressInfo).port;
  const shownHost = host === '::1' ? '[::1]' : host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    close: () => new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function webSocketServerChannel(ws: WebSocket): ServerChannel {
  return {
    send(message: ServerMessage) { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message)); },
    onMessage(listener) {
      ws.on('message', (data, isBinary) => {
        if (isBinary) { listener(undefined); return; }
        let parsed: unknown;
        try { parsed = JSON.parse(data.toString()); } catch { parsed = undefined; }
        listener(parsed);
      });
    },
    onClose(listener) { ws.on('close', (code) => listener(`websocket closed (${code})`)); },
    close() { ws.close(1001, 'engine stopping'); },
  };
}

async function serveStatic(root: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  let rel: string;
  try { rel = decodeURIComponent(url.pathname); } catch { res.writeHead(400).end(); return; }
  if (rel.endsWith('/')) rel += 'index.html';
  const file = path.resolve(root, '.' + rel);
  if (file !== root && !file.startsWith(root + path.sep)) { res.writeHead(403).end(); return; }
  let stat;
  try { stat = await fs.stat(file); } catch { stat = undefined; }
  if (!stat?.isFile()) {
    if (rel === '/index.html') {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' })
        .end('The workbench is not built. Run "npm run build" in the Headroom folder.\n');
      return;
    }
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, {
    'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
    'content-length': stat.size,
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': rel === '/index.html' ? 'no-store' : 'no-cache',
  });
  if (req.method === 'HEAD') { res.end(); return; }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
