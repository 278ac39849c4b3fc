import type { Resolution, SlaStore } from '../sla/index.js';
import { exhaustion, fitGrowth, MIN_POINTS, trendAt, type Exhaustion, type GrowthTrend } from './growth.js';
import { fitIntervalModel, heldOutError, loadAtTarget, MIN_INTERVALS, type HeldOut, type IntervalMeasure, type IntervalModel } from './interval-model.js';
import { lunIntervals, openSlaDatabase, selectLuns, type LunInterval, type LunRef } from './intervals.js';
import type { Estimate, FitRefusal } from './model.js';
import { classHeadroomOfLun, storedPolicy, type LunClassHeadroom, type PolicySource } from './class-headroom.js';

/** What the fit and the forecast from an SLA database say about one LUN (plain data: JSON, the view, the report). */

export type PublicModel = Omit<IntervalModel, 'line'>;

export interface LunHeadroom {
  targetMs: number;
  measure: IntervalMeasure;
  loadAtTargetIops: Estimate;
  peakIops: number;
  /** (load at target ÷ peak − 1) × 100. */
  headroomPercent: Estimate;
}

/** Each LUN's fit and forecast carry the headroom of every class on it (classPolicy, classes, protection). */
export interface LunFit extends LunClassHeadroom {
  gatewayId: string;
  lun: string;
  resolution: Resolution;
  intervals: number;
  model: PublicModel | FitRefusal;
  heldOut: HeldOut | FitRefusal | null;
  headroom: LunHeadroom | null;
}

export interface DatabaseQuery {
  lun?: string;
  gatewayId?: string;
  measure?: IntervalMeasure;
  /** Default: the finest resolution with enough intervals. */
  resolution?: Resolution;
  targetMs?: number;
  confidence?: number;
  /** Where class targets, priorities and floors come from; default: the newest policy stored in the database. */
  policy?: PolicySource;
  /** How far ahead the per-class exhaustion dates are looked for (default 365). */
  days?: number;
  onLun?: (done: number, total: number, label: string) => void;
}

const publicModel = (m: IntervalModel | FitRefusal): PublicModel | FitRefusal => {
  if (!m.fitted) return m;
  const { line: _line, ...rest } = m;
  return rest;
};

function pickResolution(read: (r: Resolution) => LunInterval[], order: readonly Resolution[], needed: number): { resolution: Resolution; intervals: LunInterval[] } {
  let best: { resolution: Resolution; intervals: LunInterval[] } | null = null;
  for (const resolution of order) {
    const intervals = read(resolution);
    if (intervals.length >= needed) return { resolution, intervals };
    if (!best || intervals.length > best.intervals.length) best = { resolution, intervals };
  }
  return best!;
}

function headroomOf(model: IntervalModel, targetMs: number): LunHeadroom {
  const load = loadAtTarget(model, targetMs);
  const pct = (x: number): number => (x / model.peakIops - 1) * 100;
  return { targetMs, measure: model.measure, loadAtTargetIops: load, peakIops: model.peakIops, headroomPercent: { value: pct(load.value), low: pct(load.low), high: pct(load.high) } };
}

function fitLun(read: (r: Resolution) => LunInterval[], ref: LunRef, q: DatabaseQuery): { fit: Omit<LunFit, keyof LunClassHeadroom>; model: IntervalModel | FitRefusal; intervals: LunInterval[] } {
  const measure = q.measure ?? 'p50';
  const { resolution, intervals } = q.resolution
    ? { resolution: q.resolution, intervals: read(q.resolution) }
    : pickResolution(read, ['raw', 'minute', 'hour'], MIN_INTERVALS);
  const model = fitIntervalModel(intervals, measure, q.confidence);
  return {
    model,
    intervals,
    fit: {
      gatewayId: ref.gatewayId, lun: ref.lun, resolution, intervals: intervals.length,
      model: publicModel(model),
      heldOut: model.fitted ? heldOutError(intervals, measure, q.confidence) : null,
      headroom: model.fitted && q.targetMs !== undefined ? headroomOf(model, q.targetMs) : null,
    },
  };
}

/** The LUN's total demand over time (hourly rollups first) and its trend. */
function demandTrend(read: (r: Resolution) => LunInterval[], confidence?: number): { resolution: Resolution; intervals: LunInterval[]; trend: GrowthTrend | FitRefusal } {
  const { resolution, intervals } = pickResolution(read, ['hour', 'minute', 'raw'], MIN_POINTS);
  return { resolution, intervals, trend: fitGrowth(intervals.map((x) => ({ t: x.t, iops: x.iops })), confidence) };
}

function classesOfLun(store: SlaStore, ref: LunRef, fitted: ReturnType<typeof fitLun>, demand: ReturnType<typeof demandTrend>, policy: PolicySource | FitRefusal, q: DatabaseQuery): LunClassHeadroom {
  return classHeadroomOfLun({
    store, ref, resolution: fitted.fit.resolution, lunIntervals: fitted.intervals, lunModel: fitted.model,
    trendResolution: demand.resolution, lunTrend: demand.trend, policy, days: q.days ?? 365, confidence: q.confidence ?? 0.95,
  });
}

