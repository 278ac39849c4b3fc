import net from 'node:net';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { resolveWorkerScript } from '../runtime/index.js';
import { encodeFrame, encodeFrames, type ControlMessage } from '../protocol/index.js';
import { round } from './stats.js';

export type WriteMode = 'concatenated' | 'one-write-per-message';

export interface BatchingBenchOptions {
  burst?: number;
  /** Bursts per mode, bounded also by maxSecondsPerMode. */
  bursts?: number;
  maxSecondsPerMode?: number;
  /** Bursts in flight before waiting for the receiver's acknowledgement. */
  window?: number;
}

export interface BatchingRow {
  mode: WriteMode;
  burst: number;
  bursts: number;
  messages: number;
  writeCalls: number;
  seconds: number;
  messagesPerSecond: number;
  /** Wall-clock time per delivered message. */
  usPerMessage: number;
}

export interface BatchingResult {
  rows: BatchingRow[];
  /** Concatenated message rate over one-write-per-message. */
  ratio: number;
}

/**
 * Bursts of throttle requests to one gateway (a receiver thread that decodes every frame):
 * each burst leaves in one write (frames concatenated), or as one write per message, as the daemon's
 * outbound path would send it. Both include encoding.
 */
export async function runBatchingBench(options: BatchingBenchOptions = {}): Promise<BatchingResult> {
  const burst = options.burst ?? 64;
  // Bounded by time rather than count: 20,000 bursts took the concatenated mode half a second,
  // mostly JIT warm-up, against three seconds of steady state for the other.
  const maxBursts = options.bursts ?? 1_000_000;
  const maxMs = (options.maxSecondsPerMode ?? 3) * 1000;
  const window = options.window ?? 32;
  const sink = new Worker(resolveWorkerScript(import.meta.url, './batching-sink-worker.js'), { workerData: { burst } });
  const [port] = (await once(sink, 'message')) as [number];
  const rows: BatchingRow[] = [];
  const hosts = Array.from({ length: 8 }, (_, i) => `host-${i}`);
  const luns = Array.from({ length: 4 }, (_, i) => `lun-${i}`);
  try {
    for (const mode of ['concatenated', 'one-write-per-message'] as const) {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
      await once(socket, 'connect');
      let acked = 0;
      let wake: (() => void) | null = null;
      socket.on('data', (b: Buffer) => {
        acked += b.length;
        wake?.();
      });
      let sent = 0;
      let writeCalls = 0;
      let seq = 1;
      const t0 = performance.now();
      while (sent < maxBursts && performance.now() - t0 < maxMs) {
        const messages: { seq: number; message: ControlMessage }[] = [];
        for (let i = 0; i < burst; i++) {
          messages.push({ seq: seq++, message: { type: 'throttle', host: hosts[i % 8]!, lun: luns[i % 4]!, iopsLimit: 1000 + i, mbpsLimit: 50 } });
        }
        if (mode === 'concatenated') {
          socket.write(encodeFrames(messages));
          writeCalls++;
        } else {
          for (const m of messages) {
            socket.write(encodeFrame(m.seq, m.message));
            writeCalls++;
          }
        }
        sent++;
        while (sent - acked >= window) {
          await new Promise<void>((r) => (wake = r));
          wake = null;
        }
      }
      while (acked < sent) {
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
      const seconds = (performance.now() - t0) / 1000;
      socket.destroy();
      rows.push({
        mode,
        burst,
        bursts: sent,
        messages: sent * burst,
        writeCalls,
        seconds: round(seconds, 3),
        messagesPerSecond: round((sent * burst) / seconds, 0),
        usPerMessage: round((seconds * 1e6) / (sent * burst), 3),
      });
    }
  } finally {
    sink.postMessage('stop');
    await once(sink, 'exit');
  }
  const [concat, single] = rows;
  return { rows, ratio: concat && single ? round(concat.messagesPerSecond / single.messagesPerSecond, 2) : 0 };
}
