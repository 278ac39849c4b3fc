import { describe, expect, it } from 'vitest';
import type { BackendHealth, BackendIo, BlockBackend } from '../backend.js';
import { CMD_READ, CMD_WRITE, EIO } from '../nbd-constants.js';
import { BackendStage, type BackendFaults } from './backend-stage.js';

/** A request as the backend sees it, remembering how it was completed. */
class Io implements BackendIo {
  readonly flags = 0;
  readonly payload = null;
  completions: { errno: number; data: Buffer | null }[] = [];
  constructor(readonly type: number, readonly offset: number, readonly length: number) {}
  complete(errno: number, data: Buffer | null): void {
    this.completions.push({ errno, data });
  }
}

/** Storage of `size` zero bytes that answers reads at once and throws on writes past 4 KiB (a backend bug). */
class ZeroBackend implements BlockBackend {
  readonly location = 'test:zero';
  readonly size = 1 << 20;
  readonly transmissionFlags = 0;
  readonly maxPayload = 1 << 20;
  submit(io: BackendIo): void {
    if (io.type === CMD_WRITE && io.length > 4096) throw new Error('write too large for this test backend');
    io.complete(0, io.type === CMD_READ ? Buffer.alloc(io.length) : null);
  }
  onHealth(_listener: (health: BackendHealth) => void): void {}
  async close(): Promise<void> {}
}

class RecordingFaults implements BackendFaults<Io> {
  readonly faults: { io: Io; message: string }[] = [];
  backendThrew(io: Io, err: unknown): void {
    this.faults.push({ io, message: err instanceof Error ? err.message : String(err) });
  }
}

describe('the backend stage', () => {
  it('hands each request to the LUN storage, which completes it', () => {
    const faults = new RecordingFaults();
    const stage = new BackendStage<Io>(new ZeroBackend(), faults);
    const read = new Io(CMD_READ, 0, 512);
    stage.submit(read);
    expect(read.completions).toHaveLength(1);
    expect(read.completions[0]!.errno).toBe(0);
    expect(read.completions[0]!.data).toEqual(Buffer.alloc(512));
    expect(faults.faults).toEqual([]);
  });

  it('fails a request the backend throws on with EIO, reports the fault, and keeps serving the next', () => {
    const faults = new RecordingFaults();
    const stage = new BackendStage<Io>(new ZeroBackend(), faults);
    const write = new Io(CMD_WRITE, 0, 65536);
    expect(() => stage.submit(write)).not.toThrow();
    expect(write.completions).toEqual([{ errno: EIO, data: null }]);
    expect(faults.faults).toEqual([{ io: write, message: 'write too large for this test backend' }]);
    const next = new Io(CMD_WRITE, 0, 4096);
    stage.submit(next);
    expect(next.completions).toEqual([{ errno: 0, data: null }]);
  });
});
