import { Type } from '@sinclair/typebox';
import { compileSchema, describeSchemaError, type Logger } from '../runtime/index.js';
import {
  methodParams, streamParams, STREAMS_ANSWERING_CANCEL,
  type EngineEvents, type EventName, type MethodName, type MethodResults, type ParamsOf,
  type StreamName, type StreamParamsOf, type StreamTypes,
} from './contract.js';
import { RpcError, type ServerChannel, type ServerMessage } from './wire.js';

export interface CallContext {
  signal: AbortSignal;
  transport: 'websocket' | 'messageport';
}

export interface StreamContext<P> extends CallContext {
  progress(progress: P): void;
}

export type MethodHandlers = {
  [M in MethodName]: (params: ParamsOf<M>, ctx: CallContext) => Promise<MethodResults[M]> | MethodResults[M];
};
export type StreamHandlers = {
  [S in StreamName]: (params: StreamParamsOf<S>, ctx: StreamContext<StreamTypes[S]['progress']>) => Promise<StreamTypes[S]['result']>;
};

const ClientMessageSchema = Type.Union([
  Type.Object({ kind: Type.Literal('call'), id: Type.Integer({ minimum: 1 }), method: Type.String({ maxLength: 200 }), params: Type.Unknown() }),
  Type.Object({ kind: Type.Literal('cancel'), id: Type.Integer({ minimum: 1 }) }),
]);
const isClientMessage = compileSchema(ClientMessageSchema);
const methodValidators = new Map(Object.entries(methodParams).map(([name, schema]) => [name, compileSchema(schema)]));
const streamValidators = new Map(Object.entries(streamParams).map(([name, schema]) => [name, compileSchema(schema)]));

/** Progress is coalesced so a fast producer cannot flood a slow renderer. */
const PROGRESS_INTERVAL_MS = 50;

/**
 * Serves the contract over any number of channels. Every call runs with an AbortSignal that a
 * cancel message, or the channel closing, fires. A handler's failure becomes an error reply;
 * nothing a client sends can take the engine down.
 */
export class EngineService {
  private readonly channels = new Set<ServerChannel>();

  constructor(
    private readonly methods: MethodHandlers,
    private readonly streams: StreamHandlers,
    private readonly log: Logger,
  ) {}

  attach(channel: ServerChannel, transport: CallContext['transport']): void {
    const active = new Map<number, AbortController>();
    this.channels.add(channel);
    const send = (message: ServerMessage): void => {
      try { channel.send(message); } catch (err) { this.log.warn({ err }, 'could not send to a client'); }
    };
    channel.onClose(() => {
      this.channels.delete(channel);
      for (const controller of active.values()) controller.abort(new RpcError({ code: 'cancelled', message: 'client went away' }));
      active.clear();
    });
    channel.onMessage((raw) => {
      if (!isClientMessage(raw)) {
        const id = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number' ? (raw as { id: number }).id : 0;
        send({ kind: 'error', id, error: { code: 'bad-request', message: 'malformed message: expected {kind:"call",id,method,params} or {kind:"cancel",id}' } });
        return;
      }
      if (raw.kind === 'cancel') { active.get(raw.id)?.abort(new RpcError({ code: 'cancelled', message: 'cancelled' })); return; }
      if (active.has(raw.id)) {
        send({ kind: 'error', id: raw.id, error: { code: 'bad-request', message: `call id ${raw.id} is already in use` } });
        return;
      }
      const controller = new AbortController();
      active.set(raw.id, controller);
      void this.run(raw.id, raw.method, raw.params, { signal: controller.signal, transport }, send)
        .finally(() => active.delete(raw.id));
    });
  }

  emit<E extends EventName>(topic: E, payload: EngineEvents[E]): void {
    for (const channel of this.channels) {
      try { channel.send({ kind: 'event', topic, payload }); } catch { /* a closing channel */ }
    }
  }

  private async run(id: number, method: string, params: unknown, ctx: CallContext, send: (m: ServerMessage) => void): Promise<void> {
    try {
      const result = await this.dispatch(id, method, params, ctx, send);
      if (ctx.signal.aborted && !STREAMS_ANSWERING_CANCEL.has(method)) throw ctx.signal.reason instanceof RpcError ? ctx.signal.reason : new RpcError({ code: 'cancelled', message: 'cancelled' });
      send({ kind: 'result', id, result });
    } catch (err) {
      const error = toRpcError(err, method);
      if (error.code === 'internal') this.log.error({ err, method }, 'engine method failed');
      send({ kind: 'error', id, error: error.toBody() });
    }
  }

  private dispatch(id: number, method: string, params: unknown, ctx: CallContext, send: (m: ServerMessage) => void): Promise<unknown> {
    const methodCheck = methodValidators.get(method);
    if (methodCheck) {
      if (!methodCheck(params)) throw badParams(method, methodCheck.errors);
      const handler = this.methods[method as MethodName] as (p: unknown, c: CallContext) => unknown;
      return Promise.resolve(handler(params, ctx));
    }
    const streamCheck = streamValidators.get(method);
    if (streamCheck) {
      if (!streamCheck(params)) throw badParams(method, streamCheck.errors);
      const handler = this.streams[method as StreamName] as (p: unknown, c: StreamContext<unknown>) => Promise<unknown>;
      let last = 0;
      let queued: unknown;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const flush = (): void => { timer = undefined; last = Date.now(); send({ kind: 'progress', id, progress: queued }); };
      const progress = (p: unknown): void => {
        queued = p;
        if (timer) return;
        const wait = PROGRESS_INTERVAL_MS - (Date.now() - last);
        if (wait <= 0) flush(); else timer = setTimeout(flush, wait);
      };
      return handler(params, { ...ctx, progress }).finally(() => { if (timer) { clearTimeout(timer); flush(); } });
    }
    throw new RpcError({ code: 'unknown-method', message: `no such method "${method}"` });
  }
}

function badParams(method: string, errors: Parameters<typeof describeSchemaError>[0][] | null | undefined): RpcError {
  const first = errors?.[0];
  return new RpcError({ code: 'bad-request', message: `bad params for ${method}: ${first ? describeSchemaError(first) : 'invalid'}` });
}

/** Errors that carry a user-facing place (files, frames, policies) keep it; anything else is internal. */
export function toRpcError(err: unknown, method: string): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof Error && 'toRpcError' in err && typeof (err as { toRpcError: unknown }).toRpcError === 'function') {
    return (err as unknown as { toRpcError(): RpcError }).toRpcError();
  }
  const message = err instanceof Error ? err.message : String(err);
  return new RpcError({ code: 'internal', message: `${method} failed: ${message}` });
}
