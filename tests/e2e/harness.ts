import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/**
 * Real processes for end-to-end tests: free ports, children that are always stopped, and fio
 * runs with a hard time bound. Every child is tracked so `stopAll` can end them even when an
 * assertion failed half way.
 */

export function haveCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export { freePort } from '../../engine/runtime/index.js';
import { childListening } from '../../engine/runtime/index.js';

export interface Child {
  name: string;
  process: ChildProcess;
  /** stdout and stderr so far, for waiting on a line and for failure messages. */
  output(): string;
  /** stdout alone (fio's JSON must not be interleaved with its warnings). */
  stdout(): string;
  exited: Promise<number | null>;
}

const running = new Set<Child>();

export function startChild(name: string, command: string, args: readonly string[]): Child {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let stdout = '';
  const keep = (chunk: Buffer): void => {
    text += chunk.toString();
    // Only the tail matters for waiting and for messages; a chatty child must not grow memory.
    if (text.length > 200_000) text = text.slice(-100_000);
  };
  proc.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); keep(chunk); });
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => resolve(code));
    proc.once('error', (err) => { text += `\n${name}: ${err.message}`; resolve(null); });
  });
  const child: Child = { name, process: proc, output: () => text, stdout: () => stdout, exited };
  running.add(child);
  void exited.then(() => running.delete(child));
  return child;
}

export async function waitForOutput(child: Child, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(child.output())) {
    if (child.process.exitCode !== null) throw new Error(`${child.name} exited (${child.process.exitCode}) before ${pattern}: ${child.output().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`${child.name}: no ${pattern} within ${timeoutMs} ms: ${child.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until something accepts TCP connections on 127.0.0.1:port (nbdkit prints nothing when it is ready). */
export async function waitForListener(child: Child, port: number, timeoutMs: number): Promise<void> {
  const state = await childListening(child.process, port, timeoutMs);
  if (state === 'exited') throw new Error(`${child.name} exited (${child.process.exitCode}) before listening on ${port}: ${child.output().slice(-2000)}`);
  if (state === 'timeout') throw new Error(`${child.name}: nothing listening on ${port} within ${timeoutMs} ms: ${child.output().slice(-2000)}`);
}

/** SIGTERM, then SIGKILL if it has not exited within graceMs. */
export async function stopChild(child: Child, graceMs = 3000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((c) => stopChild(c)));
}

export interface FioJobResult {
  name: string;
  iops: number;
  mbps: number;
  p50Ms: number;
  p99Ms: number;
}

interface FioJson {
  jobs: Array<{
    jobname: string;
    read: FioIo;
    write: FioIo;
  }>;
}

interface FioIo {
  total_ios: number;
  iops: number;
  bw_bytes: number;
  clat_ns: { percentile?: Record<string, number> };
}

/**
 * fio's --output-format=json output, which may be preceded by warning lines: the JSON starts
 * at the first '{'. Each job reports the direction it did I/O in.
 */
export function parseFioJobs(text: string): FioJobResult[] {
  const start = text.indexOf('{');
  if (start < 0) throw new Error(`fio printed no JSON: ${text.slice(0, 500)}`);
  const parsed = JSON.parse(text.slice(start)) as unknown;
  const jobs = typeof parsed === 'object' && parsed !== null ? (parsed as Partial<FioJson>).jobs : undefined;
  if (!Array.isArray(jobs)) throw new Error('fio JSON has no jobs');
  return jobs.map((job: unknown, i) => {
    if (typeof job !== 'object' || job === null || typeof (job as { jobname?: unknown }).jobname !== 'string') throw new Error(`fio JSON job ${i} has no jobname`);
    const { jobname, read, write } = job as Partial<FioJson['jobs'][number]>;
    const io = num(write?.total_ios) > num(read?.total_ios) ? write : read;
    const pct = io?.clat_ns?.percentile ?? {};
    return {
      name: jobname!,
      iops: num(io?.iops),
      mbps: num(io?.bw_bytes) / 1e6,
      p50Ms: num(pct['50.000000'], NaN) / 1e6,
      p99Ms: num(pct['99.000000'], NaN) / 1e6,
    };
  });
}

function num(value: unknown, otherwise = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : otherwise;
}

export interface FioJob {
  name: string;
  uri: string;
  args: readonly string[];
}

/** fio's command line for jobs over NBD, time-based, each job's own arguments after its name. */
export function fioArgs(jobs: readonly FioJob[], seconds: number): string[] {
  const args = ['--output-format=json', `--runtime=${seconds}`, '--time_based', '--size=256m', '--ioengine=nbd'];
  for (const job of jobs) args.push(`--name=${job.name}`, `--uri=${job.uri}`, ...job.args);
  return args;
}

/**
 * One fio process running every job for `seconds` (a job's own --startdelay and --runtime
 * override that); killed if it overruns by far.
 */
export async function runFio(jobs: readonly FioJob[], seconds: number): Promise<Record<string, FioJobResult>> {
  const fio = startChild('fio', 'fio', fioArgs(jobs, seconds));
  const timer = setTimeout(() => fio.process.kill('SIGKILL'), (seconds + 30) * 1000);
  const code = await fio.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`fio exited with ${code}: ${fio.output().slice(-2000)}`);
  const byName: Record<string, FioJobResult> = {};
  for (const r of parseFioJobs(fio.stdout())) byName[r.name] = r;
  return byName;
}
