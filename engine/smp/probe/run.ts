import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { describeMachine, resolveWorkerScript, type MachineDescription } from '../../runtime/index.js';
import { WORDS_PER_LINE } from './chain.js';
import { fitBusParameters, type BusProbeFit } from './fit.js';
import { lastLevelCache } from './llc.js';
import { CHASE_BATCH, CHASE_RING, CONTROL, controlLayout, type ProbeWorkerData } from './protocol.js';

export const LINE_BYTES = WORDS_PER_LINE * 4;
/** Register-only iterations a streamer spins between 4 KiB bursts, heaviest load first (0 = flat out). */
export const DEFAULT_DELAYS = [0, 100, 200, 400, 800, 1600, 3200, 12800] as const;
/** At most this many thread counts are measured, spread from 2 to K, so a 128-thread machine stays bounded. */
const MAX_THREAD_COUNTS = 8;
/** Shortest phase worth timing on a loaded machine. */
const MIN_PHASE_MS = 40;

export interface BusProbeOptions {
  /** Threads in all (1 chaser + up to K-1 streamers); default: available parallelism. */
  threads?: number;
  /** Time budget for the measuring phases, s (buffer set-up comes on top). */
  seconds?: number;
  delays?: readonly number[];
  seed?: number;
}

export interface LoadedPoint {
  /** Spin iterations between bursts of each streamer. */
  delay: number;
  /** All bytes moved per second: the streamers' lines and the chaser's own. */
  bandwidthBytesPerSec: number;
  latencyNs: number;
}

export interface BusProbeResult {
  measuredAt: string;
  machine: MachineDescription;
  threads: number;
  seconds: number;
  phaseMs: number;
  lineBytes: number;
  llc: { bytes: number; level: number | null; source: 'sysfs' | 'default' };
  chaseBufferBytes: number;
  streamBufferBytes: number;
  /** The chaser alone. */
  idleLatencyNs: number;
  /** Streamers flat out (no chaser), per thread count. */
  peakBandwidth: Array<{ threads: number; bytesPerSec: number }>;
  /** Chaser + (threads-1) streamers at each injection rate. */
  curves: Array<{ threads: number; points: LoadedPoint[] }>;
  fit: BusProbeFit;
}

export interface BusProbeProgress { done: number; total: number; label: string }

/** 2..K, at most MAX_THREAD_COUNTS of them, always including K. */
export function threadCounts(k: number): number[] {
  if (k < 2) return [];
  const span = k - 1;
  const n = Math.min(MAX_THREAD_COUNTS, span);
  return [...new Set(Array.from({ length: n }, (_, i) => 2 + Math.round((span - 1) * (n === 1 ? 1 : i / (n - 1)))))];
}

