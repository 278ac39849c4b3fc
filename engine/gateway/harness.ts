import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childListening, freePort } from '../runtime/index.js';

/**
 * Real processes for gateway tests, the soak command and benchmarks: an nbdkit upstream
 * and a gateway run through the CLI, each on 127.0.0.1, each stopped by its own pid.
 */
export interface Spawned {
  readonly child: ChildProcess;
  readonly port: number;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    child.once('exit', () => resolve());
    // A SIGSTOPped child must be continued to act on SIGTERM.
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

/** `nbdkit -f -p PORT [args...]`, e.g. `['memory', '64M']` or `['--filter=log', 'memory', '64M', 'logfile=F']`. */
export async function startNbdkit(args: readonly string[], port?: number): Promise<Spawned> {
  // A port free a moment ago can be taken by another test's listener before nbdkit binds it; then
  // nbdkit exits while the port answers for someone else, and a test that only checked "the port
  // accepts" talks to another test's server. So wait until nbdkit itself holds the listening
  // socket, and try another port when the caller did not ask for this one.
  for (let attempt = 0; ; attempt++) {
    const p = port ?? await freePort();
    const child = spawn('nbdkit', ['--exit-with-parent', '-f', '-p', String(p), '-i', '127.0.0.1', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.length > 1 << 20) err = err.slice(-(1 << 19)); });
    const state = await childListening(child, p, 15_000);
    if (state === 'listening') return { child, port: p, stderr: () => err, stop: stopper(child) };
    if (state === 'timeout') { child.kill('SIGKILL'); throw new Error(`nbdkit did not listen on 127.0.0.1:${p} within 15 s: ${err.trim()}`); }
    if (port !== undefined || attempt >= 4) throw new Error(`nbdkit did not start on 127.0.0.1:${p}: ${err.trim() || `exit ${child.exitCode}`}`);
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** bin/headroom.js from the sources (engine/gateway) or from the build (dist/engine/gateway). */
const CLI = path.resolve(here, here.includes(`${path.sep}dist${path.sep}engine`) ? '../../..' : '../..', 'bin/headroom.js');

/** `headroom gateway --listen 127.0.0.1:0 ...args` as a child process, resolved once it listens. */
export async function startGatewayProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Spawned & { url: string }> {
  const child = spawn(process.execPath, [CLI, 'gateway', '--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HEADROOM_LOG_LEVEL: 'info', ...env },
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.length > 4 << 20) err = err.slice(-(2 << 20)); });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${err}`)), 20_000);
    const check = (): void => {
      const m = /listening on (nbd:\/\/\S+)/.exec(err);
      if (m) { clearTimeout(timer); child.stderr!.off('data', check); resolve(m[1]!); }
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`gateway exited (${code}) before listening: ${err}`)); });
  });
  return { child, port: Number(new URL(url).port), url, stderr: () => err, stop: stopper(child) };
}

/** Peak resident set size of a process, in bytes (VmHWM from /proc), or null off Linux. */
export function peakRssBytes(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * SIGSTOP a process and wait until every one of its threads is stopped. kill() returns once the
 * signal is queued; a thread running on another core goes on until it is interrupted, and on a
 * virtual machine that can be long enough for it to answer a request sent just after.
 */
export async function stopProcess(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) throw new Error('the process has no pid (it never started)');
  child.kill('SIGSTOP');
  const stopped = (): boolean => {
    try {
      return readdirSync(`/proc/${pid}/task`).every((tid) => {
        // The state is the field after the parenthesised command name, which may itself hold spaces.
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        return state === 'T' || state === 't';
      });
    } catch {
      return false;
    }
  };
  const until = Date.now() + timeoutMs;
  while (!stopped()) {
    if (Date.now() > until) throw new Error(`process ${pid} did not stop within ${timeoutMs} ms of SIGSTOP`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
