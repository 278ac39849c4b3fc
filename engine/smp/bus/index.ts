export { busLawIds, busLawLabels, whyLawsDiffer, type BusLaw, type BusLawId } from './law.js';
export { DocumentBusLaw, type BusMachine } from './document-law.js';
export { QueueingBusLaw, type QueueingMachine } from './queueing-law.js';
export { exactMva, schweitzerMva, convolutionThroughput, EXACT_MVA_MAX_CLASSES, type ClosedBus } from './mva.js';
export { queueingParametersFromMeasurement, DEFAULT_CLOCK_GHZ, type QueueingBusParameters, type Arbitration } from './queueing-parameters.js';
export { runTransactions, type TransactionRunResult } from './transaction-des.js';
export { createBusLaw, type BusSettings } from './create.js';
export type { MeasuredBusParameters } from './measured-parameters.js';
export { MeasuredBusParametersSchema } from './measured-schema.js';
