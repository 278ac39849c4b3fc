import { readFile } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { compileSchema, describeSchemaError, jsonPathOf } from '../runtime/index.js';
import { MeasuredBusParametersSchema } from './bus/measured-schema.js';

const Fraction = (description: string, extra: object = {}) => Type.Number({ minimum: 0, maximum: 1, description, ...extra });

export const PhaseSchema = Type.Object({
  work: Type.Number({ exclusiveMinimum: 0, description: 'Work in this phase, in milliseconds the thread needs running alone on an uncontended reference bus (scenario time is in ms).' }),
  busDemand: Fraction('Share of the bus the thread uses while in this phase (0.1 = 10%).'),
}, { additionalProperties: false });

export const ThreadSchema = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 100 })),
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, description: 'Higher runs first (default 0).' })),
  work: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Total work when the thread has a single phase.' })),
  busDemand: Type.Optional(Fraction('Bus demand when the thread has a single phase.')),
  phases: Type.Optional(Type.Array(PhaseSchema, { minItems: 1, maxItems: 64, description: 'Phases of different bus demand, run in order.' })),
  ioBound: Type.Optional(Type.Boolean({ description: 'I/O-bound work may use the bandwidth AutoPilot reserves for it.' })),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Copies of this thread (default 1).' })),
  arrival: Type.Optional(Type.Number({ minimum: 0, description: 'Time the thread becomes runnable (default 0).' })),
}, { additionalProperties: false });

export const GenerateSchema = Type.Object({
  count: Type.Integer({ minimum: 1, maximum: 100_000 }),
  busDemand: Type.Tuple([Fraction('lowest'), Fraction('highest')], { description: 'Bus demand drawn uniformly from [low, high].' }),
  work: Type.Tuple([Type.Number({ exclusiveMinimum: 0 }), Type.Number({ exclusiveMinimum: 0 })], { description: 'Work drawn uniformly from [low, high].' }),
  priorities: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, description: 'Priorities drawn from 0..priorities−1 (default 1).' })),
  ioBoundFraction: Type.Optional(Fraction('Share of generated threads marked I/O-bound.')),
  phaseChangeEvery: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Split work into phases of this length with fresh bus demand each.' })),
}, { additionalProperties: false });

export const AutoPilotSchema = Type.Object({
  threshold: Type.Optional(Type.Number({ minimum: 0.01, maximum: 2, description: 'Saturation threshold: bus commitment AutoPilot keeps below (default 0.9).' })),
  idleWhenNoFit: Type.Optional(Type.Boolean({ description: 'Idle a CPU when no thread fits (true, default) or run the best candidate (false).' })),
  adjustRate: Type.Optional(Fraction('Rate at which a thread\'s measured bus load moves its estimate after each slice (default 0.25).')),
  ioReserve: Type.Optional(Fraction('Bandwidth reserved for I/O-bound threads: other threads must fit under threshold − ioReserve (default 0).')),
  starvationBound: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Times a ready thread may be passed over before nothing else is dispatched ahead of it (default 8).' })),
  searchAllPriorities: Type.Optional(Type.Boolean({ description: 'Look below the best priority for a thread that fits (default false, as the document).' })),
  variant: Type.Optional(Type.Union([Type.Literal('document'), Type.Literal('projected')], {
    description: '"document" (default): dispatch like the standard scheduler while the monitored bus utilisation is under the threshold, the best-fitting thread at or over it. "projected": Headroom\'s own variant, the first thread whose projected commitment fits, on every decision.',
  })),
  monitorPeriod: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Sample period of the bus performance monitor, ms (default 1).' })),
  initialEstimate: Type.Optional(Fraction('Estimated bus demand of a thread not yet measured (default: referenceBusDemand). The projected variant starts from the true demand instead.')),
}, { additionalProperties: false });

export const BusLawSchema = Type.Union([Type.Literal('document'), Type.Literal('queueing'), Type.Literal('measured')], {
  description: 'Bus law: "document" (the document\'s empirical Table 2 law, default), "queueing" (a mechanistic FCFS bus, solved by exact MVA) or "measured" (the queueing law with parameters from `headroom smp probe`, given in measuredBus).',
});

export const QueueingParametersSchema = Type.Object({
  serviceCycles: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'CPU cycles one transaction holds the reference bus (default: one main-memory access, memoryBusCycles / busClockRatio).' })),
  arbitrationCycles: Type.Optional(Type.Number({ minimum: 0, description: 'Cycles added to every transaction while two or more bus masters share the bus (default 0).' })),
  retryCycles: Type.Optional(Type.Number({ minimum: 0, description: 'Cycles a transaction wastes when it finds the bus busy and is retried (default 0; solved approximately).' })),
  arbitration: Type.Optional(Type.Union([Type.Literal('fcfs'), Type.Literal('round-robin')], { description: 'Order waiting transactions get the bus (default fcfs).' })),
}, { additionalProperties: false });

