export { runBusProbe, threadCounts, DEFAULT_DELAYS, LINE_BYTES, type BusProbeOptions, type BusProbeResult, type BusProbeProgress, type LoadedPoint } from './run.js';
export { fitBusParameters, PROBE_MODEL, type BusProbeFit, type FitInput } from './fit.js';
export { lastLevelCache, parseCacheSize, DEFAULT_LLC_BYTES, type LastLevelCache } from './llc.js';
export { buildChain, WORDS_PER_LINE } from './chain.js';
export { BusProbeResultSchema, BusProbesSchema, nextProbeId, withBusProbe, type SavedBusProbe } from './schema.js';
export { saveBusProbe } from './save.js';
export { measuredBusOfProbe, scenarioOnProbe, probeOfScenario, probeErrors, measuredLawCurve, probeLabel, UNSAVED_WORKSPACE, type ProbeErrorRow } from './measured-bus.js';
