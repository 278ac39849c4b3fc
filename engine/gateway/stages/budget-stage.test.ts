import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../byte-budget.js';
import { BudgetStage, GatewayBudget, type BudgetedIo, type BudgetListener } from './budget-stage.js';
import { RecordingStage } from './recording-stage.js';

interface Io extends BudgetedIo { readonly id: number }

class RecordingListener implements BudgetListener {
  readonly reached: [number, number][] = [];
  moved = 0;
  connectionBudgetReached(heldBytes: number, limitBytes: number): void {
    this.reached.push([heldBytes, limitBytes]);
  }
  backlogMoved(): void {
    this.moved++;
  }
}

function connection(limit: number, shared: GatewayBudget) {
  const next = new RecordingStage<Io>();
  const listener = new RecordingListener();
  return { stage: new BudgetStage<Io>(limit, shared, listener, next), next, listener };
}

const ids = (next: RecordingStage<Io>): number[] => next.submitted.map((r) => r.id);

describe('the byte budget stage', () => {
  it("holds requests over the connection's bound, in arrival order, until bytes come back; never refuses one", () => {
    const shared = new GatewayBudget(new ByteBudget(1 << 30));
    const { stage, next, listener } = connection(10_000, shared);
    stage.submit({ id: 1, cost: 8000 });
    stage.submit({ id: 2, cost: 4000 });
    // A flush costs nothing, but does not overtake the write waiting before it.
    stage.submit({ id: 3, cost: 0 });
    expect(ids(next)).toEqual([1]);
    expect(stage.waiting).toBe(2);
    expect(listener.reached).toEqual([[8000, 10_000]]);
    stage.release(8000);
    expect(ids(next)).toEqual([1, 2, 3]);
    expect(stage.waiting).toBe(0);
    expect(stage.heldBytes).toBe(4000);
    expect(listener.moved).toBe(1);
    expect(shared.bytes.held).toBe(4000);
  });

  it('lets a request larger than the bound in when the connection holds nothing, so it cannot wedge', () => {
    const { stage, next } = connection(10_000, new GatewayBudget(new ByteBudget(1 << 30)));
    stage.submit({ id: 1, cost: 50_000 });
    stage.submit({ id: 2, cost: 1 });
    expect(ids(next)).toEqual([1]);
    stage.release(50_000);
    expect(ids(next)).toEqual([1, 2]);
  });

  it('makes connections wait for the gateway-wide budget and lets them in, oldest first, as it frees', () => {
    const waits: number[] = [];
    const shared = new GatewayBudget(new ByteBudget(10_000), (waiting) => waits.push(waiting));
    const a = connection(1 << 30, shared);
    const b = connection(1 << 30, shared);
    const c = connection(1 << 30, shared);
    a.stage.submit({ id: 1, cost: 9000 });
    b.stage.submit({ id: 2, cost: 2000 });
    c.stage.submit({ id: 3, cost: 2000 });
    expect([ids(a.next), ids(b.next), ids(c.next)]).toEqual([[1], [], []]);
    expect(waits).toEqual([1, 2]);
    a.stage.release(5000);
    // 4000 held: b's 2000 fits, then c's.
    expect([ids(b.next), ids(c.next)]).toEqual([[2], [3]]);
    expect(shared.bytes.held).toBe(8000);
    expect(shared.waiting).toBe(0);
  });

  it('on close gives back what the connection held, wakes the others, and returns what never got in', () => {
    const shared = new GatewayBudget(new ByteBudget(10_000));
    const a = connection(1 << 30, shared);
    const b = connection(1 << 30, shared);
    a.stage.submit({ id: 1, cost: 10_000 });
    a.stage.submit({ id: 2, cost: 10_000 });
    b.stage.submit({ id: 3, cost: 10_000 });
    shared.forget(a.stage);
    expect(a.stage.close().map((r) => r.id)).toEqual([2]);
    expect(ids(b.next)).toEqual([3]);
    expect(shared.bytes.held).toBe(10_000);
    // Late completions of a closed connection return nothing twice.
    a.stage.release(10_000);
    expect(shared.bytes.held).toBe(10_000);
  });

  it('passes each settle on', () => {
    const { stage, next } = connection(100, new GatewayBudget(new ByteBudget(100)));
    const r = { id: 1, cost: 0 };
    stage.submit(r);
    stage.settle(r, 4);
    expect(next.settled).toEqual([{ io: r, now: 4 }]);
  });
});
