import type { Resolution } from '../sla/index.js';
import type { Workspace } from '../workspace/schema.js';
import { fitFromDatabase, forecastFromDatabase, type LunFit, type LunForecast } from './database.js';
import type { Exhaustion } from './growth.js';
import type { IntervalMeasure } from './interval-model.js';
import { classIntervals, lunClasses, lunIntervals, openSlaDatabase, type LunInterval } from './intervals.js';
import { ACTIVE_IOPS, type SlaStore } from '../sla/index.js';
import { fitStorageModel, type Estimate, type FitRefusal, type StorageModel } from './model.js';
import type { ProbeStep } from './probe.js';
import type { SavedStorageProbe } from './schema.js';
import type { ClassHeadroom, LunClassHeadroom } from './class-headroom.js';

/**
 * What the Headroom view shows, computed as the report's storage section and the CLI's storage fit
 * and forecast do: every saved probe refitted from its steps, and per LUN of the workspace's SLA
 * database its capacity, today's demand, the headroom between them and when growth closes it.
 * A part that cannot be computed says why in its place; the rest still shows.
 */
export interface ProbeView {
  id: string;
  uri: string;
  bs: string;
  rw: SavedStorageProbe['result']['rw'];
  startedAt: string;
  complete: boolean;
  steps: ProbeStep[];
  model: StorageModel | FitRefusal;
}

/** A class's headroom on the LUN and, when its percentile was fitted, that curve up to a little past its target. */
export interface ClassView extends ClassHeadroom {
  /** The class's target percentile in each interval against the LUN's total IOPS (thinned to MAX_CLASS_POINTS), and its fit. */
  measured: Array<{ iops: number; latencyMs: number }>;
  curve: Array<{ iops: number; latencyMs: number }>;
}

export interface LunView {
  gatewayId: string;
  lun: string;
  resolution: Resolution;
  intervals: number;
  /** The queue fitted to the intervals, latency = S / (1 − IOPS/C), or why there is none. */
  capacity: { iops: Estimate; unloadedMs: Estimate; measure: IntervalMeasure; peakIops: number; peakUtilisation: number } | FitRefusal;
  heldOut: { medianAbsErrorPercent: number; p90AbsErrorPercent: number; testIntervals: number } | FitRefusal | null;
  /** Stored intervals (evenly thinned to at most MAX_POINTS) and the fitted curve, for the load–latency chart. */
  measured: Array<{ iops: number; latencyMs: number }>;
  curve: Array<{ iops: number; latencyMs: number }>;
  /** Today's demand: the trend's IOPS at the last stored point. */
  demandIops: number | null;
  /** (capacity ÷ demand − 1) × 100. */
  headroomPercent: number | null;
  forecast: {
    kind: 'linear' | 'exponential';
    rate: Estimate;
    rateUnit: 'iops/day' | '%/day';
    history: LunForecast['history'];
    projection: LunForecast['projection'];
    exhaustion: Exhaustion | null;
  } | FitRefusal;
  /** Headroom per class on this LUN (targets from the policy stored in the database), and the protection run. */
  classPolicy: LunClassHeadroom['classPolicy'];
  classes: ClassView[];
  protection: LunClassHeadroom['protection'];
}

export interface StorageHeadroomView {
  probes: ProbeView[];
  /** Null when the workspace names no SLA database. */
  database: { file: string; error: string | null; luns: LunView[] } | null;
}

export const MAX_POINTS = 2000;
export const MAX_CLASS_POINTS = 500;
const CURVE_POINTS = 80;

/** At most `max` of `xs`, evenly spaced, in order. */
export const thin = <T>(xs: readonly T[], max: number): T[] => (xs.length <= max ? [...xs] : Array.from({ length: max }, (_, k) => xs[Math.floor((k * xs.length) / max)]!));
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const latencyOf = (i: LunInterval, m: IntervalMeasure): number => (m === 'p50' ? i.p50Ms : m === 'p95' ? i.p95Ms : i.p99Ms);

export function probeView(p: SavedStorageProbe): ProbeView {
  const r = p.result;
  return { id: p.id, uri: r.uri, bs: r.bs, rw: r.rw, startedAt: r.startedAt, complete: r.complete, steps: r.steps, model: fitStorageModel(r.steps, r.blockBytes) };
}

