import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { encodeFrame, FrameDecoder, gatewayIdProblem, protocolErrorText } from '../protocol/index.js';
import type { DaemonEvent } from './events.js';
import type { DaemonTls } from './mailbox.js';

/** A hello is small; nothing larger is buffered for a peer on the discovery port. */
const HELLO_MAX_PAYLOAD_BYTES = 4096;
const REPORT_EVERY_MS = 1000;

export interface DiscoveryOptions {
  host: string;
  port: number;
  tls: DaemonTls | null;
  /** Connections waiting for their hello at once; more are closed on arrival. */
  maxHandshakes: number;
  helloTimeoutMs: number;
  /** Where a gateway that said hello goes: a worker's port, or why it cannot be served. */
  route(gatewayId: string): Promise<{ port: number } | { refuse: string }>;
  report(event: DaemonEvent): void;
}

export interface Discovery {
  readonly address: { host: string; port: number };
  /** Connections waiting for their hello now (the handshake table). */
  waiting(): number;
  close(): void;
}

/**
 * The discovery port: read one hello, check its id, refer the gateway to the worker that will
 * serve it, close. Authentication happens there; here a peer holds nothing but its socket, for
 * at most the hello timeout, and only while the handshake table has room.
 */
export async function startDiscovery(o: DiscoveryOptions): Promise<Discovery> {
  const waiting = new Set<net.Socket>();
  let refused = 0;
  let lastFullReport = -Infinity;

  const onConnection = (socket: net.Socket): void => {
    socket.on('error', () => {});
    if (waiting.size >= o.maxHandshakes) {
      socket.destroy();
      refused++;
      const now = performance.now();
      if (now - lastFullReport >= REPORT_EVERY_MS) {
        lastFullReport = now;
        o.report({ kind: 'handshakes-full', refused, limit: o.maxHandshakes });
        refused = 0;
      }
      return;
    }
    waiting.add(socket);
    const decoder = new FrameDecoder({ maxPayloadBytes: HELLO_MAX_PAYLOAD_BYTES });
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const timer = setTimeout(() => socket.destroy(), o.helloTimeoutMs);
    let answered = false;
    const finish = (): void => {
      answered = true;
      clearTimeout(timer);
      waiting.delete(socket);
    };
    socket.on('close', finish);
    const refuse = (reason: string): void => {
      o.report({ kind: 'dropped', gatewayId: '', remote, reason: `discovery: ${reason}` });
      socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      try {
        const { frames, error } = decoder.push(chunk);
        const first = frames[0];
        if (!first) {
          if (error) { finish(); refuse(`bad frame at ${protocolErrorText(error)}`); }
          return;
        }
        finish();
        if (first.message.type !== 'hello') return refuse(`expected hello, got ${first.message.type}`);
        const { gatewayId } = first.message;
        const problem = gatewayIdProblem(gatewayId);
        if (problem !== null) return refuse(`hello: ${problem}`);
        void o.route(gatewayId).then(
          (to) => {
            if ('refuse' in to) {
              o.report({ kind: 'thread-limit', gatewayId, reason: to.refuse });
              socket.end(encodeFrame(first.seq, { type: 'bye', reason: to.refuse }));
              return;
            }
            // The address the gateway reached us on, which also works when listening on all interfaces.
            socket.end(encodeFrame(first.seq, { type: 'redirect', host: socket.localAddress ?? o.host, port: to.port }));
          },
          (err: unknown) => {
            const reason = `could not start a thread: ${err instanceof Error ? err.message : String(err)}`;
            o.report({ kind: 'thread-limit', gatewayId, reason });
            socket.end(encodeFrame(first.seq, { type: 'bye', reason }));
          },
        );
      } catch (err) {
        finish();
        refuse(`could not handle its hello: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  };

  const server = o.tls ? tls.createServer({ key: o.tls.key, cert: o.tls.cert }, onConnection) : net.createServer(onConnection);
  // An accept that fails (out of descriptors) must not take the daemon down with it.
  server.on('error', (err) => o.report({ kind: 'dropped', gatewayId: '', remote: '', reason: `discovery: ${err.message}` }));
  if (o.tls) server.on('tlsClientError', () => {});
  server.listen(o.port, o.host);
  await once(server, 'listening');
  return {
    address: { host: o.host, port: (server.address() as net.AddressInfo).port },
    waiting: () => waiting.size,
    close: () => {
      server.close();
      for (const s of waiting) s.destroy();
    },
  };
}
