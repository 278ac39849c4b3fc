/**
 * Ready threads by priority level (index 0 the highest), FIFO within a level, with the per-thread
 * pass-over counts AutoPilot's starvation bound reads.
 *
 * Level l's queue is `queues[l][head[l] .. head[l] + length[l])`. Taking a thread closes the gap
 * from whichever side is shorter, so the standard dispatcher's take from the front is O(1) and
 * AutoPilot's take from near the front stays cheap; a push that reaches the buffer's end moves
 * the queue back to the start first (each thread is queued at most once, so that is rare).
 */
export class ReadyQueues {
  readonly levels: number;
  readonly queues: Int32Array[];
  readonly head: Int32Array;
  readonly length: Int32Array;
  readonly passOvers: Int32Array;
  readonly maxPassOvers: Int32Array;
  private readonly capacity: number;

  constructor(readonly levelOf: Int32Array, levels: number, threads: number) {
    this.levels = levels;
    this.capacity = 2 * Math.max(1, threads);
    this.queues = Array.from({ length: levels }, () => new Int32Array(this.capacity));
    this.head = new Int32Array(levels);
    this.length = new Int32Array(levels);
    this.passOvers = new Int32Array(threads);
    this.maxPassOvers = new Int32Array(threads);
  }

  push(th: number): void {
    const l = this.levelOf[th]!;
    const q = this.queues[l]!;
    let h = this.head[l]!;
    const len = this.length[l]!;
    if (h + len === this.capacity) {
      q.copyWithin(0, h, h + len);
      h = this.head[l] = 0;
    }
    q[h + len] = th;
    this.length[l] = len + 1;
  }

  /** The thread k places from the front of level l. */
  at(l: number, k: number): number {
    return this.queues[l]![this.head[l]! + k]!;
  }

  removeAt(l: number, k: number): number {
    const q = this.queues[l]!;
    const h = this.head[l]!;
    const len = this.length[l]!;
    const th = q[h + k]!;
    if (k < len - 1 - k) {
      if (k > 0) q.copyWithin(h + 1, h, h + k);
      this.head[l] = len === 1 ? 0 : h + 1;
    } else {
      q.copyWithin(h + k, h + k + 1, h + len);
      if (len === 1) this.head[l] = 0;
    }
    this.length[l] = len - 1;
    return th;
  }

  remove(th: number): void {
    const l = this.levelOf[th]!;
    const q = this.queues[l]!;
    const h = this.head[l]!;
    let k = 0;
    while (q[h + k] !== th) k++;
    this.removeAt(l, k);
  }

  /** The highest level with a ready thread, or −1. */
  firstLevel(): number {
    for (let l = 0; l < this.levels; l++) if (this.length[l]! > 0) return l;
    return -1;
  }

  /** Count one more pass-over for the first `upTo` threads of level l. */
  passOver(l: number, upTo: number): void {
    const q = this.queues[l]!;
    const h = this.head[l]!;
    for (let k = 0; k < upTo; k++) {
      const th = q[h + k]!;
      const p = ++this.passOvers[th]!;
      if (p > this.maxPassOvers[th]!) this.maxPassOvers[th] = p;
    }
  }

  /** Pass over everything from level `top` up to thread k of level l, then take that thread. */
  takePassingOver(top: number, l: number, k: number): number {
    for (let above = top; above < l; above++) this.passOver(above, this.length[above]!);
    this.passOver(l, k);
    return this.removeAt(l, k);
  }
}
