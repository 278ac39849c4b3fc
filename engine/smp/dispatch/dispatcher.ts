import type { ReadyQueues } from './ready-queues.js';

export type DispatcherKind = 'standard' | 'autopilot';
/** `document`: AutoPilot as the text describes it. `projected`: Headroom's own projected-commitment variant. */
export type AutoPilotVariant = 'document' | 'projected';
export const autoPilotVariants: readonly AutoPilotVariant[] = ['document', 'projected'];

/** What a dispatcher may read of the machine when a CPU needs a thread. */
export interface DispatchState {
  readonly ready: ReadyQueues;
  /** Per thread: the bus monitor's estimate of its demand. */
  readonly estimate: Float64Array;
  readonly ioBound: Uint8Array;
  /** Running threads now (the CPU asking is idle). */
  readonly nRunning: number;
  /** I/O share plus the estimates (as at dispatch) of the running threads, as a share of this bus. */
  committedEstimate(): number;
  /** The bus performance monitor's latest utilisation sample. */
  monitorReading(): number;
  readonly invBandwidth: number;
}

/** Chooses the next thread for an idle CPU: a thread index taken off the ready queues, or −1 to leave it idle. */
export interface Dispatcher {
  readonly kind: DispatcherKind;
  readonly variant: AutoPilotVariant | null;
  choose(state: DispatchState): number;
}
