export { fitUsl, uslThroughput, UslInputError, USL_MIN_POINTS, type UslFit, type ThroughputPoint, type Interval } from './usl.js';
export { parseThroughputCsv } from './csv-points.js';
export { mean, stddev, percentile, studentTCdf, studentTQuantile, invertMatrix } from './stats.js';
