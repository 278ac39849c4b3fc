import { fork } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { resolveWorkerScript } from '../runtime/index.js';
import { processCpuMs } from './procfs.js';
import { percentile, round } from './stats.js';

export interface TcpFloorOptions {
  gateways: number;
  cycles?: number;
  /** Pause between cycles, so each starts from idle sockets as a poll interval would. */
  pauseMs?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface TcpFloorResult {
  gateways: number;
  cycles: number;
  cycleP50Ms: number;
  cycleMaxMs: number;
  /** CPU per cycle of the polling thread, and of the echo process, from the kernel's accounting. */
  pollerCpuMsPerCycle: number;
  echoCpuMsPerCycle: number;
  /** Both sides' CPU per socket per cycle: a write and a read each, and nothing else. */
  cpuUsPerSocketCycle: number;
}

const POLL_BYTES = 16;
const REPLY_BYTES = 64;

/**
 * What one poll of N gateways costs this machine at the least: one thread writes 16 bytes to
 * each of N loopback TCP sockets and waits for a 64-byte answer on each from another process
 * that does nothing else. No protocol, no decoding, no threads: the cost left is the kernel's,
 * per socket. The PMDaemon's cycle time is measured against this.
 */
export async function runTcpFloor(options: TcpFloorOptions): Promise<TcpFloorResult> {
  const { gateways } = options;
  const cycles = options.cycles ?? 10;
  const sockets: net.Socket[] = [];
  let onReplyBytes: (n: number) => void = () => {};
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => onReplyBytes(chunk.length));
    socket.on('error', () => {});
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const echo = fork(resolveWorkerScript(import.meta.url, './tcp-floor-echo.js'), [String(port), String(gateways), String(REPLY_BYTES)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const ready = once(echo, 'message');
    const exited = once(echo, 'exit').then(() => { throw new Error('the echo process exited before its sockets connected'); });
    await Promise.race([ready, exited]);
    const deadline = performance.now() + 30_000;
    while (sockets.length < gateways) {
      if (performance.now() > deadline) throw new Error(`only ${sockets.length} of ${gateways} sockets connected`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const poll = Buffer.alloc(POLL_BYTES, 2);
    const times: number[] = [];
    const echoCpu0 = processCpuMs(echo.pid!);
    const cpu0 = process.cpuUsage();
    for (let c = 0; c < cycles && !options.signal?.aborted; c++) {
      await new Promise((r) => setTimeout(r, options.pauseMs ?? 200));
      let bytes = 0;
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`cycle ${c + 1}: ${Math.floor(bytes / REPLY_BYTES)} of ${gateways} replies within 30 s`)), 30_000);
        onReplyBytes = (n) => {
          bytes += n;
          if (bytes >= gateways * REPLY_BYTES) { clearTimeout(timer); resolve(); }
        };
        for (const s of sockets) s.write(poll);
      });
      times.push(performance.now() - t0);
      options.onProgress?.(c + 1, cycles);
    }
    const cpu = process.cpuUsage(cpu0);
    const pollerMs = (cpu.user + cpu.system) / 1000;
    const echoMs = processCpuMs(echo.pid!) - echoCpu0;
    const n = Math.max(1, times.length);
    return {
      gateways,
      cycles: times.length,
      cycleP50Ms: round(percentile(times, 50), 2),
      cycleMaxMs: round(Math.max(0, ...times), 2),
      pollerCpuMsPerCycle: round(pollerMs / n, 1),
      echoCpuMsPerCycle: round(echoMs / n, 1),
      cpuUsPerSocketCycle: round(((pollerMs + echoMs) * 1000) / (n * gateways), 2),
    };
  } finally {
    echo.kill();
    for (const s of sockets) s.destroy();
    server.close();
  }
}
