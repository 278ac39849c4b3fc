import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { Workspace } from '../workspace/schema.js';
import { ScenarioSchema } from '../smp/scenario-schema.js';
import type { AnalyticRow, ScenarioResult, SweepRow, Scenario } from '../smp/index.js';
import type { UslFit } from '../analysis/index.js';
import type { MessagingStudyResult, ShardRecommendation } from '../pmdaemon/index.js';
import type { PolicyDiagnostic, PolicyVersion, ClassPoint, Timeline, PolicyHover, PolicyCompletion } from '../sla/index.js';
import type { SlaServerEvent, SlaServerStatus } from '../sla/server/index.js';
import type { ReportModel } from '../report/index.js';
import type { BusProbeResult } from '../smp/probe/index.js';
import type { ProbeResult, StorageHeadroomView } from '../storage/index.js';

/**
 * The one contract between the renderer and the engine. Params have schemas because they cross
 * a trust boundary and are checked at run time; results are trusted types.
 * Methods answer once; streams send progress until they answer, and can be cancelled.
 */
const NoParams = Type.Object({}, { additionalProperties: false });
const FilePath = Type.String({ minLength: 1, maxLength: 4096 });
/** What a chosen file is for: its kind decides the names it may have and what it may replace (file-access.ts). */
export const FilePurposeSchema = Type.Union(
  (['workspace', 'policy', 'sla-db', 'report-pdf', 'report-html', 'report-csv'] as const).map((p) => Type.Literal(p)),
);
export type FilePurpose = Static<typeof FilePurposeSchema>;

