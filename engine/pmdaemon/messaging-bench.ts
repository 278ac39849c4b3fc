import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLogger, packageRoot } from '../runtime/index.js';
import { startPmDaemon, type DaemonArch, type DaemonEvent, type PmDaemon } from './daemon.js';
import { processCpuMs, sampleProcess } from './procfs.js';
import { percentile, round } from './stats.js';

export interface MessagingBenchOptions {
  gateways: readonly number[];
  archs: readonly DaemonArch[];
  intervalMs?: number;
  cycles?: number;
  serviceUs?: number;
  /** Pair: shard threads (default: one per core). */
  shards?: number;
  /** Per-agent: stop adding threads past this many (default: no limit). */
  maxAgents?: number;
  /** Give up waiting for registrations after this long without a new one (default 15 s). */
  registerStallMs?: number;
  onProgress?: (progress: MessagingProgress) => void;
  signal?: AbortSignal;
}

export interface MessagingProgress {
  done: number;
  total: number;
  label: string;
}

/** One measured point: what the Messaging view charts and `bench messaging` prints. */
export interface MessagingBenchRow {
  arch: DaemonArch;
  gateways: number;
  /** Worker threads of the daemon (shards, or one per agent). */
  threads: number;
  osThreads: number;
  registered: number;
  cycles: number;
  cycleP50Ms: number;
  cycleP99Ms: number;
  missed: number;
  late: number;
  messagesPerSecond: number;
  cpuMs: number;
  /** Daemon CPU per gateway per cycle, the measured per-message cost for the sizing rule. */
  cpuUsPerGatewayCycle: number;
  rssMb: number;
  contextSwitches: number;
  /** CPU time of the fleet process over the same window (the load generator's cost). */
  fleetCpuMs: number;
  /** Why the run stopped short, or null. */
  error: string | null;
}

const BENCH_SECRET = 'headroom-bench-secret';

function startFleetProcess(gateways: number, port: number, serviceUs: number): ChildProcess {
  const bin = path.join(packageRoot, 'bin', 'headroom.js');
  const args = [bin, 'fleet', '--gateways', String(gateways), '--connect', `127.0.0.1:${port}`, '--service-us', String(serviceUs), '--secret', BENCH_SECRET, '--status-ms', '0', '--until-stdin-closes'];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, HEADROOM_LOG_LEVEL: 'silent' } });
  child.stderr?.resume();
  return child;
}

async function stopFleetProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function waitRegistered(daemon: PmDaemon, count: number, timeoutMs: number, stallMs: number, signal?: AbortSignal): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let last = -1;
  let lastChange = performance.now();
  while (daemon.registered().length < count && performance.now() < deadline && !signal?.aborted) {
    const now = daemon.registered().length;
    if (now !== last) { last = now; lastChange = performance.now(); }
    // Nothing new for a while since the first came: the rest are not coming (thread limit,
    // resources). Before the first, the fleet process may still be starting on a loaded machine.
    if (now > 0 && performance.now() - lastChange > stallMs) break;
    await sleep(50, signal);
  }
  return daemon.registered().length;
}

