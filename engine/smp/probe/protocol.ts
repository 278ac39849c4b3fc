/** The shared-memory layout between the probe's main thread and its workers. */
export const CONTROL = {
  /** Bumped at each phase change; idle workers wait on it. */
  generation: 0,
  /** Non-zero: every worker returns. */
  stop: 1,
  /** Chase batches written to the ring so far. */
  chaseBatches: 2,
  /** Per slot: 0 idle, 1 running. */
  modeBase: 3,
} as const;

export function controlLayout(slots: number): { words: number; delayBase: number } {
  return { words: CONTROL.modeBase + 2 * slots, delayBase: CONTROL.modeBase + slots };
}

export interface ProbeWorkerData {
  role: 'chase' | 'stream';
  slot: number;
  bytes: number;
  seed: number;
  /** SharedArrayBuffer of Int32 words laid out as CONTROL and controlLayout. */
  control: SharedArrayBuffer;
  /** SharedArrayBuffer of one Float64 cumulative count per slot (chase hops or streamed lines). */
  counters: SharedArrayBuffer;
  delayBase: number;
  /** SharedArrayBuffer of CHASE_RING Float64 durations (ns) of the chaser's last batches. */
  ring: SharedArrayBuffer;
}

/** Chase batches the ring keeps; a phase reads only the ones written inside its window. */
export const CHASE_RING = 16384;
/** Dependent loads per timed chase batch: tens of microseconds, far below a scheduler's time slice. */
export const CHASE_BATCH = 512;
