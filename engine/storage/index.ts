export { runProbe, parseFioStep, parseBlockSize, PROBE_DEPTHS, type ProbeOptions, type ProbeResult, type ProbeStep, type ProbeMode, type LatencyPercentiles } from './probe.js';
export {
  fitStorageModel, headroomAt, MIN_STEPS, MIN_SATURATED_STEPS, SATURATED_SHARE, REACHED_SHARE,
  type StorageModel, type FitRefusal, type Estimate, type LatencyMeasure, type Headroom, type HeadroomQuery,
} from './model.js';
export { fitLine, crossing, type LineFit } from './regression.js';
export { openSlaDatabase, storedLuns, selectLuns, lunIntervals, lunClasses, classIntervals, type LunInterval, type LunRef, type ClassInterval, type StoredClass } from './intervals.js';
export {
  fitIntervalModel, heldOutError, loadAtTarget, predictLatencyMs, meanServiceMs, MIN_INTERVALS, MIN_UTILISATION, TRAIN_SHARE,
  type IntervalModel, type IntervalMeasure, type HeldOut,
} from './interval-model.js';
export { fitGrowth, trendAt, exhaustion, MIN_POINTS, type GrowthTrend, type Exhaustion, type DemandPoint, type TrendKind } from './growth.js';
export {
  fitFromDatabase, forecastFromDatabase,
  type LunFit, type LunForecast, type LunHeadroom, type DatabaseQuery, type ForecastQuery, type PublicModel,
} from './database.js';
export { protectionNeeds, type ProtectionQuery, type ProtectionResult, type ClassOutcome, type ClassDemand } from './protection.js';
export { StorageProbeResultSchema, StorageProbesSchema, withStorageProbe, type SavedStorageProbe } from './schema.js';
export { saveStorageProbe } from './save.js';
export { storageHeadroomView, probeView, lunView, thin, MAX_POINTS, type StorageHeadroomView, type ProbeView, type LunView, type ClassView } from './headroom-view.js';
export {
  classHeadroomOfLun, storedPolicy, verdictOf, classLabel,
  type ClassHeadroom, type ClassLoadAtTarget, type LunClassHeadroom, type LunProtection, type PolicySource, type PublicTrend,
} from './class-headroom.js';
export { writeProbeToDatabase, storedStorageProbes, readStoredProbes, probedLun, type StoredStorageProbe } from './probe-db.js';
