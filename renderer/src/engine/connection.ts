import { EngineClient } from '../../../engine/host/client.js';
import { RpcError } from '../../../engine/host/wire.js';
import { connectWebSocket, messagePortChannel, webSocketChannel } from '../../../engine/host/client-transports.js';
import { ENGINE_PORT_MESSAGE } from '../../../electron/bridge.js';

export type Transport = 'websocket' | 'messageport';
export interface EngineStatus {
  state: 'connecting' | 'connected' | 'disconnected';
  transport: Transport;
  detail: string;
}

/**
 * Keeps one EngineClient alive for the views. The views never see the transport: in Electron
 * the preload hands over a MessagePort; in a browser, the page's token opens a WebSocket, and a
 * dropped socket is retried with backoff so a restarted engine is picked up again.
 */
export class EngineConnection {
  private client: EngineClient | null = null;
  private listeners = new Set<() => void>();
  private statusValue: EngineStatus;

  private constructor(readonly transport: Transport) {
    this.statusValue = { state: 'connecting', transport, detail: 'starting' };
  }

  get status(): EngineStatus { return this.statusValue; }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The live client, or an error the views show as "engine not connected". */
  get engine(): EngineClient {
    if (!this.client || this.client.closed) throw new RpcError({ code: 'unavailable', message: 'the engine is not connected' });
    return this.client;
  }

  private set(status: Partial<EngineStatus>): void {
    this.statusValue = { ...this.statusValue, ...status };
    for (const l of this.listeners) l();
  }

  static inElectron(): EngineConnection {
    const connection = new EngineConnection('messageport');
    window.addEventListener('message', (event: MessageEvent) => {
      if (event.source !== window || event.data !== ENGINE_PORT_MESSAGE || !event.ports[0]) return;
      const channel = messagePortChannel(event.ports[0]);
      const client = new EngineClient(channel);
      channel.onClose((reason) => connection.set({ state: 'disconnected', detail: reason }));
      connection.client = client;
      connection.set({ state: 'connected', detail: 'engine utility process' });
    });
    return connection;
  }

  static inBrowser(token: string): EngineConnection {
    const connection = new EngineConnection('websocket');
    let delay = 500;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc?token=${encodeURIComponent(token)}`;
    const attempt = (): void => {
      connection.set({ state: 'connecting', detail: location.host });
      connectWebSocket(() => new WebSocket(url))
        .then((socket) => {
          delay = 500;
          const channel = webSocketChannel(socket);
          connection.client = new EngineClient(channel);
          channel.onClose((reason) => {
            connection.set({ state: 'disconnected', detail: reason });
            setTimeout(attempt, delay);
          });
          connection.set({ state: 'connected', detail: location.host });
        })
        .catch((err: unknown) => {
          connection.set({ state: 'disconnected', detail: err instanceof Error ? err.message : String(err) });
          delay = Math.min(delay * 2, 5000);
          setTimeout(attempt, delay);
        });
    };
    attempt();
    return connection;
  }
}

/** The launch token arrives in the page URL once; it is kept for reloads and removed from the address bar. */
export function takeLaunchToken(): string | null {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem('headroom.token', fromUrl);
    params.delete('token');
    const query = params.toString();
    history.replaceState(null, '', location.pathname + (query ? `?${query}` : '') + location.hash);
    return fromUrl;
  }
  return sessionStorage.getItem('headroom.token');
}
