import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger, type Logger } from '../../runtime/index.js';
import { startPmDaemon, type DaemonEvent, type DialTarget, type PmDaemon } from '../../pmdaemon/index.js';
import type { StatsEntry } from '../../protocol/index.js';
import type { AnalysisResult, ClassStatus, GatewayStats } from '../analyzer/index.js';
import { PerformanceAnalyzer } from '../analyzer/index.js';
import { SlaDb } from '../db/index.js';
import { EntityService, type EntitySnapshot } from '../entity/index.js';
import { PolicyManager, accessListsFor, type ApplyResult, type Policy, type PolicyDiagnostic, type PolicyVersion } from '../policy/index.js';
import { analysisRecords, sampleRowsOf } from '../records.js';

export interface SlaServerOptions {
  /** The policy file (YAML); gateway secret files are read relative to it. */
  policyFile: string;
  dbFile: string;
  /** Where gateways connect in (discovery). Port 0 picks one. */
  listen: { host: string; port: number };
  /** Thread pairs of the daemon (default: the daemon's own rule, never more than the cores). */
  shards?: number;
  log?: Logger;
  now?: () => number;
}

/**
 * What the Monitor view and the headless log see after each poll cycle. A cycle is analysed as
 * soon as every polled gateway has answered, or at the reply deadline (half the interval):
 * `missed` counts gateways with no answer by then, and `late` is always 0 here (a reply after
 * the deadline is left for the next cycle).
 */
export interface SlaCycleReport {
  at: number;
  cycle: number;
  polled: number;
  onTime: number;
  late: number;
  missed: number;
  completionMs: number | null;
  classes: ClassStatus[];
  explanations: string[];
  throttles: Array<{ actionId: number; gatewayId: string; host: string; lun: string; iopsLimit: number; mbpsLimit: number; reason: string }>;
  /**
   * What the database made of the cycle's samples: the batch that holds them once committed
   * (batch 0 with 0 samples when no gateway answered), or why they are not there.
   */
  commit: CycleCommit;
}

export type CycleCommit = { ok: true; batchId: number; samples: number } | { ok: false; error: string };

export type SlaServerEvent =
  | { kind: 'cycle'; report: SlaCycleReport }
  | { kind: 'gateway'; gatewayId: string; state: 'registered' | 'updated' | 'dropped' | 'refused' | 'unregistered'; detail: string }
  | { kind: 'ack'; actionId: number; gatewayId: string; ok: boolean; reason: string }
  | { kind: 'alert'; gatewayId: string; severity: string; code: string; text: string }
  | { kind: 'policy'; version: PolicyVersion };

export interface SlaServerStatus {
  policy: PolicyVersion | null;
  listen: { host: string; port: number } | null;
  dbFile: string;
  entities: EntitySnapshot;
  lastCycle: SlaCycleReport | null;
  gateways: Array<{ gatewayId: string; remote: string; luns: string[]; hosts: string[] }>;
}

/**
 * The SLA server of the first document, wired together: the Policy Manager holds the active
 * policy; the PMDaemon polls every gateway each interval; each cycle's statistics go to the
 * Entity Service and the database; the Performance Analyzer turns them into caps, which the
 * daemon sends as throttle requests; acknowledgements are recorded against each action.
 */
export class SlaServer {
  private readonly listeners = new Set<(event: SlaServerEvent) => void>();
  private lastCycle: SlaCycleReport | null = null;
  private maintenance: NodeJS.Timeout | null = null;
  private pollWatch: NodeJS.Timeout | null = null;
  private stopping = false;
  private cycleQueue: Promise<void> = Promise.resolve();
  private readonly analysedStats = new Map<string, readonly StatsEntry[]>();
  /** Per gateway, the access lists last sent (as JSON), so a policy reload sends only changes. */
  private readonly accessSent = new Map<string, string>();

