export { runProbe, parseFioStep, parseBlockSize, PROBE_DEPTHS, type ProbeOptions, type ProbeResult, type ProbeStep, type ProbeMode, type LatencyPercentiles } from './probe.js';
export {
  fitStorageModel, headroomAt, MIN_STEPS, MIN_SATURATED_STEPS, SATURATED_SHARE, REACHED_SHARE,
  type StorageModel, type FitRefusal, type Estimate, type LatencyMeasure, type Headroom, type HeadroomQuery,
} from './model.js';