export const methodParams = {
  'engine.info': NoParams,
  'workspace.new': Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false }),
  'workspace.open': Type.Object({ path: FilePath }, { additionalProperties: false }),
  'workspace.save': Type.Object(
    {
      path: FilePath,
      // Checked by the workspace validator, which names the JSON path of a problem.
      workspace: Type.Unknown(),
      baseHash: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
      overwrite: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  'workspace.schema': NoParams,
  'files.list': Type.Object(
    { dir: Type.Optional(FilePath), suffix: Type.Optional(Type.String({ maxLength: 64 })) },
    { additionalProperties: false },
  ),
  // The in-app dialog's choice: grants the engine access to that one file (or CSV folder).
  'files.choose': Type.Object(
    { path: FilePath, purpose: FilePurposeSchema, mode: Type.Union([Type.Literal('open'), Type.Literal('save')]) },
    { additionalProperties: false },
  ),
  'samples.list': NoParams,
  'recent.list': NoParams,
  'recent.add': Type.Object({ path: FilePath }, { additionalProperties: false }),
  'smp.analytic': Type.Object(
    {
      cpus: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 1024 }), { minItems: 1, maxItems: 256 })),
      busDemand: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
      ioLoad: Type.Optional(Type.Number({ minimum: 0, maximum: 0.99 })),
      hierarchy: Type.Optional(Type.Object({
        l1HitFraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        l1Cycles: Type.Optional(Type.Number({ minimum: 0 })),
        l2HitFraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        l2Cycles: Type.Optional(Type.Number({ minimum: 0 })),
        memoryBusCycles: Type.Optional(Type.Number({ minimum: 0 })),
        busClockRatio: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      }, { additionalProperties: false })),
    },
    { additionalProperties: false },
  ),
  'smp.simulate': Type.Object({ scenario: ScenarioSchema }, { additionalProperties: false }),
  // Unknown on purpose: the answer is the list of problems, not a refused call.
  'smp.validate': Type.Object({ scenario: Type.Unknown() }, { additionalProperties: false }),
  'smp.samples': NoParams,
  // The study's own question: how many thread pairs for N gateways. Empty costs are measured here.
  'messaging.sizing': Type.Object({
    gateways: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
    intervalMs: Type.Integer({ minimum: 1, maximum: 3_600_000 }),
    timeQuantumMs: Type.Number({ exclusiveMinimum: 0, maximum: 10_000 }),
    ptmaxUs: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000_000 })),
    perGatewayUs: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000_000 })),
  }, { additionalProperties: false }),
  'policy.schema': NoParams,
  'policy.check': Type.Object({ text: Type.String({ maxLength: 2_000_000 }) }, { additionalProperties: false }),
  'policy.read': Type.Object({ path: FilePath }, { additionalProperties: false }),
  'policy.hover': Type.Object({ text: Type.String({ maxLength: 2_000_000 }), line: Type.Integer({ minimum: 1 }), column: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
  'policy.complete': Type.Object({ text: Type.String({ maxLength: 2_000_000 }), line: Type.Integer({ minimum: 1 }), column: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
  'policy.write': Type.Object({ path: FilePath, text: Type.String({ maxLength: 2_000_000 }), baseHash: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })), overwrite: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  'sla.start': Type.Object(
    { policyFile: FilePath, dbFile: FilePath, listen: Type.Object({ host: Type.String({ minLength: 1, maxLength: 255 }), port: Type.Integer({ minimum: 0, maximum: 65535 }) }, { additionalProperties: false }) },
    { additionalProperties: false },
  ),
  'sla.demo': NoParams,
  'sla.stop': NoParams,
  'sla.status': NoParams,
  'sla.apply': Type.Object({ text: Type.String({ maxLength: 2_000_000 }), source: Type.String({ maxLength: 500 }) }, { additionalProperties: false }),
  'sla.history': NoParams,
  'sla.series': Type.Object({ className: Type.String({ minLength: 1, maxLength: 200 }), from: Type.Number(), to: Type.Number(), gatewayId: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
  'sla.timeline': Type.Object({ from: Type.Number(), to: Type.Number(), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })) }, { additionalProperties: false }),
  'metrics.get': NoParams,
  'metrics.set': Type.Object({ enabled: Type.Boolean(), address: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false }),
  'report.items': Type.Object({ workspace: Type.Unknown() }, { additionalProperties: false }),
  'report.preview': Type.Object({ workspace: Type.Unknown(), workspacePath: Type.Optional(FilePath), only: Type.Optional(Type.Array(Type.String({ maxLength: 300 }), { maxItems: 500 })) }, { additionalProperties: false }),
  'report.html': Type.Object({
    workspace: Type.Unknown(), workspacePath: Type.Optional(FilePath), only: Type.Optional(Type.Array(Type.String({ maxLength: 300 }), { maxItems: 500 })),
    paper: Type.Union([Type.Literal('A4'), Type.Literal('Letter')]),
  }, { additionalProperties: false }),
  // The open workspace as the user has it (unsaved edits included), as the report takes it.
  'storage.headroom': Type.Object({ workspace: Type.Unknown(), workspacePath: Type.Optional(FilePath) }, { additionalProperties: false }),
  'usl.fit': Type.Object(
    { points: Type.Array(Type.Object({ n: Type.Number(), throughput: Type.Number() }, { additionalProperties: false }), { minItems: 1, maxItems: 100_000 }) },
    { additionalProperties: false },
  ),
} satisfies Record<string, TSchema>;

export const SweepAxisSchema = Type.Object(
  { path: Type.String({ minLength: 1, maxLength: 200 }), values: Type.Array(Type.Number(), { minItems: 1, maxItems: 10_000 }) },
  { additionalProperties: false },
);

export const MessagingRequestSchema = Type.Object(
  {
    gateways: Type.Array(Type.Integer({ minimum: 1, maximum: 20_000 }), { minItems: 1, maxItems: 16 }),
    archs: Type.Array(Type.Union([Type.Literal('pair'), Type.Literal('per-agent')]), { minItems: 1, maxItems: 2 }),
    intervalMs: Type.Optional(Type.Integer({ minimum: 50, maximum: 60_000 })),
    cycles: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    serviceUs: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    shards: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    maxAgents: Type.Optional(Type.Integer({ minimum: 1, maximum: 4000 })),
    batching: Type.Optional(Type.Boolean()),
    floor: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const ReportExportSchema = Type.Object({
  workspace: Type.Unknown(),
  workspacePath: Type.Optional(FilePath),
  only: Type.Optional(Type.Array(Type.String({ maxLength: 300 }), { maxItems: 500 })),
  paper: Type.Union([Type.Literal('A4'), Type.Literal('Letter')]),
  pdf: Type.Optional(FilePath),
  csvDir: Type.Optional(FilePath),
  html: Type.Optional(FilePath),
}, { additionalProperties: false });

export const streamParams = {
  'report.export': ReportExportSchema,
  'messaging.run': MessagingRequestSchema,
  'smp.sweep': Type.Object(
    { base: ScenarioSchema, axes: Type.Array(SweepAxisSchema, { minItems: 1, maxItems: 8 }), workers: Type.Optional(Type.Integer({ minimum: 0, maximum: 64 })) },
    { additionalProperties: false },
  ),
  'smp.probe': Type.Object(
    { threads: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })), seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 600 })) },
    { additionalProperties: false },
  ),
  // A LUN through a gateway, from the Headroom view. 7 s is the least runProbe takes: a warm-up and six steps.
  'storage.probe': Type.Object(
    {
      uri: Type.String({ minLength: 8, maxLength: 2000, pattern: '^nbds?://' }),
      bs: Type.Optional(Type.String({ minLength: 1, maxLength: 16, pattern: '^[0-9]+[kKmM]?$' })),
      rw: Type.Optional(Type.Union([Type.Literal('randread'), Type.Literal('randrw')])),
      seconds: Type.Optional(Type.Number({ minimum: 7, maximum: 600 })),
      // The workspace's SLA database, written through the engine's file grants like any other file.
      slaDb: Type.Optional(FilePath),
    },
    { additionalProperties: false },
  ),
  'workspace.scan': Type.Object(
    { dir: FilePath, maxDepth: Type.Optional(Type.Integer({ minimum: 0, maximum: 12 })) },
    { additionalProperties: false },
  ),
} satisfies Record<string, TSchema>;