export const ScenarioSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  description: Type.Optional(Type.String({ maxLength: 10_000 })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295, description: 'Seed for generated threads and monitor noise (default 1).' })),
  cpus: Type.Integer({ minimum: 1, maximum: 1024 }),
  busBandwidth: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'Bus bandwidth relative to the reference bus (default 1).' })),
  ioLoad: Type.Optional(Fraction('Background I/O load as a share of the reference bus (default 0).')),
  timeSlice: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Time a thread runs before the dispatcher picks again, ms (default 10, the usual quantum).' })),
  horizon: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Stop at this time instead of when all threads finish.' })),
  referenceBusDemand: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Bus demand of the analytic model\'s reference CPU (default 0.1).' })),
  hierarchy: Type.Optional(Type.Object({
    l1HitFraction: Type.Optional(Fraction('L1 hit fraction')),
    l1Cycles: Type.Optional(Type.Number({ minimum: 0 })),
    l2HitFraction: Type.Optional(Fraction('L2 hit fraction')),
    l2Cycles: Type.Optional(Type.Number({ minimum: 0 })),
    memoryBusCycles: Type.Optional(Type.Number({ minimum: 0 })),
    busClockRatio: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  }, { additionalProperties: false })),
  monitorNoise: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Relative standard deviation of the bus monitor\'s per-slice measurement (default 0).' })),
  bus: Type.Optional(BusLawSchema),
  queueing: Type.Optional(QueueingParametersSchema),
  measuredBus: Type.Optional(MeasuredBusParametersSchema),
  clockGHz: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 20, description: 'Core clock that turns measuredBus nanoseconds into cycles (default 3 GHz).' })),
  threads: Type.Optional(Type.Array(ThreadSchema, { maxItems: 100_000 })),
  generate: Type.Optional(GenerateSchema),
  autopilot: Type.Optional(AutoPilotSchema),
  oracle: Type.Optional(Type.Object({
    maxThreads: Type.Optional(Type.Integer({ minimum: 0, maximum: 16, description: 'Run the exhaustive oracle when there are at most this many threads (default 10).' })),
  }, { additionalProperties: false })),
}, { additionalProperties: false });

export type Scenario = Static<typeof ScenarioSchema>;
export type ThreadSpec = Static<typeof ThreadSchema>;
export type AutoPilotTunables = Static<typeof AutoPilotSchema>;

/** A scenario problem the user can fix: names the file and the JSON path. */
export class ScenarioError extends Error {
  constructor(readonly file: string, readonly where: string, readonly detail: string) {
    super(`${file}${where ? ` at ${where}` : ''}: ${detail}`);
    this.name = 'ScenarioError';
  }
}

const validate = compileSchema(ScenarioSchema);

/** Validate a parsed scenario; `file` names where it came from in error messages. */
export function validateScenario(value: unknown, file = 'scenario'): Scenario {
  if (!validate(value)) {
    const error = (validate.errors ?? [])[0];
    if (!error) throw new ScenarioError(file, '$', 'does not match the scenario schema');
    const path = jsonPathOf(error.instancePath);
    throw new ScenarioError(file, path, describeSchemaError(error).slice(path.length + 2));
  }
  const s = value;
  (s.threads ?? []).forEach((t, i) => {
    const where = `$.threads[${i}]`;
    if (t.phases === undefined && (t.work === undefined || t.busDemand === undefined)) {
      throw new ScenarioError(file, where, 'a thread needs either "phases" or both "work" and "busDemand"');
    }
    if (t.phases !== undefined && (t.work !== undefined || t.busDemand !== undefined)) {
      throw new ScenarioError(file, where, 'give "phases" or "work" with "busDemand", not both');
    }
  });
  if ((s.threads ?? []).length === 0 && s.generate === undefined) {
    throw new ScenarioError(file, '$', 'a scenario needs "threads" or "generate"');
  }
  if (s.generate) {
    if (s.generate.busDemand[0] > s.generate.busDemand[1]) throw new ScenarioError(file, '$.generate.busDemand', 'low is above high');
    if (s.generate.work[0] > s.generate.work[1]) throw new ScenarioError(file, '$.generate.work', 'low is above high');
  }
  if (s.bus === 'measured' && s.measuredBus === undefined) {
    throw new ScenarioError(file, '$.measuredBus', 'the measured bus law needs "measuredBus" (the record `headroom smp probe` saves)');
  }
  const h = s.hierarchy;
  if (h && (h.l1HitFraction ?? 0.5) + (h.l2HitFraction ?? 0.4) > 1) {
    throw new ScenarioError(file, '$.hierarchy', 'l1HitFraction + l2HitFraction exceeds 1');
  }
  return s;
}

export function parseScenario(text: string, file = 'scenario'): Scenario {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(file, '', `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return validateScenario(value, file);
}

export async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, '', `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseScenario(text, file);
}
