import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_FLEET_SECRET, startFleet, type Fleet } from '../../fleet/index.js';
import { childListening, freePort, packageRoot, samplesDir, type Logger } from '../../runtime/index.js';

/**
 * Something to watch in the Monitor on first start: the pieces of samples/sla-demo, started by the
 * engine itself. `storage` is the real thing: nbdkit behind a disk-like filter stack, a Headroom
 * gateway in front of it, and fio running a latency-sensitive gold job beside a heavy bronze one.
 * Where nbdkit or fio is missing it falls back to the simulated fleet, and says so.
 */
export type DemoMode = 'storage' | 'simulated';

export interface DemoPlan {
  readonly mode: DemoMode;
  /** One sentence for the Monitor and the terminal: what runs, or why the fleet runs instead. */
  readonly detail: string;
  readonly workDir: string;
  readonly policyFile: string;
  readonly dbFile: string;
}

export interface DemoRun {
  readonly mode: DemoMode;
  readonly detail: string;
  stop(): Promise<void>;
}

/** nbdkit as the SLA end-to-end test loads it: one request at a time, each taking its size at 100 Mbit/s. */
export const DEMO_STORAGE_ARGS: readonly string[] = ['--filter=noparallel', '--filter=rate', 'memory', '1G', 'serialize=all-requests', 'rate=100M'];

const onPath = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** Decide the mode and write the demo's policy, secret and database into a fresh folder of its own. */
export async function planDemo(options: { workDir?: string; tools?: (command: string) => boolean } = {}): Promise<DemoPlan> {
  const workDir = options.workDir ?? await mkdtemp(path.join(os.tmpdir(), 'headroom-demo-'));
  const has = options.tools ?? onPath;
  const missing = ['nbdkit', 'fio'].filter((t) => !has(t));
  await mkdir(path.join(workDir, 'secrets'), { recursive: true });
  const policyFile = path.join(workDir, 'policy.yaml');
  const dbFile = path.join(workDir, 'sla.db');
  if (missing.length === 0) {
    await copyFile(path.join(samplesDir(), 'policies', 'gold-bronze.yaml'), policyFile);
    await copyFile(path.join(samplesDir(), 'policies', 'secrets', 'gw1.secret'), path.join(workDir, 'secrets', 'gw1.secret'));
    return { mode: 'storage', detail: 'demo storage: nbdkit (memory, noparallel, rate 100 Mbit/s), gateway gw1, fio gold (4k reads, 100 IOPS) and bronze (128k writes, 32 deep)', workDir, policyFile, dbFile };
  }
  await writeFile(path.join(workDir, 'secrets', 'fleet.secret'), DEFAULT_FLEET_SECRET);
  await writeFile(policyFile, SIMULATED_POLICY);
  return { mode: 'simulated', detail: `demo: ${missing.join(' and ')} not installed, so a simulated gateway (gw-00000) reports made-up traffic instead of real storage`, workDir, policyFile, dbFile };
}

const SIMULATED_POLICY = `# The Monitor demo without nbdkit or fio: one simulated gateway whose hosts host-0 and host-1
# report plausible, made-up traffic. It does not respond to throttles as real storage would.
version: 1
name: demo-simulated
pollIntervalMs: 1000
classes:
  - name: gold
    priority: 1
    latencyTarget: { percentile: p99, ms: 20 }
  - name: bronze
    priority: 3
    throttleable: true
    floor: { iops: 200 }
bindings:
  - { host: host-0, lun: lun-0, class: gold }
  - { host: host-1, lun: lun-1, class: bronze }
gateways:
  - id: gw-00000
    secretFile: secrets/fleet.secret
`;

/** Start the demo's load against an SLA server that is already listening for gateways. */
export async function startDemo(plan: DemoPlan, server: { host: string; port: number }, log: Logger): Promise<DemoRun> {
  if (plan.mode === 'simulated') {
    const fleet: Fleet = await startFleet({ gateways: 1, connect: server, lunsPerGateway: 2, hostsPerGateway: 2 });
    return { mode: plan.mode, detail: plan.detail, stop: () => fleet.close() };
  }
  const children: ChildProcess[] = [];
  // If the engine exits without Stop, the demo's processes must not outlive it.
  const killAll = (): void => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); };
  process.once('exit', killAll);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killAll);
    // Load first, then the gateway, then storage, so nothing reports errors from its peer going away.
    for (const child of [...children].reverse()) await stopChild(child);
  };
  try {
    const nbdPort = await freePort();
    children.push(launch('nbdkit', ['-f', '--exit-with-parent', '-i', '127.0.0.1', '-p', String(nbdPort), ...DEMO_STORAGE_ARGS], plan, log));
    await waitForPort(nbdPort, 'nbdkit', children[0]!);
    const gatewayPort = await freePort();
    children.push(launch(process.execPath, [
      path.join(packageRoot, 'bin', 'headroom.js'), 'gateway', '--listen', `127.0.0.1:${gatewayPort}`,
      '--export', `lun0=nbd://127.0.0.1:${nbdPort}`, '--export', `lun1=nbd://127.0.0.1:${nbdPort}`,
      '--server', `${server.host}:${server.port}`, '--secret-file', path.join(plan.workDir, 'secrets', 'gw1.secret'), '--gateway-id', 'gw1',
    ], plan, log));
    await waitForPort(gatewayPort, 'the gateway', children[1]!);
    // Time-based and long: the demo runs until Stop, which ends fio with the rest.
    children.push(launch('fio', [
      '--output-format=json', '--runtime=86400', '--time_based', '--size=256m', '--ioengine=nbd',
      '--name=gold', `--uri=nbd://127.0.0.1:${gatewayPort}/gold/lun0`, '--rw=randread', '--bs=4k', '--iodepth=1', '--rate_iops=100',
      '--name=bronze', `--uri=nbd://127.0.0.1:${gatewayPort}/bronze/lun1`, '--rw=randwrite', '--bs=128k', '--iodepth=32',
    ], plan, log));
  } catch (err) {
    await stop();
    throw err;
  }
  return { mode: plan.mode, detail: plan.detail, stop };
}

function launch(command: string, args: string[], plan: DemoPlan, log: Logger): ChildProcess {
  const name = path.basename(command) === path.basename(process.execPath) ? 'gateway' : command;
  const child = spawn(command, args, { cwd: plan.workDir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-4000); });
  child.on('exit', (code, signal) => {
    if (signal !== 'SIGTERM' && signal !== 'SIGKILL' && code !== 0) log.warn({ demo: name, code, signal, stderr: stderr.trim().split('\n').slice(-3).join(' | ') }, `demo ${name} exited`);
  });
  child.on('error', (err) => log.warn({ demo: name, err: err.message }, `demo ${name} could not start`));
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Wait until the process that should serve the port listens on it itself, or has died. */
async function waitForPort(port: number, what: string, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const state = await childListening(child, port, timeoutMs);
  if (state === 'exited') throw new Error(`demo: ${what} exited (code ${child.exitCode}) before it listened on 127.0.0.1:${port}`);
  if (state === 'timeout') throw new Error(`demo: ${what} did not listen on 127.0.0.1:${port} within ${timeoutMs / 1000} s`);
}