/** Runs one architecture at one gateway count with the fleet in a child process. */
export async function measureMessaging(arch: DaemonArch, gateways: number, options: Omit<MessagingBenchOptions, 'gateways' | 'archs'> = {}): Promise<MessagingBenchRow> {
  const intervalMs = options.intervalMs ?? 1000;
  const cycles = options.cycles ?? 10;
  const serviceUs = options.serviceUs ?? 0;
  const problems: string[] = [];
  const daemon = await startPmDaemon({
    arch,
    shards: options.shards,
    maxAgents: options.maxAgents,
    secret: BENCH_SECRET,
    intervalMs,
    autoPoll: false,
    log: createLogger('pmdaemon', 'silent'),
  });
  daemon.onEvent((e: DaemonEvent) => {
    if ((e.kind === 'thread-limit' || e.kind === 'thread-failed') && problems.length < 3) problems.push(e.reason);
  });
  const fleet = startFleetProcess(gateways, daemon.discovery!.port, serviceUs);
  fleet.on('exit', (code, sig) => {
    if (code !== 0 && code !== null) problems.push(`fleet exited with code ${code}`);
    if (sig && sig !== 'SIGKILL') problems.push(`fleet killed by ${sig}`);
  });
  const row: MessagingBenchRow = {
    arch, gateways, threads: 0, osThreads: 0, registered: 0, cycles: 0, cycleP50Ms: 0, cycleP99Ms: 0, missed: 0, late: 0,
    messagesPerSecond: 0, cpuMs: 0, cpuUsPerGatewayCycle: 0, rssMb: 0, contextSwitches: 0, fleetCpuMs: 0, error: null,
  };
  try {
    const registerTimeout = 20_000 + gateways * (arch === 'per-agent' ? 60 : 3);
    row.registered = await waitRegistered(daemon, gateways, registerTimeout, options.registerStallMs ?? 15_000, options.signal);
    if (row.registered < gateways) {
      problems.unshift(`only ${row.registered} of ${gateways} gateways registered`);
      if (row.registered === 0) throw new Error(problems.join('; '));
    }
    const before = sampleProcess();
    const fleetBefore = fleet.pid ? processCpuMs(fleet.pid) : 0;
    const t0 = performance.now();
    let seen = 0;
    let onAbort = (): void => {};
    const done = new Promise<void>((resolve) => {
      daemon.onEvent((e) => {
        if (e.kind !== 'cycle') return;
        seen++;
        options.onProgress?.({ done: seen, total: cycles, label: `${arch} ${gateways}` });
        if (seen >= cycles) resolve();
      });
      onAbort = resolve;
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    daemon.startPolling();
    await done;
    options.signal?.removeEventListener('abort', onAbort);
    const elapsedS = (performance.now() - t0) / 1000;
    const after = sampleProcess();
    row.fleetCpuMs = fleet.pid ? round(processCpuMs(fleet.pid) - fleetBefore, 0) : 0;
    const measured = daemon.cycles().slice(0, cycles);
    // A cycle with a missed gateway did not complete: it counts as the whole interval.
    const completion = measured.map((c) => c.completionMs ?? intervalMs);
    row.threads = daemon.threads();
    row.osThreads = after.osThreads;
    row.cycles = measured.length;
    row.cycleP50Ms = round(percentile(completion, 50), 2);
    row.cycleP99Ms = round(percentile(completion, 99), 2);
    row.missed = measured.reduce((s, c) => s + c.missed, 0);
    row.late = measured.reduce((s, c) => s + c.late, 0);
    const messages = measured.reduce((s, c) => s + c.polled + c.onTime + c.late, 0);
    row.messagesPerSecond = round(messages / elapsedS, 0);
    row.cpuMs = round(after.cpuMs - before.cpuMs, 0);
    row.cpuUsPerGatewayCycle = row.registered > 0 && measured.length > 0 ? round((row.cpuMs * 1000) / (row.registered * measured.length), 2) : 0;
    row.rssMb = round(after.rssMb, 1);
    row.contextSwitches = after.contextSwitches - before.contextSwitches;
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  } finally {
    await daemon.stop();
    await stopFleetProcess(fleet);
  }
  row.error = problems.length > 0 ? problems.join('; ') : null;
  return row;
}

/**
 * `bench messaging`: for each architecture and gateway count, a fresh daemon and a fresh fleet
 * process; rows in the order asked. Stops early (returning the rows so far) when aborted.
 */
export async function runMessagingBench(options: MessagingBenchOptions): Promise<MessagingBenchRow[]> {
  const rows: MessagingBenchRow[] = [];
  const cycles = options.cycles ?? 10;
  const total = options.archs.length * options.gateways.length * cycles;
  let base = 0;
  for (const arch of options.archs) {
    for (const n of options.gateways) {
      if (options.signal?.aborted) return rows;
      options.onProgress?.({ done: base, total, label: `${arch} ${n}: connecting` });
      const row = await measureMessaging(arch, n, {
        ...options,
        onProgress: (p) => options.onProgress?.({ done: base + p.done, total, label: p.label }),
      });
      rows.push(row);
      base += cycles;
      // Let the kernel retire the last run's sockets before the next fleet connects.
      await sleep(300, options.signal);
    }
  }
  return rows;
}
