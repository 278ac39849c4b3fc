import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import { NbdGateway } from './gateway.js';
import { openUpstreamBackend, type UpstreamTarget } from './upstream.js';
import { batchCounters } from './output-batcher.js';
import { startNbdkit } from './harness.js';

const run = promisify(execFile);

export interface FioFigures {
  readonly iops: number;
  readonly readIops: number;
  readonly writeIops: number;
  /** Completion latency percentiles, microseconds. */
  readonly readP99Us: number;
  readonly writeP99Us: number;
  readonly readMeanUs: number;
}

export interface GatewayBenchResult {
  readonly workload: { readonly rw: string; readonly bs: string; readonly iodepth: number; readonly runtimeSeconds: number; readonly jobs: number };
  readonly direct: FioFigures;
  readonly gateway: FioFigures;
  /**
   * The same fio through a bare Node TCP proxy (socket piped to socket: no parsing, statistics
   * or throttling): what any proxy in this runtime costs on this machine, the yardstick for the gateway.
   */
  readonly bareProxy: FioFigures;
  /** Gateway IOPS over direct IOPS. */
  readonly ratio: number;
  /** Bare proxy IOPS over direct IOPS: the ceiling of `ratio` for a Node proxy here. */
  readonly bareProxyRatio: number;
  /** Gateway IOPS over bare-proxy IOPS: what NBD parsing, statistics and throttling cost. */
  readonly gatewayOfBareProxy: number;
  readonly target: number;
  readonly statsOn: boolean;
  readonly throttleOn: boolean;
  readonly upstreamConnections: number;
  readonly upstream: 'tcp' | 'unix';
  /** Share of wall time the gateway's event loop was busy during its fio run (1 = saturated). */
  readonly gatewayEventLoopUtilization: number;
  /** CPU time (user + system) the gateway spent per I/O: an efficiency figure that other load on the machine disturbs less than IOPS. */
  readonly gatewayCpuUsPerIo: number;
  /** Socket writes the gateway issued per I/O (client replies and upstream requests together; 2 would mean no batching). */
  readonly gatewayWritesPerIo: number;
}

export interface GatewayBenchOptions {
  readonly runtimeSeconds: number;
  readonly iodepth: number;
  readonly upstreamConnections: number;
  /** Reach nbdkit from the gateway over a Unix socket (fio still uses TCP to both). */
  readonly upstreamUnix?: boolean;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}


async function waitForNbd(uri: string): Promise<void> {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    try {
      await run('nbdinfo', ['--size', uri], { timeout: 5000 });
      return;
    } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  throw new Error(`nbdkit did not start at ${uri}`);
}

interface FioLatency { percentile?: Record<string, number>; mean: number }
interface FioSide { iops: number; clat_ns: FioLatency }
interface FioJob { error: number; read: FioSide; write: FioSide }

async function fio(uri: string, o: GatewayBenchOptions): Promise<FioFigures> {
  const { stdout } = await run('fio', [
    '--name=bench', '--ioengine=nbd', `--uri=${uri}`, '--rw=randrw', '--bs=4k', '--size=256m',
    `--iodepth=${o.iodepth}`, `--runtime=${o.runtimeSeconds}`, '--ramp_time=1', '--time_based', '--output-format=json',
  ], { timeout: (o.runtimeSeconds + 60) * 1000, maxBuffer: 64 * 1024 * 1024, ...(o.signal ? { signal: o.signal } : {}) });
  const job = (JSON.parse(stdout.slice(stdout.indexOf('{'))) as { jobs: FioJob[] }).jobs[0];
  if (!job || job.error !== 0) throw new Error(`fio against ${uri} failed (error ${job?.error ?? '?'})`);
  const p99 = (side: FioSide): number => (side.clat_ns.percentile?.['99.000000'] ?? 0) / 1000;
  return {
    iops: job.read.iops + job.write.iops,
    readIops: job.read.iops,
    writeIops: job.write.iops,
    readP99Us: p99(job.read),
    writeP99Us: p99(job.write),
    readMeanUs: job.read.clat_ns.mean / 1000,
  };
}

