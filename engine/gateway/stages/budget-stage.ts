import type { ByteBudget } from '../byte-budget.js';
import type { DataStage } from './stage.js';

/** What the budget stage reads of a request. */
export interface BudgetedIo {
  /** Bytes of the in-flight budgets this request holds while in the gateway (its read or write data). */
  readonly cost: number;
}

/** What the gateway-wide budget calls back on a waiting stage. */
export interface BudgetPump {
  pump(): Admission;
}

/**
 * The gateway-wide byte budget, shared by every connection's budget stage, and the stages
 * waiting for it: when bytes come back they are pumped oldest first, while they fit.
 */
export class GatewayBudget {
  private readonly waiters = new Set<BudgetPump>();

  /** `onWait` hears each time a stage starts waiting, with how many wait. */
  constructor(readonly bytes: ByteBudget, private readonly onWait?: (waiting: number) => void) {}

  get waiting(): number {
    return this.waiters.size;
  }

  wait(stage: BudgetPump): void {
    this.waiters.add(stage);
    this.onWait?.(this.waiters.size);
  }

  /** Bytes came back: let waiting stages in, oldest first, until one still does not fit. */
  wake(): void {
    for (const stage of this.waiters) {
      this.waiters.delete(stage);
      if (stage.pump() === 'gateway') return;
    }
  }

  /** A closed connection's stage waits no more. */
  forget(stage: BudgetPump): void {
    this.waiters.delete(stage);
  }
}

/** What the connection learns from its budget stage. */
export interface BudgetListener {
  /** This connection's own bound was first reached (log it once). */
  connectionBudgetReached(heldBytes: number, limitBytes: number): void;
  /** Requests left the backlog: reading from the client may resume. */
  backlogMoved(): void;
}

/** Why a request could not go on yet: 'admitted' means it could (or nothing waits). */
export type Admission = 'admitted' | 'connection' | 'gateway';

/**
 * Bytes one connection, and all together, may hold in the gateway: read data until it has been
 * written to the client's socket, write data until the backend stored it. A request over
 * either bound waits here, in arrival order (nothing overtakes a waiting request); none is
 * refused. A request is always let in when its connection holds nothing, so one request larger
 * than the bound cannot wedge a connection. The connection pauses reading while any wait.
 */
export class BudgetStage<I extends BudgetedIo> implements DataStage<I>, BudgetPump {
  /** Bytes of the in-flight budgets this connection holds. */
  private held = 0;
  /** Requests waiting for budget, in arrival order (bounded: the connection stops reading meanwhile). */
  private readonly backlog: I[] = [];
  private reached = false;
  private closed = false;

  constructor(
    private readonly connectionLimit: number,
    private readonly shared: GatewayBudget,
    private readonly listener: BudgetListener,
    private readonly next: DataStage<I>,
  ) {}

  /** Requests waiting for budget. */
  get waiting(): number {
    return this.backlog.length;
  }

  get heldBytes(): number {
    return this.held;
  }

  submit(io: I): void {
    if (this.backlog.length > 0 || this.admit(io) !== 'admitted') this.backlog.push(io);
    else this.next.submit(io);
  }

  settle(io: I, now: number): void {
    this.next.settle(io, now);
  }

  /** `bytes` of what this connection holds are done with (write data stored, read data written). */
  release(bytes: number): void {
    if (this.closed || bytes === 0) return;
    this.held -= bytes;
    this.shared.bytes.give(bytes);
    if (this.backlog.length > 0) this.pump();
    this.shared.wake();
  }

  /** Let waiting requests on while the budgets allow; says what still blocks, if anything. */
  pump(): Admission {
    if (this.closed) return 'admitted';
    while (this.backlog.length > 0) {
      const admission = this.admit(this.backlog[0]!);
      if (admission !== 'admitted') return admission;
      this.next.submit(this.backlog.shift()!);
      if (this.closed) return 'admitted';
    }
    this.listener.backlogMoved();
    return 'admitted';
  }

  /** The connection is gone: give back what it held; returns the requests that never got in (the caller settles them). */
  close(): I[] {
    this.closed = true;
    const abandoned = this.backlog.splice(0);
    if (this.held > 0) {
      this.shared.bytes.give(this.held);
      this.held = 0;
      this.shared.wake();
    }
    return abandoned;
  }

  /** Take budget for `io` if both this connection's and the gateway's bound allow it. */
  private admit(io: I): Admission {
    const cost = io.cost;
    if (cost === 0) return 'admitted';
    if (this.held > 0 && this.held + cost > this.connectionLimit) {
      if (!this.reached) {
        this.reached = true;
        this.listener.connectionBudgetReached(this.held, this.connectionLimit);
      }
      return 'connection';
    }
    if (!this.shared.bytes.fits(cost)) {
      this.shared.wait(this);
      return 'gateway';
    }
    this.held += cost;
    this.shared.bytes.take(cost);
    return 'admitted';
  }
}
