import type { ClientChannel, ClientMessage } from './wire.js';

/**
 * Client ends of the two transports, written against the web platform's WebSocket and
 * MessagePort so the same code runs in the renderer, in Electron and in Node tests.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
}

export function webSocketChannel(socket: WebSocketLike): ClientChannel {
  return {
    send(message: ClientMessage) { socket.send(JSON.stringify(message)); },
    onMessage(listener) {
      socket.addEventListener('message', (event) => {
        if (typeof event.data !== 'string') return;
        let parsed: unknown;
        try { parsed = JSON.parse(event.data); } catch { return; }
        listener(parsed);
      });
    },
    onClose(listener) {
      socket.addEventListener('close', (event) => listener(event.reason || `websocket closed (${event.code})`));
    },
    close() { socket.close(1000, 'client closed'); },
  };
}

export interface WebMessagePortLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  start(): void;
  close(): void;
}

export function messagePortChannel(port: WebMessagePortLike): ClientChannel {
  const closeListeners: Array<(reason: string) => void> = [];
  return {
    send(message: ClientMessage) { port.postMessage(message); },
    onMessage(listener) {
      port.addEventListener('message', (event) => {
        const data = event.data as { kind?: string; reason?: string } | null;
        // The engine announces its own shutdown over the port: ports have no close event everywhere.
        if (data && data.kind === 'closing') { for (const l of closeListeners) l(data.reason ?? 'engine stopped'); return; }
        listener(event.data);
      });
      port.start();
    },
    onClose(listener) { closeListeners.push(listener); },
    close() { port.close(); for (const l of closeListeners) l('client closed'); },
  };
}

/** Open a WebSocket and resolve once it is open (or reject with the reason it could not). */
export function connectWebSocket<T extends WebSocketLike>(create: () => T, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const socket = create();
    const timer = setTimeout(() => { socket.close(); reject(new Error('engine did not answer in time')); }, timeoutMs);
    const target = socket as unknown as {
      addEventListener(type: 'open' | 'error' | 'close', l: (e: { code?: number; reason?: string }) => void): void;
    };
    target.addEventListener('open', () => { clearTimeout(timer); resolve(socket); });
    target.addEventListener('close', (e) => { clearTimeout(timer); reject(new Error(`engine refused the connection (${e.code ?? '?'}${e.reason ? `: ${e.reason}` : ''})`)); });
  });
}
