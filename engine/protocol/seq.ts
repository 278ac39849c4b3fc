import { MAX_SEQ } from './frame.js';

/** Per-connection request numbering: 1..2^32-1, wrapping past 0 (0 marks unsolicited messages). */
export class SequenceCounter {
  private last = 0;

  next(): number {
    this.last = this.last >= MAX_SEQ ? 1 : this.last + 1;
    return this.last;
  }
}