  private constructor(
    readonly policyFile: string,
    readonly dbFile: string,
    readonly policies: PolicyManager,
    readonly entities: EntityService,
    readonly analyzer: PerformanceAnalyzer,
    readonly db: SlaDb,
    private daemon: PmDaemon,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  static async start(options: SlaServerOptions): Promise<SlaServer> {
    const log = options.log ?? createLogger('sla-server');
    const now = options.now ?? Date.now;
    const policyFile = path.resolve(options.policyFile);
    let text: string;
    try { text = await readFile(policyFile, 'utf8'); } catch (err) {
      throw new Error(`${policyFile}: cannot read the policy (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    const db = await SlaDb.open(path.resolve(options.dbFile));
    try {
      const history = await db.queries.policyHistory();
      const policies = new PolicyManager({ history, now });
      const applied = policies.apply(text, `--policy ${policyFile}`);
      if (!applied.ok) {
        const first = applied.diagnostics.find((d) => d.severity === 'error') ?? applied.diagnostics[0];
        throw new Error(`${policyFile}:${first?.line ?? 1}:${first?.column ?? 1}: ${first?.message ?? 'invalid policy'}`
          + (applied.diagnostics.length > 1 ? ` (and ${applied.diagnostics.length - 1} more)` : ''));
      }
      await db.queries.recordPolicy(applied.version);
      const secrets = await readSecrets(applied.policy, policyFile);
      const daemon = await startPmDaemon({
        host: options.listen.host,
        discoveryPort: options.listen.port,
        dial: dialTargets(applied.policy),
        secrets,
        intervalMs: applied.policy.pollIntervalMs,
        ...(options.shards !== undefined ? { shards: options.shards } : {}),
        log,
      });
      const server = new SlaServer(policyFile, path.resolve(options.dbFile), policies, new EntityService(), new PerformanceAnalyzer(), db, daemon, log, now);
      // Access lists are checked against what the registered gateways export.
      policies.useInventory(() => new Map(daemon.registered().map((g) => [g.gatewayId, g.luns.map((l) => l.lunId)])));
      server.attach();
      policies.onApplied((version) => {
        void db.queries.recordPolicy(version).catch((err: unknown) => log.error({ err }, 'could not record the policy'));
        server.emit({ kind: 'policy', version });
      });
      return server;
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  onEvent(listener: (event: SlaServerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): SlaServerStatus {
    return {
      policy: this.policies.activeVersion(),
      listen: this.daemon.discovery,
      dbFile: this.dbFile,
      entities: this.entities.snapshot(),
      lastCycle: this.lastCycle,
      gateways: this.daemon.registered().map((g) => ({ gatewayId: g.gatewayId, remote: g.remote, luns: g.luns.map((l) => l.lunId), hosts: g.hosts })),
    };
  }

  /**
   * Apply a new policy text. An invalid one is refused and the active policy stays. Classes,
   * bindings and targets take effect at the next cycle; gateway addresses, secrets and the poll
   * interval take effect when the server restarts (reported as a warning).
   */
  applyPolicy(text: string, source: string): ApplyResult & { restartNeeded: string[] } {
    const before = this.policies.active();
    const result = this.policies.apply(text, source);
    const restartNeeded: string[] = [];
    if (result.ok && before) {
      if (result.policy.pollIntervalMs !== before.pollIntervalMs) restartNeeded.push('pollIntervalMs');
      if (JSON.stringify(result.policy.gateways) !== JSON.stringify(before.gateways)) restartNeeded.push('gateways');
    }
    return { ...result, restartNeeded };
  }

  checkPolicy(text: string): { ok: boolean; diagnostics: PolicyDiagnostic[] } {
    return this.policies.check(text);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.maintenance) clearInterval(this.maintenance);
    if (this.pollWatch) clearTimeout(this.pollWatch);
    await this.daemon.stop();
    await this.cycleQueue.catch(() => undefined);
    await this.db.close();
  }

  private emit(event: SlaServerEvent): void {
    for (const l of this.listeners) {
      try { l(event); } catch (err) { this.log.warn({ err }, 'an SLA event listener failed'); }
    }
  }

  private attach(): void {
    this.daemon.onEvent((event) => this.onDaemonEvent(event));
    // A reload that changes a gateway's access lists reaches it at once, not at its next registration.
    this.policies.onApplied((_, policy) => {
      for (const g of this.daemon.registered()) this.sendAccess(g.gatewayId, policy, false);
    });
    // Rollups and retention keep a month of samples queryable; once a minute is plenty.
    this.maintenance = setInterval(() => {
      const at = this.now();
      void this.db.queries.rollup(at).then(() => this.db.queries.applyRetention(at))
        .catch((err: unknown) => this.log.warn({ err }, 'rollup or retention failed'));
    }, 60_000);
    this.maintenance.unref();
  }

  private recordGateway(event: Extract<DaemonEvent, { kind: 'registered' }>): void {
    void this.db.queries.registerGateway(event.gatewayId, event.remote, event.luns.map((l) => ({ lunId: l.lunId, sizeBytes: Number(l.sizeBytes) })))
      .catch((err: unknown) => this.log.warn({ err }, 'could not record a gateway'));
  }

  private onDaemonEvent(event: DaemonEvent): void {
    const at = this.now();
    switch (event.kind) {
      case 'registered': {
        if (event.update) {
          this.entities.inventory(event.gatewayId, { luns: event.luns, hosts: event.hosts });
          this.recordGateway(event);
          this.emit({ kind: 'gateway', gatewayId: event.gatewayId, state: 'updated', detail: `hosts ${event.hosts.join(', ') || 'none'}; LUNs ${event.luns.map((l) => l.lunId).join(', ') || 'none'}` });
          break;
        }
        const admission = this.policies.admitGateway(event.gatewayId);
        this.entities.registered(event.gatewayId, { luns: event.luns, hosts: event.hosts, remote: event.remote }, at);
        this.recordGateway(event);
        this.log.info({ gatewayId: event.gatewayId, remote: event.remote, admitted: admission.admitted }, 'gateway registered');
        // Always, even an empty set: the gateway may hold lists from an earlier policy or server.
        const active = this.policies.active();
        if (admission.admitted && active) this.sendAccess(event.gatewayId, active, true);
        this.emit({ kind: 'gateway', gatewayId: event.gatewayId, state: 'registered', detail: event.remote });
        break;
      }
      case 'dropped':
      case 'refused':
      case 'unregistered':
        if (event.kind !== 'refused') this.entities.setState(event.gatewayId, 'disconnected');
        this.log.warn({ gatewayId: event.gatewayId, reason: event.reason }, `gateway ${event.kind}`);
        this.emit({ kind: 'gateway', gatewayId: event.gatewayId, state: event.kind, detail: event.reason });
        break;
      case 'alert':
        this.log.warn({ gatewayId: event.gatewayId, code: event.code, text: event.text }, 'gateway alert');
        void this.db.queries.recordAlerts([{ t: at, severity: event.severity, gatewayId: event.gatewayId, className: '', code: event.code, text: event.text }])
          .catch((err: unknown) => this.log.warn({ err }, 'could not record an alert'));
        this.emit({ kind: 'alert', gatewayId: event.gatewayId, severity: event.severity, code: event.code, text: event.text });
        break;
      case 'cycle':
        // The daemon reports a cycle when it starts the next one, so its statistics are a whole
        // interval old by then; acting on them would put one interval of dead time in the loop
        // (caps land two intervals after the interval that needed them). Instead, follow the
        // poll the daemon has just sent and analyse its answers as soon as they are all in.
        this.watchPoll();
        break;
      default:
        break;
    }
  }

  /**
   * Sends one gateway the policy's access lists for it (the whole set: the gateway replaces its
   * policy layer with it). `always`: also when unchanged since the last send (a new connection).
   */
  private sendAccess(gatewayId: string, policy: Policy, always: boolean): void {
    const luns = accessListsFor(policy, gatewayId);
    const key = JSON.stringify(luns);
    if (!always && this.accessSent.get(gatewayId) === key) return;
    this.accessSent.set(gatewayId, key);
    void this.daemon.setAccess(gatewayId, luns).then((ack) => {
      if (ack.ok) this.log.info({ gatewayId, luns: luns.map((l) => l.lun), note: ack.reason || undefined }, 'access lists applied by the gateway');
      else {
        // Not recorded as sent, so the next reload or registration tries again.
        if (this.accessSent.get(gatewayId) === key) this.accessSent.delete(gatewayId);
        this.log.error({ gatewayId, reason: ack.reason }, 'the gateway did not apply its access lists');
      }
    }, (err: unknown) => this.log.error({ err, gatewayId }, 'could not send access lists'));
  }

  /**
   * Waits (bounded by the reply deadline, half the interval) for every gateway polled in the
   * open cycle to answer, then queues the analysis of their fresh statistics. The daemon has no
   * "all replied" event, so its progress is checked every few milliseconds; a newer cycle
   * starting ends the watch.
   */
  private watchPoll(): void {
    if (this.pollWatch) { clearTimeout(this.pollWatch); this.pollWatch = null; }
    const open = this.daemon.pollProgress();
    const policy = this.policies.active();
    if (!open || !policy) return;
    const started = performance.now();
    const deadlineMs = policy.pollIntervalMs / 2;
    const check = (): void => {
      this.pollWatch = null;
      if (this.stopping) return;
      const progress = this.daemon.pollProgress();
      if (!progress || progress.cycle !== open.cycle) return;
      const elapsed = performance.now() - started;
      if (progress.waiting > 0 && elapsed < deadlineMs) {
        this.pollWatch = setTimeout(check, POLL_WATCH_MS);
        return;
      }
      const cycle: PolledCycle = {
        cycle: progress.cycle, polled: progress.polled, onTime: progress.polled - progress.waiting, late: 0, missed: progress.waiting,
        completionMs: progress.waiting === 0 ? elapsed : null,
      };
      const at = this.now();
      // Cycles are analysed one after another even if the database is slow for a moment.
      this.cycleQueue = this.cycleQueue.then(() => this.analyseCycle(cycle, at)).catch((err: unknown) => {
        this.log.error({ err }, 'analysing a poll cycle failed');
      });
    };
    // The poll leaves on the daemon's next flush; its answers cannot be in before then.
    this.pollWatch = setTimeout(check, POLL_WATCH_MS);
  }

  private async analyseCycle(cycle: PolledCycle, at: number): Promise<void> {
    const policy = this.policies.active();
    if (!policy) return;
    // A gateway that has not answered this poll still has last interval's statistics in the
    // daemon (each answer is a new array): analysing or storing them twice would count one
    // interval as two, so such a gateway sits this cycle out and its caps stay as they are.
    const gateways: GatewayStats[] = [];
    for (const g of this.daemon.registered()) {
      const entries = this.daemon.latestStats(g.gatewayId);
      if (!entries || entries === this.analysedStats.get(g.gatewayId)) continue;
      this.analysedStats.set(g.gatewayId, entries);
      gateways.push({ gatewayId: g.gatewayId, entries });
    }
    for (const gw of gateways) this.entities.stats(gw.gatewayId, policy.pollIntervalMs, gw.entries, at);
    const result: AnalysisResult = this.analyzer.runInterval(policy, gateways, at);
    // Settled, never rejected: its outcome is part of the report, and nothing awaited below may
    // leave it unobserved if it fails first.
    const ingest: Promise<CycleCommit> = this.db.ingest(sampleRowsOf(policy, at, gateways)).then(
      (c) => ({ ok: true, batchId: c.batchId, samples: c.samples }),
      (err: unknown) => ({ ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
    const records = analysisRecords(result);
    let actionIds: number[] = [];
    try {
      if (records.actions.length) actionIds = await this.db.queries.recordActions(records.actions);
      if (records.violations.length) await this.db.queries.recordViolations(records.violations);
      if (records.alerts.length) await this.db.queries.recordAlerts(records.alerts);
    } catch (err) {
      // The caps still go out (their acknowledgements are then not recorded against an action).
      this.log.error({ err, cycle: cycle.cycle }, 'could not record the cycle\'s actions, violations or alerts');
    }
    const throttles = result.changes.map((c, i) => ({ actionId: actionIds[i] ?? -1, gatewayId: c.gatewayId, host: c.host, lun: c.lun, iopsLimit: c.iopsLimit, mbpsLimit: c.mbpsLimit, reason: c.reason }));
    for (const t of throttles) {
      this.log.info({ gatewayId: t.gatewayId, host: t.host, lun: t.lun, iopsLimit: t.iopsLimit, mbpsLimit: t.mbpsLimit }, t.reason);
      void this.daemon.throttle(t.gatewayId, { host: t.host, lun: t.lun, iopsLimit: t.iopsLimit, mbpsLimit: t.mbpsLimit })
        .then((ack) => ({ ok: ack.ok, reason: ack.reason }), (err: unknown) => ({ ok: false, reason: err instanceof Error ? err.message : String(err) }))
        .then(async ({ ok, reason }) => {
          if (t.actionId >= 0) await this.db.queries.ackAction(t.actionId, ok, reason);
          this.emit({ kind: 'ack', actionId: t.actionId, gatewayId: t.gatewayId, ok, reason });
        })
        .catch((err: unknown) => this.log.warn({ err }, 'could not record an acknowledgement'));
    }
    const commit = await ingest;
    if (commit.ok) this.log.info({ cycle: cycle.cycle, at, batchId: commit.batchId, samples: commit.samples }, 'cycle committed');
    else this.log.error({ cycle: cycle.cycle, at, error: commit.error }, 'cycle NOT committed');
    const report: SlaCycleReport = {
      at, ...cycle,
      classes: result.classes, explanations: result.explanations, throttles, commit,
    };
    this.lastCycle = report;
    this.emit({ kind: 'cycle', report });
  }
}

/** How often the server checks whether every polled gateway has answered. */
const POLL_WATCH_MS = 2;

/** A cycle's poll bookkeeping, as its report carries it. */
type PolledCycle = Pick<SlaCycleReport, 'cycle' | 'polled' | 'onTime' | 'late' | 'missed' | 'completionMs'>;

function dialTargets(policy: Policy): DialTarget[] {
  return policy.gateways.filter((g) => g.address).map((g) => {
    const address = g.address!;
    const colon = address.lastIndexOf(':');
    return { gatewayId: g.id, host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(address.slice(colon + 1)) };
  });
}

/** Secrets live in files next to the policy, never in the policy or the workspace. Keyed by gateway id in a Map: the daemon looks them up by the id a peer sends. */
async function readSecrets(policy: Policy, policyFile: string): Promise<Map<string, string>> {
  const secrets = new Map<string, string>();
  for (const g of policy.gateways) {
    const file = path.resolve(path.dirname(policyFile), g.secretFile);
    let secret: string;
    try {
      secret = (await readFile(file, 'utf8')).trim();
    } catch (err) {
      throw new Error(`${policyFile}: gateway ${g.id}'s secret file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (!secret) throw new Error(`${policyFile}: gateway ${g.id}'s secret file ${file} is empty`);
    secrets.set(g.id, secret);
  }
  return secrets;
}
