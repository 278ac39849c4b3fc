import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Offered concurrency of each step: fio's iodepth, doubling to 32. */
export const PROBE_DEPTHS: readonly number[] = [1, 2, 4, 8, 16, 32];

export type ProbeMode = 'randread' | 'randrw';

export interface ProbeOptions {
  readonly uri: string;
  /** Block size as fio spells it (4k, 64k, 1m). */
  readonly bs: string;
  readonly rw: ProbeMode;
  /** Whole run, warm-up included, split evenly over the steps. */
  readonly seconds: number;
  /** Offered loads; PROBE_DEPTHS unless given. */
  readonly depths?: readonly number[];
  readonly signal?: AbortSignal;
  readonly onStep?: (done: number, total: number, label: string) => void;
}

export interface LatencyPercentiles {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface ProbeStep extends LatencyPercentiles {
  /** Offered load: I/Os kept in flight. */
  iodepth: number;
  iops: number;
  mbps: number;
  /** Mean completion latency (fio's lat: submission to completion). */
  meanMs: number;
  ios: number;
}

export interface ProbeResult {
  uri: string;
  bs: string;
  blockBytes: number;
  rw: ProbeMode;
  secondsPerStep: number;
  startedAt: string;
  /** False when cancelled: `steps` holds the steps that finished. */
  complete: boolean;
  steps: ProbeStep[];
}

/** Bytes in a fio-style size: 4k, 64K, 1m, 512. */
export function parseBlockSize(text: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(text.trim());
  if (!m) throw new Error(`--bs: expected a size like 4k, 64k or 1m (got "${text}")`);
  const bytes = Number(m[1]) * ({ '': 1, k: 1024, m: 1024 * 1024 } as const)[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm'];
  if (bytes < 512 || bytes > 16 * 1024 * 1024 || bytes % 512 !== 0) throw new Error(`--bs: ${text} must be a multiple of 512 between 512 and 16m`);
  return bytes;
}

interface FioSide { iops: number; bw_bytes: number; total_ios: number; lat_ns: { mean: number }; clat_ns: { percentile?: Record<string, number> } }
interface FioJob { error: number; read: FioSide; write: FioSide }

/** One step's figures from fio's `--output-format=json`, reads and writes combined. */
export function parseFioStep(stdout: string, iodepth: number, where: string): ProbeStep {
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`${where}: fio printed no JSON`);
  let parsed: { jobs?: FioJob[] };
  try { parsed = JSON.parse(stdout.slice(start)) as { jobs?: FioJob[] }; } catch (err) {
    throw new Error(`${where}: fio JSON does not parse (${err instanceof Error ? err.message : String(err)})`);
  }
  const job = parsed.jobs?.[0];
  if (!job) throw new Error(`${where}: fio JSON has no job`);
  if (job.error !== 0) throw new Error(`${where}: fio job failed (error ${job.error})`);
  const sides = [job.read, job.write].filter((s) => s && s.total_ios > 0);
  const ios = sides.reduce((s, x) => s + x.total_ios, 0);
  if (ios === 0) throw new Error(`${where}: fio completed no I/O`);
  // Percentiles of the combined stream: the I/O-weighted mean of each side's is an approximation,
  // exact for randread (one side) and close for a 50/50 mix of like latencies.
  const weighted = (f: (s: FioSide) => number): number => sides.reduce((s, x) => s + f(x) * x.total_ios, 0) / ios;
  const pct = (key: string) => (s: FioSide): number => (s.clat_ns.percentile?.[key] ?? NaN) / 1e6;
  return {
    iodepth,
    iops: sides.reduce((s, x) => s + x.iops, 0),
    mbps: sides.reduce((s, x) => s + x.bw_bytes, 0) / 1e6,
    meanMs: weighted((s) => s.lat_ns.mean / 1e6),
    p50Ms: weighted(pct('50.000000')),
    p95Ms: weighted(pct('95.000000')),
    p99Ms: weighted(pct('99.000000')),
    ios,
  };
}

function fioArgs(o: ProbeOptions, iodepth: number, runtimeMs: number, rampMs: number): string[] {
  return [
    '--name=probe', '--ioengine=nbd', `--uri=${o.uri}`, `--rw=${o.rw}`, `--bs=${o.bs}`, '--size=256m',
    `--iodepth=${iodepth}`, `--runtime=${runtimeMs}ms`, `--ramp_time=${rampMs}ms`, '--time_based', '--output-format=json',
  ];
}

const isAbort = (err: unknown, signal?: AbortSignal): boolean => signal?.aborted === true || (err instanceof Error && err.name === 'AbortError');

/**
 * One fio run per offered load against one LUN, after a warm-up at the deepest step. The sweep runs
 * from the deepest step down: storage with burst credit (a token bucket, as nbdkit's rate filter and
 * cloud volumes have) would otherwise bank credit during the light steps and spend it in the next
 * one, reporting more than it sustains. The warm-up drains that credit and every saturated step keeps
 * it drained; by the time a light step banks some, no heavier step is left. Steps are reported in
 * rising order of load. Cancelling keeps the finished steps.
 */
export async function runProbe(o: ProbeOptions): Promise<ProbeResult> {
  const blockBytes = parseBlockSize(o.bs);
  const depths = o.depths ?? PROBE_DEPTHS;
  if (!(o.seconds >= depths.length + 1) || o.seconds > 3600) throw new Error(`--seconds: between ${depths.length + 1} and 3600 (got ${o.seconds})`);
  const slotMs = Math.floor((o.seconds * 1000) / (depths.length + 1));
  const rampMs = Math.min(500, Math.floor(slotMs / 5));
  const result: ProbeResult = { uri: o.uri, bs: o.bs, blockBytes, rw: o.rw, secondsPerStep: (slotMs - rampMs) / 1000, startedAt: new Date().toISOString(), complete: false, steps: [] };
  const total = depths.length + 1;
  const fio = async (iodepth: number, runtimeMs: number, ramp: number): Promise<string> => {
    const { stdout } = await run('fio', fioArgs(o, iodepth, runtimeMs, ramp), {
      timeout: runtimeMs + ramp + 30_000, maxBuffer: 64 * 1024 * 1024, ...(o.signal ? { signal: o.signal } : {}),
    }).catch((err: unknown) => {
      if (isAbort(err, o.signal)) throw err;
      const e = err as { code?: string; stderr?: string; message?: string };
      if (e.code === 'ENOENT') throw new Error('fio is not installed (Debian: apt-get install fio)');
      throw new Error(`fio against ${o.uri} failed: ${(e.stderr ?? e.message ?? String(err)).trim().split('\n').slice(-3).join(' ')}`);
    });
    return stdout;
  };
  try {
    o.onStep?.(0, total, 'warm-up');
    await fio(depths[depths.length - 1]!, slotMs - rampMs, rampMs);
    for (const [i, depth] of [...depths].sort((a, b) => b - a).entries()) {
      o.onStep?.(i + 1, total, `iodepth ${depth}`);
      result.steps.push(parseFioStep(await fio(depth, slotMs - rampMs, rampMs), depth, `${o.uri} iodepth ${depth}`));
      result.steps.sort((a, b) => a.iodepth - b.iodepth);
    }
    o.onStep?.(total, total, 'done');
    result.complete = true;
  } catch (err) {
    if (!isAbort(err, o.signal)) throw err;
  }
  return result;
}
