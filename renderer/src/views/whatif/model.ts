import type { Scenario } from '../../../../engine/smp/scenario-schema.js';
import type { SmpSection, Workspace } from '../../../../engine/workspace/schema.js';

/** Table 1 of the AutoPilot document: 50% L1 at 1 cycle, 40% L2 at 3, 10% memory at 15 bus cycles (½ CPU clock). */
export const TABLE1 = { l1HitFraction: 0.5, l1Cycles: 1, l2HitFraction: 0.4, l2Cycles: 3, memoryBusCycles: 15, busClockRatio: 0.5 };

export function defaultSmp(): SmpSection {
  return {
    analytic: { busDemand: 0.1, ioLoad: 0.03, maxCpus: 10, hierarchy: { ...TABLE1 } },
    scenarios: [],
    sweeps: [],
    uslSeries: [],
  };
}

export function smpOf(workspace: Workspace): SmpSection {
  return workspace.smp ?? defaultSmp();
}

export function withSmp(workspace: Workspace, change: (smp: SmpSection) => SmpSection): Workspace {
  return { ...workspace, smp: change(smpOf(workspace)) };
}

export function newId(prefix: string, taken: readonly string[]): string {
  for (let i = 1; ; i++) {
    const id = `${prefix}-${i}`;
    if (!taken.includes(id)) return id;
  }
}

export function defaultScenario(): Scenario {
  return {
    name: 'New scenario',
    seed: 1,
    cpus: 4,
    timeSlice: 10,
    threads: [
      { name: 'light', busDemand: 0.1, work: 200, count: 4 },
      { name: 'medium', busDemand: 0.25, work: 200, count: 4 },
      { name: 'heavy', busDemand: 0.4, work: 200, count: 2 },
    ],
    autopilot: { threshold: 0.9, idleWhenNoFit: true, adjustRate: 0.25, ioReserve: 0, starvationBound: 8 },
  };
}

/** Parameters a sweep can vary, with what a planner would call them. */
/** `percent`: a share, shown on chart axes in % as the scenario form shows it (values stay fractions). */
export const SWEEP_PATHS: Array<{ path: string; label: string; example: string; percent?: boolean }> = [
  { path: 'cpus', label: 'CPUs', example: '1,2,4,6,8,12,16' },
  { path: 'busBandwidth', label: 'Bus bandwidth (× reference)', example: '0.5,1,1.5,2' },
  { path: 'ioLoad', label: 'Background I/O load', example: '0,0.03,0.1,0.2', percent: true },
  { path: 'autopilot.threshold', label: 'AutoPilot threshold', example: '0.6,0.7,0.8,0.9,1', percent: true },
  { path: 'autopilot.adjustRate', label: 'AutoPilot adjustment rate', example: '0.05,0.25,0.5,1' },
  { path: 'autopilot.ioReserve', label: 'Bandwidth reserved for I/O', example: '0,0.05,0.1', percent: true },
  { path: 'autopilot.starvationBound', label: 'Starvation bound (pass-overs)', example: '1,4,8,16' },
  { path: 'hierarchy.l1HitFraction', label: 'L1 hit fraction', example: '0.4,0.5,0.6' },
  { path: 'hierarchy.l2HitFraction', label: 'L2 hit fraction', example: '0.3,0.4,0.45' },
  { path: 'timeSlice', label: 'Time slice', example: '5,10,20' },
  { path: 'seed', label: 'Seed (repeats)', example: '1,2,3,4,5' },
];

/** "1,2,4" or "0.5:1:6" (from:to:steps) into numbers; null when it does not parse. */
export function parseValues(text: string): number[] | null {
  const trimmed = text.trim();
  const range = /^(-?[\d.]+)\s*:\s*(-?[\d.]+)\s*:\s*(\d+)$/.exec(trimmed);
  if (range) {
    const [from, to, steps] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (!Number.isFinite(from) || !Number.isFinite(to) || steps < 1 || steps > 10_000) return null;
    return steps === 1 ? [from] : Array.from({ length: steps }, (_, k) => from + ((to - from) * k) / (steps - 1));
  }
  const values = trimmed.split(/[\s,;]+/).filter(Boolean).map(Number);
  return values.length > 0 && values.every(Number.isFinite) ? values : null;
}

export function fmt(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return Number(value.toPrecision(digits)).toLocaleString(undefined, { maximumFractionDigits: 6 });
}

export function pct(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${(value * 100).toFixed(digits)}%`;
}