/** The class's fitted percentile, S_q / (1 − X/C_q), until it is half again over its target (or near C_q). */
function classView(c: ClassHeadroom, store: SlaStore, fit: LunFit, ids: ReadonlyMap<string, number>): ClassView {
  const h = 'fitted' in c.headroom ? null : c.headroom;
  const curve: ClassView['curve'] = [];
  let measured: ClassView['measured'] = [];
  const id = ids.get(c.className);
  if (h && id !== undefined) {
    const intervals = classIntervals(store, fit, id, fit.resolution).filter((i) => i.classIops >= ACTIVE_IOPS);
    measured = thin(intervals, MAX_CLASS_POINTS).map((i) => ({ iops: i.iops, latencyMs: latencyOf(i, h.percentile) })).filter((p) => p.latencyMs > 0);
  }
  if (h) {
    const cap = h.capacityIops.value;
    const s = h.unloadedMs.value;
    const end = Math.min(0.95 * cap, cap * (1 - s / (1.5 * h.targetMs)));
    for (let k = 0; k <= CURVE_POINTS && end > 0; k++) {
      const x = (end * k) / CURVE_POINTS;
      curve.push({ iops: x, latencyMs: s / (1 - x / cap) });
    }
  }
  return { ...c, measured, curve };
}

/** One LUN as the view and the report's load–latency chart show it (opens the database to read its intervals). */
export function lunView(file: string, fit: LunFit, forecast: LunForecast | undefined): LunView {
  const m = fit.model;
  const capacity: LunView['capacity'] = m.fitted
    ? { iops: m.capacityIops, unloadedMs: m.unloadedMs, measure: m.measure, peakIops: m.peakIops, peakUtilisation: m.peakUtilisation }
    : { fitted: false, reason: m.reason };
  let measured: LunView['measured'] = [];
  const curve: LunView['curve'] = [];
  const store = openSlaDatabase(file);
  let classes: ClassView[];
  try {
    if (m.fitted) measured = thin(lunIntervals(store, fit, fit.resolution), MAX_POINTS).map((i) => ({ iops: i.iops, latencyMs: latencyOf(i, m.measure) }));
    const ids = new Map(lunClasses(store, fit).map((c) => [c.name, c.id]));
    classes = fit.classes.map((c) => classView(c, store, fit, ids));
  } finally {
    store.close();
  }
  if (m.fitted) {
    // Up to 95% of capacity: the curve goes to infinity at C.
    for (let k = 0; k <= CURVE_POINTS; k++) {
      const x = (0.95 * m.capacityIops.value * k) / CURVE_POINTS;
      curve.push({ iops: x, latencyMs: m.unloadedMs.value / (1 - x / m.capacityIops.value) });
    }
  }
  const h = fit.heldOut;
  const heldOut: LunView['heldOut'] = h === null ? null : 'trainIntervals' in h
    ? { medianAbsErrorPercent: h.medianAbsErrorPercent, p90AbsErrorPercent: h.p90AbsErrorPercent, testIntervals: h.testIntervals }
    : { fitted: false, reason: h.reason };
  const d = forecast?.demand;
  const demandIops = d?.fitted ? d.currentIops.value : null;
  return {
    gatewayId: fit.gatewayId, lun: fit.lun, resolution: fit.resolution, intervals: fit.intervals,
    capacity, heldOut, measured, curve, demandIops,
    headroomPercent: m.fitted && demandIops !== null && demandIops > 0 ? (m.capacityIops.value / demandIops - 1) * 100 : null,
    forecast: !forecast || !d ? { fitted: false, reason: 'no demand stored for this LUN' }
      : !d.fitted ? d
      : { kind: d.kind, rate: d.rate, rateUnit: d.rateUnit, history: thin(forecast.history, MAX_POINTS), projection: forecast.projection, exhaustion: forecast.exhaustion },
    classPolicy: fit.classPolicy,
    classes,
    protection: fit.protection,
  };
}

/** `dbFile` is the workspace's SLA database as the engine may read it (already authorised), or null. */
export function storageHeadroomView(workspace: Workspace, dbFile: string | null): StorageHeadroomView {
  const probes = (workspace.storageProbes ?? []).map(probeView);
  if (dbFile === null) return { probes, database: null };
  try {
    const fits = fitFromDatabase(dbFile);
    const forecasts = forecastFromDatabase(dbFile, { classes: false });
    const key = (x: { gatewayId: string; lun: string }): string => `${x.gatewayId}\u0000${x.lun}`;
    const byLun = new Map(forecasts.map((f) => [key(f), f]));
    return { probes, database: { file: dbFile, error: null, luns: fits.map((f) => lunView(dbFile, f, byLun.get(key(f)))) } };
  } catch (err) {
    return { probes, database: { file: dbFile, error: message(err), luns: [] } };
  }
}
