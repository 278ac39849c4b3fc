import { Type, type Static } from '@sinclair/typebox';
import type { MeasuredBusParameters } from './measured-parameters.js';

/** MeasuredBusParameters as a JSON schema, for scenarios that carry a probe's record inline. */
export const MeasuredBusParametersSchema = Type.Object({
  idleLatencyNs: Type.Number({ minimum: 0, description: 'Unloaded memory latency, ns.' }),
  lineBytes: Type.Number({ exclusiveMinimum: 0, description: 'Bytes one bus transaction moves.' }),
  peakBandwidthBytesPerSec: Type.Number({ exclusiveMinimum: 0 }),
  transactionServiceNs: Type.Number({ exclusiveMinimum: 0, description: 'Bus occupancy per transaction, ns (lineBytes / peak).' }),
  arbitrationNs: Type.Number({ minimum: 0, description: 'Extra cost per transaction once the bus is contended, ns.' }),
  fitRmsErrorNs: Type.Number({ minimum: 0 }),
  hardwareThreads: Type.Integer({ minimum: 1 }),
}, { additionalProperties: false, description: 'The queueing bus\'s parameters as `headroom smp probe` fitted them.' });

// The schema and the probe's type must describe the same record: each must be assignable to the other.
type SchemaRecord = Static<typeof MeasuredBusParametersSchema>;
const sameShape: [SchemaRecord extends MeasuredBusParameters ? true : false, MeasuredBusParameters extends SchemaRecord ? true : false] = [true, true];
void sameShape;