const checkedDays = (days: number | undefined): number => {
  const d = days ?? 365;
  if (!(d > 0 && d <= 3650)) throw new Error(`--days: between 1 and 3650 (got ${d})`);
  return d;
};

/** `storage fit --db`: the load–latency model of each selected LUN, its held-out error, headroom at a target, and headroom per class. */
export function fitFromDatabase(file: string, q: DatabaseQuery = {}): LunFit[] {
  checkedDays(q.days);
  const store = openSlaDatabase(file);
  try {
    const refs = selectLuns(store, file, q.lun, q.gatewayId);
    const policy = q.policy ?? storedPolicy(store, file);
    return refs.map((ref, i) => {
      q.onLun?.(i, refs.length, `${ref.gatewayId}/${ref.lun}`);
      const read = (r: Resolution): LunInterval[] => lunIntervals(store, ref, r);
      const fitted = fitLun(read, ref, q);
      return { ...fitted.fit, ...classesOfLun(store, ref, fitted, demandTrend(read, q.confidence), policy, q) };
    });
  } finally {
    store.close();
  }
}

export interface LunForecast extends LunClassHeadroom {
  gatewayId: string;
  lun: string;
  resolution: Resolution;
  points: number;
  demand: Omit<GrowthTrend, 'line'> | FitRefusal;
  /** What the demand runs into: the load at the target when one is given, else the capacity. */
  limit: { kind: 'capacity' | 'target'; iops: Estimate; source: string } | FitRefusal;
  exhaustion: Exhaustion | null;
  /** The trend, for charts: the stored demand and the trend with its band at each day ahead. */
  history: { t: number; iops: number }[];
  projection: { t: number; iops: number; low: number; high: number }[];
}

export interface ForecastQuery extends DatabaseQuery {
  /** A capacity to use instead of the one fitted from the intervals. */
  capacityIops?: number;
  /** False: leave out the headroom per class (a caller that has it from fitFromDatabase already). */
  classes?: boolean;
}

const NOT_ASKED: LunClassHeadroom = {
  classPolicy: { fitted: false, reason: 'headroom per class not asked for' }, classes: [], protection: { fitted: false, reason: 'headroom per class not asked for' },
};

/** `storage forecast`: each LUN's demand trend and when it meets its capacity (or its load at a latency target). */
export function forecastFromDatabase(file: string, q: ForecastQuery = {}): LunForecast[] {
  const days = checkedDays(q.days);
  const store = openSlaDatabase(file);
  try {
    const refs = selectLuns(store, file, q.lun, q.gatewayId);
    const policy = q.classes === false ? null : q.policy ?? storedPolicy(store, file);
    return refs.map((ref, i) => {
      q.onLun?.(i, refs.length, `${ref.gatewayId}/${ref.lun}`);
      const read = (r: Resolution): LunInterval[] => lunIntervals(store, ref, r);
      const demand = demandTrend(read, q.confidence);
      const { resolution, intervals, trend } = demand;
      const fitted = fitLun(read, ref, q);
      let limit: LunForecast['limit'];
      if (q.capacityIops !== undefined) {
        limit = { kind: 'capacity', iops: { value: q.capacityIops, low: q.capacityIops, high: q.capacityIops }, source: '--capacity-iops' };
      } else {
        const { model } = fitted;
        if (!model.fitted) limit = { fitted: false, reason: `capacity: ${model.reason}` };
        else if (q.targetMs !== undefined) limit = { kind: 'target', iops: loadAtTarget(model, q.targetMs), source: `${model.measure} ≤ ${q.targetMs} ms, fitted from ${model.intervals} intervals` };
        else limit = { kind: 'capacity', iops: model.capacityIops, source: `fitted from ${model.intervals} intervals` };
      }
      const ex = trend.fitted && !('fitted' in limit) ? exhaustion(trend, limit.iops, days) : null;
      const projection: LunForecast['projection'] = [];
      if (trend.fitted) {
        const start = (trend.to - trend.origin) / 86_400_000;
        // Charts look as far as the band's end, or as far ahead as the history reaches back when the limit is not met or unknown.
        const span = start;
        const ahead = ex?.latest != null ? (ex.latest - trend.to) / 86_400_000 + 0.1 * span : ex?.at != null ? (ex.at - trend.to) / 86_400_000 + 0.2 * span : span;
        const end = start + Math.min(days, Math.max(1, ahead));
        const steps = 60;
        for (let k = 0; k <= steps; k++) {
          const d = start + ((end - start) * k) / steps;
          const e = trendAt(trend, d);
          projection.push({ t: trend.origin + d * 86_400_000, iops: e.value, low: e.low, high: e.high });
        }
      }
      return {
        gatewayId: ref.gatewayId, lun: ref.lun, resolution, points: intervals.length,
        demand: trend.fitted ? (({ line: _line, ...rest }) => rest)(trend) : trend,
        limit, exhaustion: ex,
        history: intervals.map((x) => ({ t: x.t, iops: x.iops })),
        projection,
        ...(policy === null ? NOT_ASKED : classesOfLun(store, ref, fitted, demand, policy, q)),
      };
    });
  } finally {
    store.close();
  }
}
