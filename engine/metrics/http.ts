import http from 'node:http';
import type net from 'node:net';
import type { Registry } from 'prom-client';
import type { MetricsAddress } from './address.js';

/** A scraper is one client; a few more for curl and a second Prometheus are plenty. */
const MAX_CONNECTIONS = 16;

export interface MetricsEndpoint {
  readonly address: net.AddressInfo;
  /** The URL Prometheus scrapes. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics in the Prometheus text format (what prom-client's registry renders, its
 * collect callbacks reading the live statistics at that moment). Nothing else is served; a bad
 * request ends only its own connection.
 */
export async function serveMetrics(registry: Registry, at: MetricsAddress, onError?: (err: unknown) => void): Promise<MetricsEndpoint> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') { res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics is served here\n'); return; }
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }).end(); return; }
    registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(req.method === 'HEAD' ? undefined : text);
    }, (err: unknown) => {
      onError?.(err);
      res.writeHead(500, { 'content-type': 'text/plain' }).end('collecting the metrics failed\n');
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 30_000;
  server.on('clientError', (_err, socket) => { socket.destroy(); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => { server.off('error', reject); resolve(); });
  });
  const address = server.address() as net.AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    address,
    url: `http://${host}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
