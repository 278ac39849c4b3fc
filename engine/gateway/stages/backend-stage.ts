import type { BackendIo, BlockBackend } from '../backend.js';
import { EIO } from '../nbd-constants.js';
import type { DataStage } from './stage.js';

/** Told when the backend throws on a request (that request then fails with EIO). */
export interface BackendFaults<I> {
  backendThrew(io: I, err: unknown): void;
}

/** The end of the chain: the LUN's storage. Its completion (`io.complete`) goes to the connection, which replies. */
export class BackendStage<I extends BackendIo> implements DataStage<I> {
  constructor(private readonly backend: BlockBackend, private readonly faults: BackendFaults<I>) {}

  submit(io: I): void {
    try {
      this.backend.submit(io);
    } catch (err) {
      // Runs from throttle timers too: a backend bug fails this request, not the process.
      this.faults.backendThrew(io, err);
      io.complete(EIO, null);
    }
  }

  settle(): void {
    // Nothing to do: the backend let go of the request when it completed it.
  }
}
