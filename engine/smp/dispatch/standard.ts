import type { Dispatcher, DispatchState } from './dispatcher.js';

/** The standard dispatcher (Figure 8): highest priority first, FIFO within a priority. */
export class StandardDispatcher implements Dispatcher {
  readonly kind = 'standard' as const;
  readonly variant = null;
  choose(s: DispatchState): number {
    const l = s.ready.firstLevel();
    return l < 0 ? -1 : s.ready.removeAt(l, 0);
  }
}