/** The median of the chase batches written in [from, to), the most recent CHASE_RING of them. */
function medianBatchNs(ring: Float64Array, from: number, to: number): number {
  const start = Math.max(from, to - CHASE_RING);
  const xs = Array.from({ length: to - start }, (_, i) => ring[(start + i) % CHASE_RING]!).sort((a, b) => a - b);
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

function clamp(v: number, lo: number, hi: number): number { return Math.min(hi, Math.max(lo, v)); }

/**
 * Measure this machine's loaded memory latency as Intel's Memory Latency Checker does: one thread
 * chases pointers while the others stream at a series of injection rates. Bounded by `seconds`;
 * the signal cancels between phases (and stops the workers at once).
 */
export async function runBusProbe(options: BusProbeOptions = {}, hooks: { signal?: AbortSignal; onProgress?: (p: BusProbeProgress) => void } = {}): Promise<BusProbeResult> {
  const threads = options.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) throw new RangeError(`probe: --threads must be a whole number from 1 to 1024, got ${threads}`);
  const seconds = options.seconds ?? 10;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) throw new RangeError(`probe: --seconds must be more than 0 and at most 3600, got ${seconds}`);
  const delays = [...(options.delays ?? DEFAULT_DELAYS)];
  if (delays.length === 0 || delays.some((d) => !Number.isInteger(d) || d < 0 || d > 2 ** 30)) throw new RangeError('probe: delays must be whole numbers of at least 0');
  const counts = threadCounts(threads);
  const peakCounts = [...new Set([1, ...counts])];
  const phases: Array<{ label: string; chase: boolean; streamers: number; delay: number; kind: 'idle' | 'loaded' | 'peak'; threads: number }> = [
    { label: 'idle latency', chase: true, streamers: 0, delay: 0, kind: 'idle', threads: 1 },
    ...counts.flatMap((t) => delays.map((delay) => ({ label: `${t} threads, delay ${delay}`, chase: true, streamers: t - 1, delay, kind: 'loaded' as const, threads: t }))),
    ...peakCounts.map((t) => ({ label: `peak bandwidth, ${t} thread${t === 1 ? '' : 's'}`, chase: false, streamers: t, delay: 0, kind: 'peak' as const, threads: t })),
  ];
  const phaseMs = Math.max(MIN_PHASE_MS, (seconds * 1000) / phases.length);
  const llc = lastLevelCache();
  const chaseBufferBytes = clamp(2 * llc.bytes, 64 * 2 ** 20, 2 ** 30);
  const streamBufferBytes = clamp(2 * llc.bytes, 32 * 2 ** 20, 2 ** 29);
  const streamerSlots = Math.max(1, ...peakCounts);
  const slots = 1 + streamerSlots;
  const layout = controlLayout(slots);
  const controlBuf = new SharedArrayBuffer(layout.words * 4);
  const countersBuf = new SharedArrayBuffer(slots * 8);
  const control = new Int32Array(controlBuf);
  const counters = new Float64Array(countersBuf);
  const ringBuf = new SharedArrayBuffer(CHASE_RING * 8);
  const ring = new Float64Array(ringBuf);
  const script = resolveWorkerScript(import.meta.url, './probe-worker.js');
  const workers: Worker[] = [];
  const total = phases.length + 1;
  const { signal, onProgress } = hooks;
  const cancelled = (): Error => (signal?.reason instanceof Error ? signal.reason : new Error('probe cancelled'));

  let failure: Error | null = null;
  const stopAll = async (): Promise<void> => {
    Atomics.store(control, CONTROL.stop, 1);
    Atomics.add(control, CONTROL.generation, 1);
    Atomics.notify(control, CONTROL.generation);
    await Promise.all(workers.map((w) => w.terminate()));
  };
  const sleep = (ms: number): Promise<void> => new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(cancelled()); return; }
    const onAbort = (): void => { clearTimeout(timer); reject(cancelled()); };
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); failure ? reject(failure) : resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

  try {
    onProgress?.({ done: 0, total, label: `filling ${Math.round((chaseBufferBytes + streamerSlots * streamBufferBytes) / 2 ** 20)} MiB` });
    const ready: Promise<void>[] = [];
    for (let slot = 0; slot < slots; slot++) {
      const data: ProbeWorkerData = {
        role: slot === 0 ? 'chase' : 'stream', slot, bytes: slot === 0 ? chaseBufferBytes : streamBufferBytes,
        seed: options.seed ?? 1, control: controlBuf, counters: countersBuf, delayBase: layout.delayBase, ring: ringBuf,
      };
      const w = new Worker(script, { workerData: data });
      workers.push(w);
      ready.push(new Promise<void>((resolve, reject) => {
        w.on('message', (m: { ready?: boolean; error?: string }) => {
          if (m.ready) resolve();
          if (m.error) { failure = new Error(`probe worker ${slot}: ${m.error}`); reject(failure); }
        });
        w.on('error', (err) => { failure = err; reject(err); });
      }));
    }
    await Promise.race([Promise.all(ready), new Promise<never>((_, reject) => {
      if (signal?.aborted) reject(cancelled());
      signal?.addEventListener('abort', () => reject(cancelled()), { once: true });
    })]);
    onProgress?.({ done: 1, total, label: 'buffers ready' });

    let idleLatencyNs = NaN;
    const curves = new Map<number, LoadedPoint[]>();
    const peakBandwidth: BusProbeResult['peakBandwidth'] = [];
    for (const [i, phase] of phases.entries()) {
      // Configure, then wake everyone on a new generation.
      Atomics.store(control, CONTROL.modeBase, phase.chase ? 1 : 0);
      for (let s = 1; s < slots; s++) {
        Atomics.store(control, CONTROL.modeBase + s, s <= phase.streamers ? 1 : 0);
        Atomics.store(control, layout.delayBase + s, phase.delay);
      }
      Atomics.add(control, CONTROL.generation, 1);
      Atomics.notify(control, CONTROL.generation);
      // Let the workers reach steady state before the window opens.
      await sleep(Math.min(50, phaseMs * 0.2));
      const before = Float64Array.from(counters);
      const batch0 = Atomics.load(control, CONTROL.chaseBatches);
      const t0 = performance.now();
      await sleep(phaseMs);
      const after = Float64Array.from(counters);
      const batch1 = Atomics.load(control, CONTROL.chaseBatches);
      const elapsedNs = (performance.now() - t0) * 1e6;
      const hops = after[0]! - before[0]!;
      let lines = 0;
      for (let s = 1; s < slots; s++) lines += after[s]! - before[s]!;
      const streamBps = (lines * LINE_BYTES) / (elapsedNs / 1e9);
      if (phase.chase && (hops <= 0 || batch1 <= batch0)) throw new Error(`probe: the chaser made no progress in ${Math.round(phaseMs)} ms (machine overloaded?)`);
      const latencyNs = phase.chase ? medianBatchNs(ring, batch0, batch1) / CHASE_BATCH : NaN;
      const chaseBps = phase.chase ? LINE_BYTES / (latencyNs / 1e9) : 0;
      if (phase.kind === 'idle') idleLatencyNs = latencyNs;
      else if (phase.kind === 'loaded') {
        const list = curves.get(phase.threads) ?? [];
        list.push({ delay: phase.delay, bandwidthBytesPerSec: streamBps + chaseBps, latencyNs });
        curves.set(phase.threads, list);
      } else peakBandwidth.push({ threads: phase.threads, bytesPerSec: streamBps });
      onProgress?.({ done: i + 2, total, label: phase.label });
    }
    const allPoints = [...curves.values()].flat();
    const peak = Math.max(...peakBandwidth.map((p) => p.bytesPerSec), ...allPoints.map((p) => p.bandwidthBytesPerSec));
    return {
      measuredAt: new Date().toISOString(),
      machine: describeMachine(),
      threads, seconds, phaseMs, lineBytes: LINE_BYTES, llc, chaseBufferBytes, streamBufferBytes,
      idleLatencyNs,
      peakBandwidth,
      curves: [...curves.entries()].map(([t, points]) => ({ threads: t, points })),
      fit: fitBusParameters({ idleLatencyNs, lineBytes: LINE_BYTES, peakBandwidthBytesPerSec: peak, hardwareThreads: os.availableParallelism(), points: allPoints }),
    };
  } finally {
    await stopAll();
  }
}
