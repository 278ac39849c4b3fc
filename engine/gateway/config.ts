import type { ThrottleLimits } from './throttle.js';
import type { ThrottleTarget } from './gateway.js';
import type { HostRange } from './attribution.js';
import type { AccessRule } from './access.js';

export type ExportSpec =
  | { readonly name: string; readonly kind: 'file'; readonly path: string; readonly size: number; readonly readOnly: boolean }
  | { readonly name: string; readonly kind: 'nbd'; readonly host: string; readonly port: number; readonly exportName: string; readonly readOnly: boolean; readonly socketPath?: string };

export interface LimitSpec {
  readonly target: ThrottleTarget;
  readonly limits: ThrottleLimits;
}

/** A mistake in a command-line value, naming the option and the text. */
export class GatewayConfigError extends Error {
  constructor(option: string, text: string, problem: string) {
    super(`${option} ${text}: ${problem}`);
    this.name = 'GatewayConfigError';
  }
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** `1G`, `512M`, `4096` (binary units; a trailing B or iB is allowed). */
export function parseSize(text: string): number | null {
  const match = /^(\d+)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]) * SIZE_UNITS[match[2]!.toUpperCase()]!;
  return Number.isSafeInteger(value) && value > 0 ? value : null;
}

/** `NAME=file:PATH:SIZE[:ro]`, `NAME=nbd://HOST:PORT[/EXPORT][?ro]` or `NAME=nbd+unix:///[EXPORT]?socket=PATH`. */
export function parseExportSpec(text: string): ExportSpec {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new GatewayConfigError('--export', text, 'expected NAME=file:PATH:SIZE or NAME=nbd://HOST:PORT[/EXPORT]');
  const name = text.slice(0, eq);
  const location = text.slice(eq + 1);
  if (name.includes('/')) throw new GatewayConfigError('--export', text, `the name "${name}" cannot contain "/" (clients use HOST/LUN)`);
  if (location.startsWith('file:')) {
    let rest = location.slice(5);
    let readOnly = false;
    if (rest.endsWith(':ro')) { readOnly = true; rest = rest.slice(0, -3); }
    const colon = rest.lastIndexOf(':');
    if (colon <= 0) throw new GatewayConfigError('--export', text, 'a file export needs file:PATH:SIZE');
    const size = parseSize(rest.slice(colon + 1));
    if (size === null) throw new GatewayConfigError('--export', text, `"${rest.slice(colon + 1)}" is not a size (e.g. 1G, 512M, 1048576)`);
    return { name, kind: 'file', path: rest.slice(0, colon), size, readOnly };
  }
  if (location.startsWith('nbd://')) {
    let url: URL;
    try { url = new URL(location); } catch { throw new GatewayConfigError('--export', text, 'not a valid nbd:// URL'); }
    const port = url.port === '' ? 10809 : Number(url.port);
    const readOnly = url.searchParams.has('ro');
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (host === '') throw new GatewayConfigError('--export', text, 'the nbd:// URL has no host');
    return { name, kind: 'nbd', host, port, exportName: decodeURIComponent(url.pathname.replace(/^\//, '')), readOnly };
  }
  if (location.startsWith('nbd+unix://')) {
    let url: URL;
    try { url = new URL(location); } catch { throw new GatewayConfigError('--export', text, 'not a valid nbd+unix:// URL'); }
    const socketPath = url.searchParams.get('socket');
    if (!socketPath) throw new GatewayConfigError('--export', text, 'nbd+unix:// needs ?socket=PATH');
    return { name, kind: 'nbd', host: '', port: 0, exportName: decodeURIComponent(url.pathname.replace(/^\//, '')), readOnly: url.searchParams.has('ro'), socketPath };
  }
  throw new GatewayConfigError('--export', text, 'the location must start with file:, nbd:// or nbd+unix://');
}

/** `HOST=iops:N,mbps:M`, `HOST/LUN=...`, `*\/LUN=...` (all hosts on a LUN). `iops:0` lifts a cap. */
export function parseLimitSpec(text: string): LimitSpec {
  const eq = text.lastIndexOf('=');
  if (eq <= 0) throw new GatewayConfigError('--limit', text, 'expected HOST[/LUN]=iops:N,mbps:M');
  const who = text.slice(0, eq);
  const slash = who.indexOf('/');
  const hostPart = slash < 0 ? who : who.slice(0, slash);
  const lunPart = slash < 0 ? undefined : who.slice(slash + 1);
  if (hostPart === '' || lunPart === '') throw new GatewayConfigError('--limit', text, 'empty host or LUN name');
  const target: ThrottleTarget = {
    ...(hostPart !== '*' ? { host: hostPart } : {}),
    ...(lunPart !== undefined ? { lun: lunPart } : {}),
  };
  if (target.host === undefined && target.lun === undefined) throw new GatewayConfigError('--limit', text, '"*" needs a LUN: */LUN');
  const limits: { iops?: number; mbps?: number } = {};
  for (const part of text.slice(eq + 1).split(',')) {
    const [key, value, extra] = part.split(':');
    const n = Number(value);
    if (extra !== undefined || value === undefined || value.trim() === '' || !Number.isFinite(n) || n < 0) {
      throw new GatewayConfigError('--limit', text, `"${part}" is not iops:N or mbps:M with N, M >= 0`);
    }
    if (key === 'iops') limits.iops = n;
    else if (key === 'mbps') limits.mbps = n;
    else throw new GatewayConfigError('--limit', text, `unknown cap "${key}" (iops or mbps)`);
  }
  return { target, limits };
}

/** `HOST=CIDR`, e.g. `db1=10.0.0.0/24`. */
export function parseHostRange(text: string): HostRange {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new GatewayConfigError('--host-range', text, 'expected HOST=ADDRESS[/PREFIX]');
  return { host: text.slice(0, eq), cidr: text.slice(eq + 1) };
}

/** `HOST:PORT` (IPv6 in brackets). */
export function parseHostPort(option: string, text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) throw new GatewayConfigError(option, text, 'expected HOST:PORT');
  return { host: match[1] ?? match[2]!, port };
}

/** `LUN=HOST[:ro][,HOST[:ro]...]` (`*` is any host), e.g. `lun0=app1,app2:ro`. */
export function parseAllowSpec(text: string): AccessRule {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new GatewayConfigError('--allow', text, 'expected LUN=HOST[:ro][,HOST[:ro]...]');
  const lun = text.slice(0, eq);
  if (lun.includes('/')) throw new GatewayConfigError('--allow', text, `the LUN "${lun}" cannot contain "/"`);
  const hosts = text.slice(eq + 1).split(',').map((part) => {
    const [host = '', mode, extra] = part.split(':');
    if (host === '' || host.includes('/') || extra !== undefined || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
      throw new GatewayConfigError('--allow', text, `"${part}" is not HOST, HOST:ro or HOST:rw`);
    }
    return { host, mode: mode === 'ro' ? 'ro' as const : 'rw' as const };
  });
  return { lun, hosts };
}
