/**
 * Ready threads by priority level (index 0 the highest), FIFO within a level, with the per-thread
 * pass-over counts AutoPilot's starvation bound reads.
 */
export class ReadyQueues {
  readonly levels: number;
  readonly queues: Int32Array[];
  readonly length: Int32Array;
  readonly passOvers: Int32Array;
  readonly maxPassOvers: Int32Array;

  constructor(readonly levelOf: Int32Array, levels: number, threads: number) {
    this.levels = levels;
    this.queues = Array.from({ length: levels }, () => new Int32Array(Math.max(1, threads)));
    this.length = new Int32Array(levels);
    this.passOvers = new Int32Array(threads);
    this.maxPassOvers = new Int32Array(threads);
  }

  push(th: number): void {
    const l = this.levelOf[th]!;
    this.queues[l]![this.length[l]!++] = th;
  }

  removeAt(l: number, k: number): number {
    const q = this.queues[l]!;
    const th = q[k]!;
    q.copyWithin(k, k + 1, this.length[l]!);
    this.length[l]!--;
    return th;
  }

  remove(th: number): void {
    const l = this.levelOf[th]!;
    const q = this.queues[l]!;
    let k = 0;
    while (q[k] !== th) k++;
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
    for (let k = 0; k < upTo; k++) {
      const th = q[k]!;
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
