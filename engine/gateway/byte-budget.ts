/**
 * Bytes the gateway holds for requests (read data waiting to reach the client's socket,
 * write data waiting for the backend), against a limit. Requests over the limit wait;
 * they are never refused. A request is always let in when nothing is held, so one
 * request larger than the limit cannot wedge a connection.
 */
export class ByteBudget {
  private heldBytes = 0;

  constructor(readonly limit: number) {
    if (!(limit > 0)) throw new Error(`a byte budget needs a positive limit (got ${limit})`);
  }

  get held(): number {
    return this.heldBytes;
  }

  fits(bytes: number): boolean {
    return this.heldBytes === 0 || this.heldBytes + bytes <= this.limit;
  }

  take(bytes: number): void {
    this.heldBytes += bytes;
  }

  give(bytes: number): void {
    this.heldBytes -= bytes;
    if (this.heldBytes < 0) throw new Error(`byte budget released ${-this.heldBytes} bytes more than it held`);
  }
}

/** Defaults for the gateway's memory bounds (each has a command-line setting). */
export const DEFAULT_CONNECTION_INFLIGHT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_GATEWAY_INFLIGHT_BYTES = 256 * 1024 * 1024;