/** Every byte from a client piped to nbdkit and back, with nothing in between. */
async function startBareProxy(upstreamPort: number): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort, noDelay: true });
    client.setNoDelay(true);
    for (const s of [client, upstream]) { sockets.add(s); s.once('close', () => sockets.delete(s)); }
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => { server.close(); for (const s of sockets) s.destroy(); },
  };
}

/**
 * fio 4k random read/write straight at `nbdkit memory`, then the same fio through the
 * gateway (statistics rolling each second, a non-binding throttle on the host so the
 * token-bucket path runs), in one run on this machine.
 */
export async function benchGateway(o: GatewayBenchOptions): Promise<GatewayBenchResult> {
  // startNbdkit waits until nbdkit itself holds its port: bench.test runs beside other tests' servers.
  const nbdkit = await startNbdkit(['memory', '1G']);
  const { port } = nbdkit;
  let gateway: NbdGateway | null = null;
  let unixNbdkit: ChildProcess | null = null;
  let dir: string | null = null;
  try {
    o.log?.(`nbdkit memory on port ${port}; fio direct for ${o.runtimeSeconds} s`);
    const direct = await fio(`nbd://127.0.0.1:${port}/`, o);
    const proxy = await startBareProxy(port);
    let bareProxy: FioFigures;
    try {
      o.log?.(`bare TCP proxy on port ${proxy.port}; fio through it for ${o.runtimeSeconds} s`);
      bareProxy = await fio(`nbd://127.0.0.1:${proxy.port}/`, o);
    } finally {
      proxy.close();
    }
    let target: UpstreamTarget = { host: '127.0.0.1', port, exportName: '' };
    if (o.upstreamUnix) {
      // An identical nbdkit, reachable over a Unix socket (nbdkit listens on TCP or Unix, not both).
      dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-bench-'));
      const socketPath = path.join(dir, 'nbdkit.sock');
      unixNbdkit = spawn('nbdkit', ['--exit-with-parent', '-f', '-U', socketPath, 'memory', '1G'], { stdio: 'ignore' });
      await waitForNbd(`nbd+unix:///?socket=${socketPath}`);
      target = { host: '', port: 0, exportName: '', socketPath };
    }
    const backend = await openUpstreamBackend({ target, connections: o.upstreamConnections });
    gateway = new NbdGateway({ luns: [{ name: 'mem', backend }], statsIntervalSeconds: 1 });
    gateway.setLimit({ host: 'bench' }, { iops: 10_000_000, mbps: 100_000 });
    const address = await gateway.listen('127.0.0.1', 0);
    o.log?.(`gateway on port ${address.port}; fio through it for ${o.runtimeSeconds} s`);
    const before = performance.eventLoopUtilization();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const flushesBefore = batchCounters.flushes;
    const through = await fio(`nbd://127.0.0.1:${address.port}/bench/mem`, o);
    const elu = performance.eventLoopUtilization(before).utilization;
    const cpu = process.cpuUsage(cpuBefore);
    // fio's IOPS cover its measured runtime; its ramp second also ran through the gateway.
    const ios = through.iops * ((performance.now() - started) / 1000);
    return {
      workload: { rw: 'randrw', bs: '4k', iodepth: o.iodepth, runtimeSeconds: o.runtimeSeconds, jobs: 1 },
      direct,
      gateway: through,
      bareProxy,
      ratio: through.iops / direct.iops,
      bareProxyRatio: bareProxy.iops / direct.iops,
      gatewayOfBareProxy: through.iops / bareProxy.iops,
      target: 0.8,
      statsOn: true,
      throttleOn: true,
      upstreamConnections: o.upstreamConnections,
      upstream: o.upstreamUnix ? 'unix' : 'tcp',
      gatewayEventLoopUtilization: elu,
      gatewayCpuUsPerIo: (cpu.user + cpu.system) / Math.max(1, ios),
      gatewayWritesPerIo: (batchCounters.flushes - flushesBefore) / Math.max(1, ios),
    };
  } finally {
    await gateway?.close();
    await nbdkit.stop();
    unixNbdkit?.kill('SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
