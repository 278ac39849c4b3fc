import type { EngineEvents, EventName, MethodName, MethodResults, ParamsOf, StreamName, StreamParamsOf, StreamTypes } from './contract.js';
import { RpcError, type ClientChannel, type RpcErrorBody, type ServerMessage } from './wire.js';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

interface Pending {
  resolve(value: unknown): void;
  reject(error: RpcError): void;
  onProgress?: ((progress: unknown) => void) | undefined;
}

export interface StreamOptions<P> {
  onProgress?: (progress: P) => void;
  signal?: AbortSignal;
}

/**
 * The renderer's (and tests') handle on the engine. It knows the contract, never the transport:
 * give it any channel (WebSocket, MessagePort) and it speaks the same protocol over it.
 */
export class EngineClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private closedReason: string | undefined;

  constructor(private readonly channel: ClientChannel) {
    channel.onMessage((message) => this.receive(message));
    channel.onClose((reason) => {
      this.closedReason = reason;
      const error = new RpcError({ code: 'unavailable', message: `engine connection closed: ${reason}` });
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    });
  }

  get closed(): boolean { return this.closedReason !== undefined; }

  call<M extends MethodName>(method: M, params: ParamsOf<M>, options: { signal?: AbortSignal } = {}): Promise<MethodResults[M]> {
    return this.start(method, params, undefined, options.signal) as Promise<MethodResults[M]>;
  }

  stream<S extends StreamName>(
    method: S,
    params: StreamParamsOf<S>,
    options: StreamOptions<StreamTypes[S]['progress']> = {},
  ): Promise<StreamTypes[S]['result']> {
    return this.start(method, params, options.onProgress as ((p: unknown) => void) | undefined, options.signal) as Promise<StreamTypes[S]['result']>;
  }

  on<E extends EventName>(topic: E, listener: (payload: EngineEvents[E]) => void): () => void {
    let set = this.listeners.get(topic);
    if (!set) { set = new Set(); this.listeners.set(topic, set); }
    const wrapped = listener as (payload: unknown) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  close(): void { this.channel.close(); }

  private start(method: string, params: unknown, onProgress: ((p: unknown) => void) | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    if (this.closedReason !== undefined) {
      return Promise.reject(new RpcError({ code: 'unavailable', message: `engine connection closed: ${this.closedReason}` }));
    }
    if (signal?.aborted) return Promise.reject(new RpcError({ code: 'cancelled', message: `${method} cancelled` }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      signal?.addEventListener('abort', () => {
        if (this.pending.has(id)) this.channel.send({ kind: 'cancel', id });
      }, { once: true });
      this.channel.send({ kind: 'call', id, method, params });
    });
  }

  private receive(raw: unknown): void {
    const message = raw as ServerMessage;
    if (typeof message !== 'object' || message === null) return;
    if (message.kind === 'event') {
      for (const listener of this.listeners.get(message.topic) ?? []) listener(message.payload);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    switch (message.kind) {
      case 'progress': pending.onProgress?.(message.progress); break;
      case 'result': this.pending.delete(message.id); pending.resolve(message.result); break;
      case 'error': this.pending.delete(message.id); pending.reject(new RpcError(message.error as RpcErrorBody)); break;
    }
  }
}
