import type { DataStage } from './stage.js';

/** The next stage in a stage's own test: it keeps what reaches it, and goes no further. */
export class RecordingStage<I> implements DataStage<I> {
  readonly submitted: I[] = [];
  readonly settled: { readonly io: I; readonly now: number }[] = [];

  submit(io: I): void {
    this.submitted.push(io);
  }

  settle(io: I, now: number): void {
    this.settled.push({ io, now });
  }
}
