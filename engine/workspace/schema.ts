import { Type, type Static } from '@sinclair/typebox';
import { ScenarioSchema } from '../smp/scenario-schema.js';
import { BusProbesSchema } from '../smp/probe/schema.js';
import { StorageProbesSchema } from '../storage/schema.js';

/**
 * The workspace format. One schema serves the engine's validator, the renderer's forms and,
 * later, the Monaco editor. Sections added by later features are optional properties, so an
 * older workspace stays valid; an incompatible change raises `schemaVersion`.
 */
export const WORKSPACE_SCHEMA_VERSION = 1;

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
const Title = Type.String({ minLength: 1, maxLength: 200 });
const Stamp = Type.String({ format: 'date-time' });
const Cell = Type.Union([Type.Number(), Type.String(), Type.Null()]);

/** Key figures of a scenario's last run. The full result is not stored: runs are deterministic per seed. */
const RunSummarySchema = Type.Object({
  ranAt: Stamp,
  headroomVersion: Type.String({ maxLength: 64 }),
  standardThroughput: Type.Number(),
  autopilotThroughput: Type.Number(),
  autopilotVsStandard: Type.Number(),
  autopilotVsOracle: Type.Union([Type.Number(), Type.Null()]),
  standardMakespan: Type.Union([Type.Number(), Type.Null()]),
  autopilotMakespan: Type.Union([Type.Number(), Type.Null()]),
}, { additionalProperties: false });

export const SmpSectionSchema = Type.Object({
  analytic: Type.Object({
    busDemand: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Share of time each CPU uses the bus (Table 2: 0.1).' }),
    ioLoad: Type.Number({ minimum: 0, maximum: 0.99, description: 'Background I/O load on the bus for Figures 10C/10D (0.03 = 3%).' }),
    maxCpus: Type.Integer({ minimum: 1, maximum: 256 }),
    bus: Type.Optional(Type.Union([Type.Literal('document'), Type.Literal('queueing')], { description: 'Law the What-if view leads with; both are always drawn (default document).' })),
    hierarchy: Type.Object({
      l1HitFraction: Type.Number({ minimum: 0, maximum: 1 }),
      l1Cycles: Type.Number({ minimum: 0 }),
      l2HitFraction: Type.Number({ minimum: 0, maximum: 1 }),
      l2Cycles: Type.Number({ minimum: 0 }),
      memoryBusCycles: Type.Number({ minimum: 0 }),
      busClockRatio: Type.Number({ exclusiveMinimum: 0 }),
    }, { additionalProperties: false }),
  }, { additionalProperties: false }),
  scenarios: Type.Array(Type.Object({ id: Id, scenario: ScenarioSchema, lastRun: Type.Optional(RunSummarySchema) }, { additionalProperties: false }), { maxItems: 500 }),
  sweeps: Type.Array(Type.Object({
    id: Id,
    name: Title,
    scenarioId: Id,
    axes: Type.Array(Type.Object({ path: Type.String({ minLength: 1, maxLength: 200 }), values: Type.Array(Type.Number(), { minItems: 1, maxItems: 10_000 }) }, { additionalProperties: false }), { minItems: 1, maxItems: 2 }),
    rows: Type.Optional(Type.Array(Type.Record(Type.String(), Cell), { maxItems: 100_000 })),
    ranAt: Type.Optional(Stamp),
  }, { additionalProperties: false }), { maxItems: 200 }),
  gainSuite: Type.Optional(Type.Object({
    count: Type.Integer({ minimum: 1, maximum: 100_000, description: 'Random workloads the report\'s AutoPilot-gain table runs (default 100; the README\'s table is 1,000).' }),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })),
  }, { additionalProperties: false })),
  uslSeries: Type.Array(Type.Object({
    id: Id,
    name: Title,
    source: Type.String({ maxLength: 500, description: 'Where the points came from (a sweep, a measurement, pasted data).' }),
    throughputLabel: Type.Optional(Type.String({ maxLength: 100, description: 'What the throughput column measures, e.g. IOPS (a pasted header names it).' })),
    points: Type.Array(Type.Object({ n: Type.Number(), throughput: Type.Number() }, { additionalProperties: false }), { maxItems: 10_000 }),
  }, { additionalProperties: false }), { maxItems: 200 }),
}, { additionalProperties: false, description: 'SMP bus model, AutoPilot scenarios, sweeps and USL series (the What-if view).' });

export type SmpSection = Static<typeof SmpSectionSchema>;

const Num = Type.Number();
const MessagingRowSchema = Type.Object({
  arch: Type.Union([Type.Literal('pair'), Type.Literal('per-agent')]),
  gateways: Num, threads: Num, osThreads: Num, registered: Num, cycles: Num,
  cycleP50Ms: Num, cycleP99Ms: Num, missed: Num, late: Num, messagesPerSecond: Num,
  cpuMs: Num, cpuUsPerGatewayCycle: Num, rssMb: Num, contextSwitches: Num, fleetCpuMs: Num,
  error: Type.Union([Type.String(), Type.Null()]),
});

