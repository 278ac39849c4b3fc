import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { benchCommand } from './bench.js';
import { interruptSignal } from '../progress.js';
import type {
  ControlAgent, NbdGateway, AccessRule, ConnectionLimits, ExportSpec, HostRange, IntervalStats, LimitSpec, LunDefinition, TlsMode,
} from '../../gateway/index.js';
// The option parsers and defaults only, from modules without imports: the gateway itself loads when one
// starts, so `headroom --help` stays quick. Not the gateway's front door, which loads all of it.
import { parseAllowSpec, parseExportSpec, parseHostPort, parseHostRange, parseLimitSpec, parseSize } from '../../gateway/config.js';
import { DEFAULT_LIMITS, DEFAULT_UPSTREAM_TIMEOUT_MS } from '../../gateway/limits.js';
import { DEFAULT_CONNECTION_INFLIGHT_BYTES, DEFAULT_GATEWAY_INFLIGHT_BYTES } from '../../gateway/byte-budget.js';
import { DEFAULT_MAX_PAYLOAD } from '../../gateway/nbd-constants.js';
import { formatRows, parseFormat, type OutputFormat, type Row } from '../output.js';

interface GatewayCliOptions {
  listen: { host: string; port: number };
  export: ExportSpec[];
  limit: LimitSpec[];
  hostRange: HostRange[];
  allow: AccessRule[];
  tls: TlsMode;
  tlsPsk?: string;
  tlsCertificates?: string;
  tlsVerifyPeer: boolean;
  handshakeTimeout: number;
  maxConnections: number;
  maxConnectionsPerHost: number;
  maxHosts: number;
  hostIdleIntervals: number;
  maxOptionBytes: number;
  maxOptionDiscard: number;
  statsInterval: number;
  format: OutputFormat;
  upstreamConnections: number;
  upstreamTimeout: number;
  maxPayload: number;
  maxInflightBytes: number;
  maxInflightBytesPerConnection: number;
  server?: { host: string; port: number };
  secretFile?: string;
  gatewayId?: string;
  metrics?: string;
  metricsAllowRemote?: boolean;
}