export interface EngineInfo {
  version: string;
  pid: number;
  node: string;
  platform: string;
  cpus: number;
  startedAt: string;
  transport: 'websocket' | 'messageport';
  cwd: string;
  samplesDir: string;
}

export interface OpenedWorkspaceResult { path: string; workspace: Workspace; hash: string }

export interface FileEntry { name: string; path: string; kind: 'file' | 'dir'; size: number; modifiedAt: string }
export interface FileListing {
  dir: string;
  /** Null at the top of a browsing root: the dialog does not climb above what it may show. */
  parent: string | null;
  entries: FileEntry[];
  /** The folders the dialog may show (home, the working folder, samples, workspace folders). */
  roots: string[];
}

export interface SampleEntry { name: string; path: string; title: string; description: string }

export interface ScanFinding { path: string; ok: boolean; name?: string; problem?: string }
export interface ScanProgress { scanned: number; found: number; current: string }
export interface ScanResult { dir: string; findings: ScanFinding[]; scanned: number }

export interface AnalyticResult { withoutIo: AnalyticRow[]; withIo: AnalyticRow[]; ioLoad: number }
export interface SmpSample {
  file: string;
  kind: 'scenario' | 'sweep';
  title: string;
  description: string;
  scenario: Scenario;
  axes: Array<{ path: string; values: number[] }>;
}
export interface SweepProgressUpdate { done: number; total: number }
export interface SweepResult { axes: Array<{ path: string; values: number[] }>; rows: SweepRow[] }

export interface PolicyCheckResult { ok: boolean; diagnostics: PolicyDiagnostic[] }
export interface PolicyFile { path: string; text: string; hash: string }
export type SlaApplyResult =
  | { ok: true; version: PolicyVersion; restartNeeded: string[] }
  | { ok: false; diagnostics: PolicyDiagnostic[]; active: PolicyVersion | null };

export interface ReportItemGroup { kind: string; title: string; items: Array<{ name: string; title: string }> }
export interface ReportExportResult {
  pdf: { path: string; pages: number } | null;
  csv: { dir: string; files: string[] } | null;
  html: string | null;
  /** Set when a PDF was asked for but no Chromium was found: the HTML was written instead. */
  noChromium: string | null;
}

