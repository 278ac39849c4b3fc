import net from 'node:net';

/** Where /metrics listens; loopback unless the user asked for more in so many words. */
export interface MetricsAddress {
  readonly host: string;
  readonly port: number;
}

export const DEFAULT_METRICS_HOST = '127.0.0.1';

export class MetricsAddressError extends Error {}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}

/**
 * `PORT`, `:PORT` or `HOST:PORT` (`[v6]:PORT`). No host means 127.0.0.1. A host that is not loopback
 * (including 0.0.0.0 and ::) is refused unless `allowRemote`: anyone who can reach the port reads
 * every host and LUN name and their load.
 */
export function parseMetricsAddress(option: string, text: string, allowRemote = false): MetricsAddress {
  const trimmed = text.trim();
  const colon = trimmed.lastIndexOf(':');
  const hostPart = colon < 0 ? '' : trimmed.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const portPart = colon < 0 ? trimmed : trimmed.slice(colon + 1);
  const port = Number(portPart);
  if (portPart === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new MetricsAddressError(`${option} ${text}: expected PORT or HOST:PORT, e.g. 127.0.0.1:9464 (port 0 picks one)`);
  }
  const host = hostPart === '' ? DEFAULT_METRICS_HOST : hostPart;
  if (!isLoopbackHost(host) && !allowRemote) {
    throw new MetricsAddressError(`${option} ${text}: ${host} is not a loopback address; /metrics names every host and LUN, so serving it beyond this machine needs --metrics-allow-remote as well`);
  }
  return { host, port };
}
