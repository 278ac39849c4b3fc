/**
 * The RPC wire format, shared by every transport. Plain objects: JSON text over WebSocket,
 * structured clone over a MessagePort. No Node or DOM imports, so the renderer can use it.
 */
export type RpcErrorCode =
  | 'bad-request'     // the call itself is malformed or its params do not match the contract
  | 'unknown-method'
  | 'not-found'
  | 'invalid-input'   // user data (a workspace, a policy, a scenario) that fails validation
  | 'conflict'
  | 'forbidden'       // a file the user did not choose, or not of the kind the call expects
  | 'cancelled'
  | 'unavailable'     // the engine or a transport went away
  | 'internal';

export interface RpcErrorBody {
  code: RpcErrorCode;
  message: string;
  /** The place the problem is in: a file and JSON path, a line and column, a gateway id. */
  where?: string;
}

export type ClientMessage =
  | { kind: 'call'; id: number; method: string; params: unknown }
  | { kind: 'cancel'; id: number };

export type ServerMessage =
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: RpcErrorBody }
  | { kind: 'progress'; id: number; progress: unknown }
  | { kind: 'event'; topic: string; payload: unknown };

/** One end of a connection, whatever carries it. */
export interface RpcChannel<In, Out> {
  send(message: Out): void;
  onMessage(listener: (message: In) => void): void;
  onClose(listener: (reason: string) => void): void;
  close(): void;
}

export type ServerChannel = RpcChannel<unknown, ServerMessage>;
export type ClientChannel = RpcChannel<unknown, ClientMessage>;

export class RpcError extends Error {
  readonly code: RpcErrorCode;
  readonly where: string | undefined;
  /** The message without the place, as it travels on the wire. */
  readonly detail: string;
  constructor(body: RpcErrorBody) {
    super(body.where ? `${body.where}: ${body.message}` : body.message);
    this.name = 'RpcError';
    this.code = body.code;
    this.where = body.where;
    this.detail = body.message;
  }
  toBody(): RpcErrorBody {
    return { code: this.code, message: this.detail, ...(this.where ? { where: this.where } : {}) };
  }
}