function collect<T>(parse: (text: string) => T) {
  return (text: string, previous: T[] | undefined): T[] => {
    try {
      return [...(previous ?? []), parse(text)];
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  };
}

function positiveNumber(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number >= 0');
  return n;
}

function sizeOption(option: string) {
  return (text: string): number => {
    const n = parseSize(text);
    if (n === null) throw new InvalidArgumentError(`${option} ${text}: expected a size such as 64K, 64M or 65536`);
    return n;
  };
}

function count(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return n;
}

function tlsMode(text: string): TlsMode {
  if (text !== 'off' && text !== 'on' && text !== 'require') throw new InvalidArgumentError('expected off, on or require');
  return text;
}

function hostPort(option: string) {
  return (text: string): { host: string; port: number } => {
    try { return parseHostPort(option, text); } catch (err) { throw new InvalidArgumentError((err as Error).message); }
  };
}

/** One row per host and LUN, for --stats-interval output. */
export function statsRows(stats: readonly IntervalStats[]): Row[] {
  const r = (n: number): number => Math.round(n * 100) / 100;
  return stats.map((s) => ({
    kind: s.kind,
    name: s.name,
    seconds: r(s.seconds),
    read_iops: r(s.readIops),
    write_iops: r(s.writeIops),
    read_mbps: r(s.readMBps),
    write_mbps: r(s.writeMBps),
    read_p50_us: s.readLatencyUs.p50,
    read_p99_us: s.readLatencyUs.p99,
    write_p50_us: s.writeLatencyUs.p50,
    write_p99_us: s.writeLatencyUs.p99,
    max_us: Math.max(s.readLatencyUs.max, s.writeLatencyUs.max),
    qd_mean: r(s.queueDepthMean),
    qd_max: s.queueDepthMax,
    errors: s.errors,
    throttled: s.throttled,
  }));
}

export async function runGateway(opts: GatewayCliOptions): Promise<NbdGateway> {
  // prom-client loads only for a gateway that serves /metrics.
  const { METRICS_ROLL_SECONDS, parseMetricsAddress, startGatewayMetrics } = await import('../../metrics/index.js');
  const { ControlAgent, NbdGateway, loadServerTls, openExport } = await import('../../gateway/index.js');
  const { createLogger } = await import('../../runtime/index.js');
  const log = createLogger('gateway');
  if (opts.export.length === 0) throw new Error('--export is required (NAME=file:PATH:SIZE or NAME=nbd://HOST:PORT[/EXPORT])');
  if (opts.server && !opts.secretFile) throw new Error('--server needs --secret-file');
  const metricsAt = opts.metrics === undefined ? null : parseMetricsAddress('--metrics', opts.metrics, opts.metricsAllowRemote);
  // TLS files are read before any backend opens, so a bad key file fails fast and names itself.
  const tls = await loadServerTls({
    mode: opts.tls, ...(opts.tlsPsk !== undefined ? { pskFile: opts.tlsPsk } : {}),
    ...(opts.tlsCertificates !== undefined ? { certificatesDir: opts.tlsCertificates } : {}), verifyPeer: opts.tlsVerifyPeer,
  });
  const bounds: ConnectionLimits = {
    maxOptionBytes: opts.maxOptionBytes, maxDiscardBytes: opts.maxOptionDiscard, handshakeTimeoutMs: Math.round(opts.handshakeTimeout * 1000),
    maxConnections: opts.maxConnections, maxConnectionsPerHost: opts.maxConnectionsPerHost, maxHosts: opts.maxHosts, hostIdleIntervals: opts.hostIdleIntervals,
  };
  const luns: LunDefinition[] = [];
  try {
    for (const spec of opts.export) luns.push(await openExport(spec, { connections: opts.upstreamConnections, requestTimeoutMs: opts.upstreamTimeout * 1000 }));
  } catch (err) {
    await Promise.all(luns.map((l) => l.backend.close()));
    throw err;
  }
  const gateway = new NbdGateway({
    luns,
    attribution: { ranges: opts.hostRange },
    access: opts.allow,
    tls,
    bounds,
    logger: log,
    statsIntervalSeconds: opts.statsInterval || (metricsAt && !opts.server ? METRICS_ROLL_SECONDS : 0),
    maxPayload: opts.maxPayload,
    gatewayInFlightBytes: opts.maxInflightBytes,
    connectionInFlightBytes: opts.maxInflightBytesPerConnection,
  });
  for (const limit of opts.limit) {
    const applied = gateway.setLimit(limit.target, limit.limits);
    log.info({ target: applied.target, limits: applied.limits }, 'static limit');
  }
  if (opts.statsInterval > 0) {
    let first = true;
    gateway.on((event) => {
      if (event.type !== 'stats') return;
      if (opts.format === 'json') process.stdout.write(JSON.stringify({ stats: event.stats }) + '\n');
      else {
        const text = formatRows(statsRows(event.stats), opts.format);
        process.stdout.write(opts.format === 'csv' && !first ? text.split('\n').slice(1).join('\n') : text);
      }
      first = false;
    });
  }
  const address = await gateway.listen(opts.listen.host, opts.listen.port);
  const url = `${tls?.mode === 'require' ? 'nbds' : 'nbd'}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log.info({ url, exports: gateway.exports().map((e) => ({ name: e.name, size: e.size })) }, 'gateway listening');
  process.stderr.write(`headroom gateway listening on ${url}\n`);
  let agent: ControlAgent | null = null;
  if (opts.server) {
    let secret: string;
    try {
      secret = (await readFile(opts.secretFile!, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      await gateway.close();
      throw new Error(`--secret-file ${opts.secretFile}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (secret === '') { await gateway.close(); throw new Error(`--secret-file ${opts.secretFile}: is empty`); }
    agent = new ControlAgent({
      server: opts.server, secret, gatewayId: opts.gatewayId ?? `${os.hostname()}:${address.port}`, gateway,
      rollOnPoll: opts.statsInterval === 0, logger: log,
    });
    agent.start();
  }
  if (metricsAt) await startGatewayMetrics(metricsAt, gateway, agent, log).catch(async (err: unknown) => { await gateway.close(); throw err; });
  const stop = (): void => { void (agent?.stop() ?? Promise.resolve()).then(() => gateway.close()).then(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return gateway;
}

export function registerGateway(program: Command): void {
  benchCommand(program)
    .command('gateway')
    .description('fio 4k randrw at iodepth 16: straight to nbdkit memory, through a bare TCP proxy, and through the gateway (stats and throttling on); IOPS, p99, ratio')
    .option('--runtime <seconds>', 'seconds of each fio run', (t) => Math.max(1, Math.floor(positiveNumber(t))), 10)
    .option('--iodepth <n>', 'fio iodepth', (t) => Math.max(1, Math.floor(positiveNumber(t))), 16)
    .option('--upstream-connections <n>', 'gateway connections to nbdkit', (t) => Math.max(1, Math.floor(positiveNumber(t))), 2)
    .option('--upstream-unix', 'gateway reaches nbdkit over a Unix socket (fio uses TCP either way)', false)
    .option('--format <format>', 'table, json or csv', parseFormat, 'table' as OutputFormat)
    .action(async (opts: { runtime: number; iodepth: number; upstreamConnections: number; upstreamUnix: boolean; format: OutputFormat }) => {
      const { benchGateway } = await import('../../gateway/index.js');
      const result = await benchGateway({
        runtimeSeconds: opts.runtime, iodepth: opts.iodepth, upstreamConnections: opts.upstreamConnections, upstreamUnix: opts.upstreamUnix,
        log: (line) => process.stderr.write(`${line}\n`), signal: interruptSignal(),
      });
      if (opts.format === 'json') { process.stdout.write(JSON.stringify(result, null, 2) + '\n'); return; }
      const row = (path: string, f: typeof result.direct): Row => ({
        path, iops: Math.round(f.iops), read_iops: Math.round(f.readIops), write_iops: Math.round(f.writeIops),
        read_p99_us: Math.round(f.readP99Us), write_p99_us: Math.round(f.writeP99Us), ratio: Math.round((f.iops / result.direct.iops) * 1000) / 1000,
      });
      process.stdout.write(formatRows([row('direct', result.direct), row('bare-proxy', result.bareProxy), row('gateway', result.gateway)], opts.format));
    });
  benchCommand(program)
    .command('gateway-soak')
    .description('fuzz a gateway (file LUN and nbd:// LUN on nbdkit memory) with random and mutated handshakes and requests over many short connections, while a well-behaved client writes and verifies data; prints JSON counts')
    .option('--seconds <n>', 'how long to run', positiveNumber, 60)
    .option('--connections <n>', 'stop after this many connections instead (0: no limit)', positiveNumber, 0)
    .option('--concurrency <n>', 'fuzzing connections open at once', (t) => Math.max(1, Math.floor(positiveNumber(t))), 48)
    .option('--seed <n>', 'replay a run from its seed', (t) => Math.floor(positiveNumber(t)))
    .action(async (opts: { seconds: number; connections: number; concurrency: number; seed?: number }) => {
      const { soakGateway } = await import('../../gateway/index.js');
      const counts = await soakGateway({
        seconds: opts.seconds, concurrency: opts.concurrency, signal: interruptSignal(),
        ...(opts.connections > 0 ? { connections: opts.connections } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(JSON.stringify(counts, null, 2) + '\n');
      if (counts.guard.failures > 0 || counts.guard.mismatches > 0) process.exitCode = 1;
    });
  program
    .command('gateway')
    .description('run the I/O performance gateway: an NBD server that measures and throttles every I/O per host and LUN')
    .requiredOption('--listen <host:port>', 'address to listen on (port 0 picks a free one)', hostPort('--listen'))
    .option('--export <spec>', 'a virtual LUN: NAME=file:PATH:SIZE[:ro], NAME=nbd://HOST:PORT[/EXPORT] or NAME=nbd+unix:///EXPORT?socket=PATH (repeatable)', collect(parseExportSpec), [])
    .option('--limit <spec>', 'a static cap: HOST[/LUN]=iops:N,mbps:M, or */LUN=... for a whole LUN (repeatable)', collect(parseLimitSpec), [])
    .option('--host-range <spec>', 'clients from this address range are this host: HOST=CIDR (repeatable); a HOST/LUN export name naming another host is refused', collect(parseHostRange), [])
    .option('--allow <spec>', 'who may open a LUN: LUN=HOST[:ro][,HOST[:ro]...] (ro: read-only for that host; * is any host; repeatable). A LUN without --allow is open to every host', collect(parseAllowSpec), [])
    .option('--tls <mode>', 'STARTTLS as nbdkit: off, on (offered) or require (nothing but STARTTLS before it)', tlsMode, 'off' as TlsMode)
    .option('--tls-psk <file>', 'TLS pre-shared keys, identity:hexkey lines (nbdkit\'s format); the identity is the host')
    .option('--tls-certificates <dir>', 'X.509: a directory with ca-cert.pem, server-cert.pem, server-key.pem (nbdkit\'s layout)')
    .option('--tls-verify-peer', 'X.509: demand a client certificate signed by ca-cert.pem; its CN is the host', false)
    .option('--handshake-timeout <seconds>', 'disconnect a client that has not finished the handshake (TLS included) in this time', positiveNumber, DEFAULT_LIMITS.handshakeTimeoutMs / 1000)
    .option('--max-connections <n>', 'connections at once, in total', count, DEFAULT_LIMITS.maxConnections)
    .option('--max-connections-per-host <n>', 'connections at once per host', count, DEFAULT_LIMITS.maxConnectionsPerHost)
    .option('--max-hosts <n>', 'hosts in the statistics and throttle tables; a new host beyond this is refused', count, DEFAULT_LIMITS.maxHosts)
    .option('--host-idle-intervals <n>', 'a host with no connection and no I/O for this many statistics intervals leaves the tables', count, DEFAULT_LIMITS.hostIdleIntervals)
    .option('--max-option-bytes <size>', 'handshake option data read at most; longer gets NBD_REP_ERR_TOO_BIG', sizeOption('--max-option-bytes'), DEFAULT_LIMITS.maxOptionBytes)
    .option('--max-option-discard <size>', 'handshake option data longer than this disconnects instead of being skipped (nbdkit: 64M)', sizeOption('--max-option-discard'), DEFAULT_LIMITS.maxDiscardBytes)
    .option('--stats-interval <seconds>', 'print per-host and per-LUN statistics every so many seconds (0: off)', positiveNumber, 0)
    .option('--format <format>', 'statistics output: table, json (one line per interval) or csv', parseFormat, 'table' as OutputFormat)
    .option('--upstream-connections <n>', 'connections to each nbd:// upstream', (t) => Math.max(1, Math.floor(positiveNumber(t))), 2)
    .option('--upstream-timeout <seconds>', 'an upstream request unanswered this long fails with EIO and marks the LUN degraded', (t) => Math.max(0.01, positiveNumber(t)), DEFAULT_UPSTREAM_TIMEOUT_MS / 1000)
    .option('--max-payload <size>', 'largest read or write accepted (longer reads get EINVAL; writes over twice this disconnect, as nbdkit does)', sizeOption('--max-payload'), DEFAULT_MAX_PAYLOAD)
    .option('--max-inflight-bytes <size>', 'read and write data all clients together may hold in the gateway; beyond it requests wait', sizeOption('--max-inflight-bytes'), DEFAULT_GATEWAY_INFLIGHT_BYTES)
    .option('--max-inflight-bytes-per-connection <size>', 'the same bound for one client connection', sizeOption('--max-inflight-bytes-per-connection'), DEFAULT_CONNECTION_INFLIGHT_BYTES)
    .option('--server <host:port>', 'SLA server (PMDaemon) to report to and take throttle requests from', hostPort('--server'))
    .option('--secret-file <file>', 'shared secret for authenticating to --server')
    .option('--gateway-id <id>', 'this gateway\'s id towards the SLA server')
    .option('--metrics <host:port>', 'serve /metrics for Prometheus here (PORT alone: 127.0.0.1)')
    .option('--metrics-allow-remote', 'let --metrics listen on an address other than loopback', false)
    .action(async (opts: GatewayCliOptions) => { await runGateway(opts); });
}
