/** The part of a socket the batcher writes to (a net.Socket, or a test double). */
export interface ByteSink {
  write(bytes: Buffer): boolean;
}

const DEFAULT_SLAB = 256 * 1024;
/** Writes issued and bytes written by all batchers, for the benchmark's syscalls-per-I/O figure. */
export const batchCounters = { flushes: 0, bytes: 0 };
/** Data larger than this is written by reference instead of copied into the slab. */
const COPY_LIMIT = 64 * 1024;

/**
 * Gathers the small messages of one event-loop turn (reply headers, 4 KiB reads,
 * request headers) into one write, so a busy connection costs one syscall per turn
 * rather than one per I/O. Bytes handed to the socket are never overwritten: the
 * next batch starts after them, and a full slab is replaced, not reused.
 */
export class OutputBatcher {
  buffer: Buffer;
  private start = 0;
  private used = 0;
  private scheduled = false;
  private closed = false;
  private readonly flushBound = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(private readonly sink: ByteSink, private readonly slabBytes = DEFAULT_SLAB) {
    this.buffer = Buffer.allocUnsafeSlow(slabBytes);
  }

  /** Room for `n` bytes at the returned offset of `this.buffer`; write them before the turn ends. */
  reserve(n: number): number {
    if (this.buffer.length - this.used < n) {
      this.flush();
      this.buffer = Buffer.allocUnsafeSlow(Math.max(this.slabBytes, n));
      this.start = 0;
      this.used = 0;
    }
    const at = this.used;
    this.used += n;
    this.schedule();
    return at;
  }

  append(data: Buffer): void {
    if (data.length > COPY_LIMIT) {
      this.flush();
      if (!this.closed) this.sink.write(data);
      return;
    }
    const at = this.reserve(data.length);
    data.copy(this.buffer, at);
  }

  flush(): void {
    if (this.used === this.start) return;
    const bytes = this.buffer.subarray(this.start, this.used);
    batchCounters.flushes++;
    batchCounters.bytes += bytes.length;
    this.start = this.used;
    if (!this.closed) this.sink.write(bytes);
  }

  /** Drop whatever is pending and ignore later output (the socket is gone). */
  close(): void {
    this.closed = true;
    this.start = this.used;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the poll phase, so every completion that arrived in this turn shares the write.
    setImmediate(this.flushBound);
  }
}