/** A measured messaging study, as the Messaging view saved it (measurements cannot be re-run identically). */
export const MessagingStudySchema = Type.Object({
  request: Type.Object({
    gateways: Type.Array(Num), archs: Type.Array(Type.Union([Type.Literal('pair'), Type.Literal('per-agent')])),
    intervalMs: Type.Optional(Num), cycles: Type.Optional(Num), serviceUs: Type.Optional(Num), shards: Type.Optional(Num),
    maxAgents: Type.Optional(Num), registerStallMs: Type.Optional(Num), batching: Type.Optional(Type.Boolean()), floor: Type.Optional(Type.Boolean()),
  }),
  measuredAt: Stamp,
  cores: Num,
  // Optional: studies saved before the machine was recorded have only its core count.
  machine: Type.Optional(Type.Object({
    os: Type.String({ maxLength: 300 }), arch: Type.String({ maxLength: 50 }), cpuModel: Type.String({ maxLength: 300 }), cpus: Num,
    memoryGiB: Num, node: Type.String({ maxLength: 50 }), hostname: Type.String({ maxLength: 300 }),
  })),
  loadAverage1m: Type.Optional(Num),
  rows: Type.Array(MessagingRowSchema, { maxItems: 1000 }),
  batching: Type.Union([Type.Null(), Type.Object({
    rows: Type.Array(Type.Object({ mode: Type.String(), burst: Num, bursts: Num, messages: Num, writeCalls: Num, seconds: Num, messagesPerSecond: Num, usPerMessage: Num })),
    ratio: Num,
  })]),
  // Optional: studies saved before the floor was measured have none.
  floor: Type.Optional(Type.Array(Type.Object({
    gateways: Num, cycles: Num, cycleP50Ms: Num, cycleMaxMs: Num, pollerCpuMsPerCycle: Num, echoCpuMsPerCycle: Num, cpuUsPerSocketCycle: Num,
  }), { maxItems: 100 })),
  messageCost: Type.Object({ samples: Num, meanUs: Num, p99Us: Num, maxUs: Num }),
  model: Type.Object({
    params: Type.Object({ t1Us: Num, t2Us: Num, t3Us: Num, t4Us: Num, t5Us: Num, threadSwitchUs: Num, perGatewayUs: Num, shards: Num, cores: Num }),
    sources: Type.Record(Type.String(), Type.String()),
    curves: Type.Array(Type.Object({ gateways: Num, singleThreadSyncMs: Num, threadPerAgentMs: Num, threadPairMs: Num })),
  }),
  sizing: Type.Array(Type.Object({
    gateways: Num, cores: Num, timeQuantumMs: Num, ptmaxUs: Num, perGatewayUs: Num,
    documentFormula: Num, measuredRule: Num, measuredUnclamped: Num, recommended: Num, basis: Type.String(),
  })),
});

export const MessagingSectionSchema = Type.Object({
  studies: Type.Array(Type.Object({ id: Id, name: Title, result: MessagingStudySchema }, { additionalProperties: false }), { maxItems: 200 }),
}, { additionalProperties: false, description: 'Measured thread-pair vs thread-per-agent studies (the Messaging view).' });

export type MessagingSection = Static<typeof MessagingSectionSchema>;

/** Where this study's SLA server reads its policy and keeps its database. Secrets stay in files the policy names. */
export const SlaSectionSchema = Type.Object({
  policyFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'The policy (YAML) the Policies view edits and the Monitor starts the server with.' })),
  dbFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'The SLA database (SQLite).' })),
  listen: Type.Optional(Type.String({ pattern: '^[^\\s]+:[0-9]{1,5}$', description: 'Where gateways connect in, host:port.' })),
  periods: Type.Optional(Type.Array(Type.Object({
    id: Id, name: Title, from: Stamp, to: Stamp,
  }, { additionalProperties: false }), { maxItems: 200, description: 'Stretches of the SLA database chosen for reports.' })),
}, { additionalProperties: false });

export type SlaSection = Static<typeof SlaSectionSchema>;

export const WorkspaceSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'Optional pointer to this JSON Schema, for editors.' })),
    schemaVersion: Type.Literal(WORKSPACE_SCHEMA_VERSION, {
      description: 'Version of the workspace format. Headroom refuses files from a newer version rather than guess.',
    }),
    name: Type.String({ minLength: 1, maxLength: 200, description: 'Title of the planning study.' }),
    description: Type.String({ maxLength: 10_000, default: '', description: 'What the study is for, shown on report title pages.' }),
    owner: Type.Optional(Type.String({ maxLength: 200, description: 'Who is responsible for the study.' })),
    createdAt: Type.String({ format: 'date-time', description: 'When the workspace was created (ISO 8601).' }),
    updatedAt: Type.String({ format: 'date-time', description: 'When the workspace was last saved (ISO 8601).' }),
    notes: Type.Array(
      Type.Object(
        {
          title: Type.String({ minLength: 1, maxLength: 200 }),
          body: Type.String({ maxLength: 100_000 }),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'Free-form planning notes kept with the study.' },
    ),
    smp: Type.Optional(SmpSectionSchema),
    messaging: Type.Optional(MessagingSectionSchema),
    sla: Type.Optional(SlaSectionSchema),
    busProbes: Type.Optional(BusProbesSchema),
    storageProbes: Type.Optional(StorageProbesSchema),
  },
  {
    $id: 'https://headroom.invalid/schema/workspace.json',
    title: 'Headroom workspace',
    additionalProperties: false,
  },
);

export type Workspace = Static<typeof WorkspaceSchema>;

export const WORKSPACE_FILE_SUFFIX = '.headroom.json';

export function newWorkspace(name = 'Untitled study', now: Date = new Date()): Workspace {
  const stamp = now.toISOString();
  return { schemaVersion: WORKSPACE_SCHEMA_VERSION, name, description: '', createdAt: stamp, updatedAt: stamp, notes: [] };
}
