import { CMD_READ, CMD_WRITE } from '../nbd-constants.js';
import type { EntityStats } from '../stats.js';
import type { DataStage } from './stage.js';

/** What the statistics stage reads of a request. */
export interface MeasuredIo {
  readonly type: number;
  readonly length: number;
  /** performance.now() when the request's header arrived from the client. */
  readonly arrivedAt: number;
  /** The NBD errno of its reply (0: success). */
  readonly errno: number;
}

/**
 * Counts a connection's I/O for its host/LUN pair (counters and latency histograms) and the
 * queue depth of its host and LUN. Latency is what the client sees: from the arrival of the
 * request header to the handoff of its reply to the socket (the `now` of `settle`), so every
 * wait inside the gateway (budget, throttle, backend, output batch) is in it.
 */
export class StatisticsStage<I extends MeasuredIo> implements DataStage<I> {
  constructor(
    private readonly pair: EntityStats,
    private readonly host: EntityStats,
    private readonly lun: EntityStats,
    private readonly next: DataStage<I>,
  ) {}

  submit(io: I): void {
    this.pair.arrive();
    this.host.arrive();
    this.lun.arrive();
    this.next.submit(io);
  }

  settle(io: I, now: number): void {
    const type = io.type;
    this.pair.complete(type === CMD_READ, type === CMD_WRITE, io.length, (now - io.arrivedAt) * 1000, io.errno !== 0);
    this.host.leave();
    this.lun.leave();
    this.next.settle(io, now);
  }

  /** A request answered with an error before it entered the chain (refused, oversized). */
  reject(): void {
    this.pair.reject();
  }
}