export interface MethodResults {
  'engine.info': EngineInfo;
  'workspace.new': Workspace;
  'workspace.open': OpenedWorkspaceResult;
  'workspace.save': OpenedWorkspaceResult;
  'workspace.schema': unknown;
  'files.list': FileListing;
  'files.choose': { path: string };
  'samples.list': SampleEntry[];
  'recent.list': string[];
  'recent.add': string[];
  'smp.analytic': AnalyticResult;
  'smp.simulate': ScenarioResult;
  'smp.validate': { ok: boolean; where: string | null; message: string | null };
  'smp.samples': SmpSample[];
  'messaging.sizing': ShardRecommendation & { cpus: number; deadlineMs: number; measured: { ptmaxUs: boolean; perGatewayUs: boolean } };
  'usl.fit': UslFit;
  'storage.headroom': StorageHeadroomView;
  'report.items': ReportItemGroup[];
  'report.preview': ReportModel;
  'report.html': { html: string; title: string };
  'policy.schema': unknown;
  'policy.check': PolicyCheckResult;
  'policy.read': PolicyFile;
  'policy.hover': PolicyHover | null;
  'policy.complete': PolicyCompletion[];
  'policy.write': PolicyFile;
  'sla.start': SlaServerStatus;
  'sla.demo': SlaServerStatus & { demo: SlaDemoInfo };
  'sla.stop': { stopped: boolean };
  'sla.status': SlaServerStatus | null;
  'sla.apply': SlaApplyResult;
  'sla.history': PolicyVersion[];
  'sla.series': { resolution: string; points: ClassPoint[] };
  'sla.timeline': Timeline;
  'metrics.get': MetricsSettingState;
  'metrics.set': MetricsSettingState;
}

/** The app's opt-in for the SLA server's /metrics, as saved. */
export interface MetricsSettingValue { enabled: boolean; address: string }
/** The setting and what came of it: the URL Prometheus scrapes while the SLA server runs, or why it could not listen. */
export interface MetricsSettingState extends MetricsSettingValue { url: string | null; problem: string | null }

/** What the Monitor's demo runs: real storage (nbdkit, a gateway, fio) or, without those tools, the simulated fleet. */
export interface SlaDemoInfo {
  mode: 'storage' | 'simulated';
  detail: string;
  /** The demo's own folder: its policy copy, secret and database (never samples/). */
  folder: string;
}

export interface StreamTypes {
  'workspace.scan': { progress: ScanProgress; result: ScanResult };
  'smp.sweep': { progress: SweepProgressUpdate; result: SweepResult };
  'smp.probe': { progress: { done: number; total: number; label: string }; result: BusProbeResult };
  'storage.probe': { progress: { done: number; total: number; label: string }; result: StorageProbeRun };
  'messaging.run': { progress: { done: number; total: number; label: string }; result: MessagingStudyResult };
  'report.export': { progress: { done: number; total: number; label: string }; result: ReportExportResult };
}

/**
 * Streams whose cancel stops the work early and answers with what it finished (the result says
 * so), instead of failing with 'cancelled': a storage probe keeps its finished steps.
 */
export const STREAMS_ANSWERING_CANCEL: ReadonlySet<string> = new Set<StreamName>(['storage.probe']);

/** A storage probe run from the view, and where it went in the workspace's SLA database. */
export interface StorageProbeRun {
  /** `complete` is false when cancelled: `steps` holds the steps that finished. */
  probe: ProbeResult;
  /** Null when no SLA database was given, or nothing finished to store. */
  database: { file: string; probeId: number | null; error: string | null } | null;
}

/** Events the engine pushes without being asked. */
export interface EngineEvents {
  'engine.ready': { version: string; transport: EngineInfo['transport'] };
  /** Everything the running SLA server reports: cycles, gateways, acknowledgements, alerts, policies. */
  'sla.event': SlaServerEvent;
}

export type MethodName = keyof typeof methodParams;
export type StreamName = keyof typeof streamParams;
export type ParamsOf<M extends MethodName> = Static<(typeof methodParams)[M]>;
export type StreamParamsOf<S extends StreamName> = Static<(typeof streamParams)[S]>;
export type EventName = keyof EngineEvents;
