import net from 'node:net';
import { EventEmitter } from 'node:events';
import type { Logger } from '../runtime/index.js';
import type { BackendHealth, BackendIo, BlockBackend } from './backend.js';
import { HandshakeSession, type ExportCatalog, type ExportDescription, type ExportRefusal } from './handshake.js';
import { RequestParser, type RequestSink } from './request-parser.js';
import { OutputBatcher } from './output-batcher.js';
import { ByteBudget, DEFAULT_CONNECTION_INFLIGHT_BYTES, DEFAULT_GATEWAY_INFLIGHT_BYTES } from './byte-budget.js';
import { compileAttributionRule, splitExportName, type Attribution, type AttributionRule, type CompiledRule, type Evidence } from './attribution.js';
import { AccessLists, accessLost, type AccessRule, type AccessUpdate } from './access.js';
import { BoundNotices, DEFAULT_LIMITS, type ConnectionLimits } from './limits.js';
import type { ServerTls } from './tls.js';
import { EntityStats, type IntervalStats } from './stats.js';
import { ThrottleGate, realClock, type ThrottleClock, type ThrottleLimits } from './throttle.js';
import {
  CMD_BLOCK_STATUS, CMD_DISC, CMD_READ, CMD_WRITE, DEFAULT_MAX_PAYLOAD, EINVAL, ESHUTDOWN, FLAG_READ_ONLY, SIMPLE_REPLY_MAGIC, commandName,
} from './nbd-constants.js';
import { exportTransmissionFlags } from './export-capabilities.js';
import {
  AccessStage, BackendStage, BudgetStage, GatewayBudget, StatisticsStage, ThrottleStage, decideAccess, resumeThrottled,
  type BackendFaults, type BudgetListener, type DataStage, type Refusals, type ThrottledIo, type ThrottleResume,
} from './stages/index.js';
import { writeBlockStatusChunk, writeErrorChunk, writeReadChunk } from './structured-reply.js';

export interface LunDefinition {
  /** The export name clients use (also the LUN part of HOST/LUN). No slash. */
  readonly name: string;
  readonly description?: string;
  readonly backend: BlockBackend;
  readonly readOnly?: boolean;
}

export interface GatewayOptions {
  readonly luns: readonly LunDefinition[];
  readonly attribution?: AttributionRule;
  readonly maxPayload?: number;
  /**
   * Bytes of read and write data one connection may hold in the gateway (read replies not yet
   * taken by its socket, write data not yet stored). Requests beyond it wait and the gateway
   * stops reading from that client; nothing is refused.
   */
  readonly connectionInFlightBytes?: number;
  /** The same bound for all connections together. */
  readonly gatewayInFlightBytes?: number;
  readonly logger?: Logger;
  readonly clock?: ThrottleClock;
  /** Length of a statistics interval; 0 disables the automatic roll (call `rollStats`). */
  readonly statsIntervalSeconds?: number;
  /** Bounds on option sizes, handshake time, connections and the host table (defaults: DEFAULT_LIMITS). */
  readonly bounds?: Partial<ConnectionLimits>;
  /** STARTTLS (loadServerTls); absent: TLS off. */
  readonly tls?: ServerTls | null;
  /** Per-LUN access lists (--allow); a LUN without one is open to every host. */
  readonly access?: readonly AccessRule[];
}

/** Whose I/O a limit caps: a host, a LUN (all hosts), or one host's I/O on one LUN. */
export interface ThrottleTarget {
  readonly host?: string;
  readonly lun?: string;
}

export interface AppliedLimit {
  readonly target: ThrottleTarget;
  readonly limits: ThrottleLimits;
}

export type GatewayEvent =
  | { readonly type: 'connection-opened'; readonly id: number; readonly remote: string; readonly attribution: Attribution; readonly lun: string }
  | { readonly type: 'connection-closed'; readonly id: number; readonly reason: string }
  | { readonly type: 'protocol-error'; readonly id: number; readonly remote: string; readonly reason: string }
  /** A client asked for an export its identity may not open (answered NBD_REP_ERR_POLICY, or disconnected). */
  | { readonly type: 'access-refused'; readonly id: number; readonly remote: string; readonly requested: string; readonly reason: string }
  | { readonly type: 'backend-health'; readonly lun: string; readonly location: string; readonly health: BackendHealth }
  | { readonly type: 'stats'; readonly stats: readonly IntervalStats[] };

type Gate = ThrottleGate<ThrottledIo>;

interface LunState {
  readonly definition: LunDefinition;
  /** Re-read when the backend comes up: an upstream down at start has no size until then. */
  description: ExportDescription;
  /** As hosts with read-only access (--allow LUN=HOST:ro) see it. */
  readOnlyDescription: ExportDescription;
  readonly stats: EntityStats;
  readonly gate: Gate;
  health: BackendHealth;
}

interface HostState {
  readonly name: string;
  readonly stats: EntityStats;
  readonly gate: Gate;
  /** Connections in transmission. */
  connections: number;
  /** Intervals in a row without a connection or an I/O (it leaves the tables at hostIdleIntervals). */
  idle: number;
}

interface PairState {
  readonly stats: EntityStats;
  connections: number;
  idle: number;
}

/** What a client's export name resolves to for its identity. */
interface Choice {
  readonly lun: LunState;
  readonly attribution: Attribution;
  readonly description: ExportDescription;
}

/** How often idle hosts are aged out when no statistics interval does it. */
const HOUSEKEEPING_MS = 10_000;

/** Stop reading from a client with this many requests inside the gateway. */
const MAX_IN_FLIGHT_PER_CONNECTION = 1024;
/** A saturated gateway-wide budget is logged at most this often. */
const BUDGET_LOG_INTERVAL_MS = 10_000;

function nowPair(): { wall: number; mono: number } {
  return { wall: Date.now(), mono: performance.now() };
}

/**
 * The I/O performance gateway: an NBD server whose exports are virtual LUNs, which
 * attributes each connection to an application host, measures every I/O per host and
 * per LUN, and holds I/O at token-bucket throttles.
 */
export class NbdGateway {
  private readonly lunsByName = new Map<string, LunState>();
  private readonly hostsByName = new Map<string, HostState>();
  private readonly pairGates = new Map<string, Gate>();
  private readonly pairStates = new Map<string, PairState>();
  private readonly appliedLimits = new Map<string, AppliedLimit>();
  private readonly connections = new Set<ClientConnection>();
  private readonly events = new EventEmitter();
  private readonly rule: CompiledRule;
  private readonly access: AccessLists;
  private readonly clock: ThrottleClock;
  readonly maxPayload: number;
  readonly connectionInFlightBytes: number;
  /** Bytes held by all connections, and the connections' budget stages waiting for it. */
  readonly budget: GatewayBudget;
  private budgetLoggedAt = -Infinity;
  readonly bounds: ConnectionLimits;
  readonly notices: BoundNotices;
  readonly tls: ServerTls | null;
  private server: net.Server | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  private latest: readonly IntervalStats[] = [];
  private nextConnectionId = 1;
  /** Every host, LUN and pair shares the interval boundaries, even one first seen mid-interval. */
  private intervalStart = nowPair();
  /** Every export, for the control surface (clients see `catalogFor` their identity). */
  readonly catalog: ExportCatalog;

  constructor(readonly options: GatewayOptions) {
    if (options.luns.length === 0) throw new Error('a gateway needs at least one export');
    this.clock = options.clock ?? realClock;
    this.bounds = { ...DEFAULT_LIMITS, ...options.bounds };
    this.notices = new BoundNotices(options.logger);
    this.tls = options.tls ?? null;
    // X.509 without --tls-verify-peer encrypts but proves nothing about the client.
    const tlsProven = this.tls === null || !this.tls.provesIdentity ? undefined : this.tls.pskIdentities ?? [];
    this.rule = compileAttributionRule({ ranges: options.attribution?.ranges ?? [], ...(tlsProven ? { provenHosts: tlsProven } : {}) });
    this.access = new AccessLists(options.access);
    this.maxPayload = Math.min(options.maxPayload ?? DEFAULT_MAX_PAYLOAD, ...options.luns.map((l) => l.backend.maxPayload));
    this.connectionInFlightBytes = options.connectionInFlightBytes ?? DEFAULT_CONNECTION_INFLIGHT_BYTES;
    this.budget = new GatewayBudget(new ByteBudget(options.gatewayInFlightBytes ?? DEFAULT_GATEWAY_INFLIGHT_BYTES), (waiting) => this.budgetReached(waiting));
    if (!(this.connectionInFlightBytes > 0)) throw new Error(`connectionInFlightBytes must be positive (got ${this.connectionInFlightBytes})`);
    for (const definition of options.luns) {
      if (definition.name.includes('/')) throw new Error(`export ${definition.name}: a LUN name cannot contain "/" (it separates HOST/LUN)`);
      if (this.lunsByName.has(definition.name)) throw new Error(`export ${definition.name}: defined twice`);
      const backend = definition.backend;
      if (backend.allocation !== 'exact') {
        options.logger?.info({ lun: definition.name, location: backend.location }, 'block status reports this LUN as all data: its backend cannot find holes');
      }
      const lun: LunState = {
        definition,
        ...describeLun(definition),
        stats: new EntityStats('lun', '', definition.name, this.intervalStart),
        gate: new ThrottleGate<ThrottledIo>(resumeThrottled, this.clock),
        health: { state: 'up' },
      };
      this.lunsByName.set(definition.name, lun);
      definition.backend.onHealth((health) => {
        lun.health = health;
        if (health.state === 'up') Object.assign(lun, describeLun(definition));
        this.emit({ type: 'backend-health', lun: definition.name, location: definition.backend.location, health });
      });
    }
    for (const lun of this.access.luns()) if (!this.lunsByName.has(lun)) throw new Error(`--allow ${lun}=...: no such export`);
    const luns = [...this.lunsByName.values()];
    // A LUN whose backend has never been reached is not offered: its size is unknown.
    const offered = (l: LunState | undefined): l is LunState => l !== undefined && l.definition.backend.ready !== false;
    this.catalog = {
      find: (requested) => { const l = this.findLun(requested); return offered(l) ? l.description : undefined; },
      list: () => luns.filter(offered).map((l) => l.description),
    };
    const seconds = options.statsIntervalSeconds ?? 0;
    if (seconds > 0) {
      this.statsTimer = setInterval(() => this.rollStats(), seconds * 1000);
      this.statsTimer.unref();
    } else {
      // Nothing may ever roll the statistics (no --stats-interval, no SLA server): age idle hosts anyway.
      this.statsTimer = setInterval(() => this.ageOut(), HOUSEKEEPING_MS);
      this.statsTimer.unref();
    }
  }

  on(listener: (event: GatewayEvent) => void): () => void {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }

  async listen(host: string, port: number): Promise<net.AddressInfo> {
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve(); });
    });
    if (this.rule.selfDeclared) {
      this.options.logger?.warn('host identities are self-declared (HOST/LUN export names): without --tls or --host-range any client can name itself any host, and so take its budget');
    }
    return server.address() as net.AddressInfo;
  }

  /** True when no TLS and no address range proves who a client is. */
  get identitiesSelfDeclared(): boolean {
    return this.rule.selfDeclared;
  }

  /** Exports as clients see them. */
  exports(): readonly ExportDescription[] {
    return this.catalog.list();
  }

  hosts(): readonly string[] {
    return [...this.hostsByName.keys()];
  }

  lunHealth(): readonly { lun: string; location: string; health: BackendHealth }[] {
    return [...this.lunsByName.values()].map((l) => ({ lun: l.definition.name, location: l.definition.backend.location, health: l.health }));
  }

  /** Set (or, with empty limits, lift) a cap; queued I/O sees the new rate at once. */
  setLimit(target: ThrottleTarget, limits: ThrottleLimits): AppliedLimit {
    const gate = this.gateFor(target);
    gate.setLimits(limits);
    const applied: AppliedLimit = { target: { ...target }, limits: gate.limits };
    const key = targetKey(target);
    if (gate.limited) this.appliedLimits.set(key, applied);
    else this.appliedLimits.delete(key);
    return applied;
  }

  limits(): readonly AppliedLimit[] {
    return [...this.appliedLimits.values()];
  }

  /**
   * The SLA policy's access lists (see AccessLists for how they meet --allow). New connections
   * are checked against them at once; an open connection whose host lost its LUN, or was cut
   * to read-only, is closed (logged), so no request of it runs under access it no longer has.
   */
  setPolicyAccess(rules: readonly AccessRule[]): AccessUpdate {
    const update = this.access.setPolicy(rules, (lun) => this.lunsByName.has(lun));
    this.options.logger?.info({ luns: update.luns, notExported: update.notExported }, `access lists from the SLA policy: ${update.luns.length} LUN${update.luns.length === 1 ? '' : 's'}`);
    const revoked = [...this.connections].filter((c) => {
      const held = c.accessHeld();
      return held !== null && accessLost(held.mode, this.access.modeFor(held.lun, held.host));
    });
    for (const c of revoked) {
      const held = c.accessHeld()!;
      const reason = `access revoked: host "${held.host}" may no longer ${this.access.modeFor(held.lun, held.host) === null ? 'open' : 'write to'} LUN "${held.lun}"`;
      this.options.logger?.warn({ connection: c.id, host: held.host, lun: held.lun }, `${reason}; connection closed`);
      c.destroy(reason);
    }
    return update;
  }

  /** The access lists in force, per LUN. */
  accessRules(): readonly AccessRule[] {
    return this.access.rules();
  }

  /** Close the current interval of every host, LUN and host/LUN pair and return its figures. */
  rollStats(): readonly IntervalStats[] {
    const now = nowPair();
    this.intervalStart = now;
    for (const { stats: pair } of this.pairStates.values()) {
      this.hostState(pair.host).stats.absorb(pair);
      this.lunsByName.get(pair.lun)?.stats.absorb(pair);
    }
    const stats = [
      ...[...this.hostsByName.values()].map((h) => h.stats.take(now)),
      ...[...this.lunsByName.values()].map((l) => l.stats.take(now)),
      ...[...this.pairStates.values()].map((p) => p.stats.take(now)),
    ];
    this.ageOut();
    this.latest = stats;
    this.emit({ type: 'stats', stats });
    return stats;
  }

  /** Every host/LUN pair's statistics, live (for /metrics, which reads their lifetime counts). */
  *pairs(): Iterable<EntityStats> {
    for (const pair of this.pairStates.values()) yield pair.stats;
  }

  /** The last closed interval (what a poll answers with). */
  latestStats(): readonly IntervalStats[] {
    return this.latest;
  }

  async close(): Promise<void> {
    if (this.statsTimer) clearInterval(this.statsTimer);
    const server = this.server;
    this.server = null;
    for (const c of this.connections) c.destroy('gateway shutting down');
    for (const l of this.lunsByName.values()) l.gate.drain();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all(this.options.luns.map((l) => l.backend.close()));
  }

  /**
   * Hosts and pairs with no connection and no I/O for hostIdleIntervals intervals leave the
   * tables, so short-lived or made-up host names cannot grow them without end. A host or pair
   * with a cap set stays (the cap is configuration, not traffic).
   */
  private ageOut(): void {
    const after = this.bounds.hostIdleIntervals;
    if (after <= 0) return;
    for (const [key, pair] of this.pairStates) {
      const busy = pair.connections > 0 || pair.stats.touched || pair.stats.inFlight > 0;
      pair.stats.touched = false;
      if (busy) { pair.idle = 0; continue; }
      if (++pair.idle < after) continue;
      this.pairStates.delete(key);
      if (!this.appliedLimits.has(key)) this.pairGates.delete(key);
    }
    for (const [name, host] of this.hostsByName) {
      const busy = host.connections > 0 || host.stats.touched || host.stats.inFlight > 0;
      host.stats.touched = false;
      if (busy) { host.idle = 0; continue; }
      if (++host.idle < after || this.appliedLimits.has(targetKey({ host: name }))) continue;
      this.hostsByName.delete(name);
    }
  }

  // ---- used by connections ----

  /** The exports as a client with this evidence of identity sees them (evaluated at each call: TLS may start in between). */
  catalogFor(evidence: () => Evidence, onRefused: (requested: string, reason: string) => void): ExportCatalog {
    return {
      find: (requested) => {
        const choice = this.choose(requested, evidence());
        if (choice !== undefined && 'refused' in choice) onRefused(requested, choice.refused);
        return choice === undefined || 'refused' in choice ? choice : choice.description;
      },
      list: () => {
        const proof = evidence();
        return [...this.lunsByName.values()].flatMap((l) => {
          const choice = this.choose(l.definition.name, proof);
          return choice !== undefined && !('refused' in choice) ? [choice.description] : [];
        });
      },
    };
  }

  /** Who the client is for this export name, whether it may open the LUN, and how (read-only?). */
  choose(requested: string, evidence: Evidence): Choice | ExportRefusal | undefined {
    const lun = this.findLun(requested);
    // A LUN whose backend has never been reached is not offered: its size is unknown.
    if (!lun || lun.definition.backend.ready === false) return undefined;
    const decision = decideAccess(this.rule, this.access, lun.definition.name, requested, evidence);
    if ('refused' in decision) return decision;
    const { attribution, mode } = decision;
    const host = attribution.host;
    const known = this.hostsByName.get(host);
    if (!known && this.hostsByName.size >= this.bounds.maxHosts) {
      this.notices.hit('maxHosts', { host, hosts: this.hostsByName.size }, `host table full (${this.bounds.maxHosts} hosts, --max-hosts): new host "${host}" refused until idle hosts age out`);
      return { refused: `the gateway's host table is full (${this.bounds.maxHosts} hosts)` };
    }
    if (known && known.connections >= this.bounds.maxConnectionsPerHost) {
      this.notices.hit('maxConnectionsPerHost', { host }, `host "${host}" has ${known.connections} connections (--max-connections-per-host ${this.bounds.maxConnectionsPerHost}): one more refused`);
      return { refused: `host "${host}" already has ${known.connections} connections, the most allowed` };
    }
    return { lun, attribution, description: mode === 'ro' ? lun.readOnlyDescription : lun.description };
  }

  /** A connection enters transmission as this host on this LUN (counted until `leave`). */
  join(host: HostState, lun: string): void {
    host.connections++;
    this.pairState(host.name, lun).connections++;
  }

  leave(host: HostState, lun: string): void {
    host.connections--;
    const pair = this.pairStates.get(`${host.name}/${lun}`);
    if (pair) pair.connections--;
  }

  findLun(requested: string): LunState | undefined {
    const { lun } = splitExportName(requested);
    if (lun === '') return this.lunsByName.values().next().value;
    return this.lunsByName.get(lun);
  }

  hostState(name: string): HostState {
    let host = this.hostsByName.get(name);
    if (!host) {
      host = { name, stats: new EntityStats('host', name, '', this.intervalStart), gate: new ThrottleGate<ThrottledIo>(resumeThrottled, this.clock), connections: 0, idle: 0 };
      this.hostsByName.set(name, host);
    }
    return host;
  }

  pairStatsFor(host: string, lun: string): EntityStats {
    return this.pairState(host, lun).stats;
  }

  private pairState(host: string, lun: string): PairState {
    const key = `${host}/${lun}`;
    let pair = this.pairStates.get(key);
    if (!pair) {
      pair = { stats: new EntityStats('pair', host, lun, this.intervalStart), connections: 0, idle: 0 };
      this.pairStates.set(key, pair);
    }
    return pair;
  }

  pairGate(host: string, lun: string): Gate {
    const key = `${host}/${lun}`;
    let gate = this.pairGates.get(key);
    if (!gate) {
      gate = new ThrottleGate<ThrottledIo>(resumeThrottled, this.clock);
      this.pairGates.set(key, gate);
    }
    return gate;
  }

  emit(event: GatewayEvent): void {
    if (event.type === 'protocol-error') this.options.logger?.warn({ connection: event.id, remote: event.remote }, event.reason);
    else if (event.type === 'access-refused') this.options.logger?.warn({ connection: event.id, remote: event.remote, requested: event.requested }, `access refused: ${event.reason}`);
    else if (event.type === 'backend-health') {
      if (event.health.state === 'down') this.options.logger?.error({ lun: event.lun, location: event.location }, `backend down: ${event.health.reason}`);
      else if (event.health.state === 'degraded') this.options.logger?.warn({ lun: event.lun, location: event.location }, `backend degraded: ${event.health.reason}`);
      else this.options.logger?.info({ lun: event.lun, location: event.location }, 'backend up');
    } else if (event.type === 'connection-opened') {
      this.options.logger?.info({ connection: event.id, remote: event.remote, host: event.attribution.host, lun: event.lun, via: event.attribution.via }, 'client connected');
    } else if (event.type === 'connection-closed') {
      this.options.logger?.info({ connection: event.id }, `client disconnected: ${event.reason}`);
    }
    this.events.emit('event', event);
  }

  forget(connection: ClientConnection): void {
    this.connections.delete(connection);
  }

  /** A connection's requests wait for bytes of the gateway-wide budget (logged at most every BUDGET_LOG_INTERVAL_MS). */
  private budgetReached(waiting: number): void {
    const now = performance.now();
    if (now - this.budgetLoggedAt >= BUDGET_LOG_INTERVAL_MS) {
      this.budgetLoggedAt = now;
      this.options.logger?.warn({ heldBytes: this.budget.bytes.held, limitBytes: this.budget.bytes.limit, waiting },
        'gateway in-flight byte budget reached: requests wait and clients are read more slowly (raise --max-inflight-bytes to allow more)');
    }
  }

  private gateFor(target: ThrottleTarget): Gate {
    if (target.lun !== undefined && !this.lunsByName.has(target.lun)) throw new Error(`limit on LUN "${target.lun}": no such export`);
    if (target.host !== undefined && target.lun !== undefined) return this.pairGate(target.host, target.lun);
    if (target.host !== undefined) return this.hostState(target.host).gate;
    if (target.lun !== undefined) return this.lunsByName.get(target.lun)!.gate;
    throw new Error('a limit names a host, a LUN, or both');
  }

  private accept(socket: net.Socket): void {
    if (this.connections.size >= this.bounds.maxConnections) {
      this.notices.hit('maxConnections', { remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` }, `${this.connections.size} connections open (--max-connections ${this.bounds.maxConnections}): new connection closed`);
      socket.destroy();
      return;
    }
    const connection = new ClientConnection(this, socket, this.nextConnectionId++);
    this.connections.add(connection);
  }
}

/** What clients see of a LUN, as read-write and read-only hosts (re-read when its backend comes up). */
function describeLun(definition: LunDefinition): { description: ExportDescription; readOnlyDescription: ExportDescription } {
  const backend = definition.backend;
  // No backend location in what clients see: a file path or upstream URL is the operator's business.
  const description: ExportDescription = {
    name: definition.name, description: definition.description ?? '', size: backend.size,
    transmissionFlags: exportTransmissionFlags(backend.transmissionFlags, definition.readOnly === true),
    ...(backend.blockSize ? { blockSize: backend.blockSize } : {}),
  };
  // What a host with read-only access sees: the same export, advertising only what it may do.
  return { description, readOnlyDescription: { ...description, transmissionFlags: exportTransmissionFlags(backend.transmissionFlags, true) } };
}

function targetKey(target: ThrottleTarget): string {
  return `${target.host ?? '*'}/${target.lun ?? '*'}`;
}

/** One request inside the gateway, with what each stage of the chain keeps on it; pooled per connection. */
class GatewayIo implements BackendIo, ThrottledIo {
  type = 0;
  flags = 0;
  offset = 0;
  length = 0;
  payload: Buffer | null = null;
  cookieHi = 0;
  cookieLo = 0;
  /** When its header arrived (performance.now()): its latency starts here. */
  arrivedAt = 0;
  gatesPassed = 0;
  throttleBytes = 0;
  waited = false;
  throttle: ThrottleResume | null = null;
  /** Bytes of the in-flight budgets this request holds (its read or write data). */
  cost = 0;
  errno = 0;

  constructor(readonly connection: ClientConnection) {}

  complete(errno: number, data: Buffer | null): void {
    this.connection.finish(this, errno, data);
  }
}

/**
 * One client. It negotiates, parses requests, hands each to its data path (a chain of stages
 * built when it enters transmission: access, statistics, byte budget, throttle, backend) and
 * writes the replies; the stages do the rest.
 */
class ClientConnection implements RequestSink, Refusals<GatewayIo>, BackendFaults<GatewayIo>, BudgetListener {
  private handshake: HandshakeSession | null;
  private parser: RequestParser | null = null;
  private readonly out: OutputBatcher;
  private socket: net.Socket;
  private handshakeTimer: NodeJS.Timeout | null;
  private tlsIdentity: string | null = null;
  private readonly address: string;
  private lun: LunState | null = null;
  /** The export as this client was given it (read-only for hosts with read-only access). */
  private chosen: ExportDescription | null = null;
  private host: HostState | null = null;
  /** The head of the data path, and the stages the connection itself talks to. */
  private chain: DataStage<GatewayIo> | null = null;
  private statistics: StatisticsStage<GatewayIo> | null = null;
  private budget: BudgetStage<GatewayIo> | null = null;
  private readonly pool: GatewayIo[] = [];
  /** Requests received and not yet replied to (the client's queue depth as the gateway sees it). */
  private inFlight = 0;
  /** Requests whose reply is in the output batch but not yet handed to the socket. */
  private readonly replied: GatewayIo[] = [];
  private closed = false;
  private disconnecting = false;
  private paused = false;
  /** When the bytes being parsed arrived: a request's latency starts when its header arrives. */
  private arrivedAt = 0;
  /** Negotiated in the handshake: reads and block status then answer in structured chunks. */
  private structuredReplies = false;
  private metaContextId = 0;
  private readonly remote: string;

  constructor(private readonly gateway: NbdGateway, socket: net.Socket, readonly id: number) {
    this.socket = socket;
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const address = this.address = socket.remoteAddress ?? '';
    socket.setNoDelay(true);
    // this.socket, not socket: after STARTTLS replies go through the TLS socket.
    this.out = new OutputBatcher({ write: (bytes, done) => this.socket.write(bytes, done) }, undefined, {
      handoff: () => this.repliesHandedOff(),
      sent: (bytes) => this.budget?.release(bytes),
    });
    this.listen(socket);
    const limits = gateway.bounds;
    const catalog = gateway.catalogFor(
      () => ({ address, tlsIdentity: this.tlsIdentity }),
      (requested, reason) => gateway.emit({ type: 'access-refused', id, remote: this.remote, requested, reason }),
    );
    this.handshake = new HandshakeSession(catalog, {
      maxPayload: gateway.maxPayload, maxOptionBytes: limits.maxOptionBytes, maxDiscardBytes: limits.maxDiscardBytes, tls: gateway.tls?.mode ?? 'off',
    });
    this.handshakeTimer = setTimeout(() => {
      gateway.notices.hit('handshakeTimeoutMs', { connection: id, remote: this.remote }, `handshake not finished within ${limits.handshakeTimeoutMs} ms (--handshake-timeout): disconnected`);
      this.destroy('handshake timeout');
    }, limits.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    socket.write(this.handshake.greeting());
  }

  /** Reading is paced by `updateFlow` (in-flight count and byte budgets), not by 'drain'. */
  private listen(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.destroy('socket error'));
    socket.on('close', () => this.destroy('client closed the connection'));
  }

  /** STARTTLS was acknowledged: from here the socket speaks TLS, and the handshake goes on inside it. */
  private startTls(): void {
    const tls = this.gateway.tls!;
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('drain');
    const secure = tls.upgrade(raw, (identity) => {
      if (this.closed) return;
      this.tlsIdentity = identity;
      this.handshake?.tlsStarted();
    }, (reason) => {
      this.gateway.emit({ type: 'protocol-error', id: this.id, remote: this.remote, reason });
      this.destroy(reason);
    });
    this.socket = secure;
    this.listen(secure);
  }

  /** The host, LUN and mode this connection was given, once in transmission. */
  accessHeld(): { host: string; lun: string; mode: 'rw' | 'ro' } | null {
    if (this.closed || !this.host || !this.lun || !this.chosen) return null;
    return { host: this.host.name, lun: this.lun.definition.name, mode: (this.chosen.transmissionFlags & FLAG_READ_ONLY) !== 0 ? 'ro' : 'rw' };
  }

  destroy(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.out.close();
    this.socket.destroy();
    const now = performance.now();
    for (const io of this.replied) this.settle(io, now);
    this.replied.length = 0;
    // Requests still waiting for budget never reach the backend; the bytes this connection held return.
    if (this.budget) {
      this.gateway.budget.forget(this.budget);
      for (const io of this.budget.close()) { io.errno = ESHUTDOWN; this.settle(io, now); }
    }
    if (this.host && this.lun) this.gateway.leave(this.host, this.lun.definition.name);
    this.gateway.forget(this);
    this.gateway.emit({ type: 'connection-closed', id: this.id, reason });
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.handshake === null && this.parser === null) return;
    this.arrivedAt = performance.now();
    try {
      if (this.parser !== null) {
        if (!this.disconnecting) this.parser.feed(chunk, this);
        this.updateFlow();
        return;
      }
      this.negotiate(chunk);
    } catch (err) {
      // A bug met by one client's input ends that client's connection, never the process.
      const reason = `internal error serving this connection: ${err instanceof Error ? err.message : String(err)}`;
      this.gateway.emit({ type: 'protocol-error', id: this.id, remote: this.remote, reason });
      this.destroy(reason);
    }
  }

  private negotiate(chunk: Buffer): void {
    const result = this.handshake!.feed(chunk);
    for (const bytes of result.output) this.socket.write(bytes);
    const step = result.step;
    if (step.kind === 'negotiating') return;
    if (step.kind === 'starttls') { this.startTls(); return; }
    if (step.kind === 'closed') {
      if (!step.graceful) this.gateway.emit({ type: 'protocol-error', id: this.id, remote: this.remote, reason: `handshake: ${step.reason}` });
      // end(), not destroy(): the replies just written (the ACK to NBD_OPT_ABORT) must still go out.
      this.handshake = null;
      this.disconnecting = true;
      this.socket.end();
      setTimeout(() => this.destroy(step.reason), 2000).unref();
      return;
    }
    this.handshake = null;
    if (this.handshakeTimer) { clearTimeout(this.handshakeTimer); this.handshakeTimer = null; }
    this.structuredReplies = step.structuredReplies;
    this.metaContextId = step.metaContextId;
    // The handshake just accepted this name for this identity, so the choice stands.
    const choice = this.gateway.choose(step.requestedName, { address: this.address, tlsIdentity: this.tlsIdentity });
    if (choice === undefined || 'refused' in choice) { this.destroy('export no longer available'); return; }
    const { lun, attribution } = choice;
    this.lun = lun;
    this.chosen = step.chosen;
    this.host = this.gateway.hostState(attribution.host);
    this.buildChain(attribution.host, lun, step.chosen);
    this.parser = new RequestParser(this.gateway.maxPayload);
    this.gateway.emit({ type: 'connection-opened', id: this.id, remote: this.remote, attribution, lun: lun.definition.name });
    if (step.leftover.length > 0) this.parser.feed(step.leftover, this);
    this.updateFlow();
  }

  /** This connection's data path, as this host on this LUN with the export as it was granted. */
  private buildChain(hostName: string, lun: LunState, granted: ExportDescription): void {
    const gateway = this.gateway;
    const host = this.host!;
    const lunName = lun.definition.name;
    gateway.join(host, lunName);
    const pair = gateway.pairStatsFor(hostName, lunName);
    const backend = new BackendStage<GatewayIo>(lun.definition.backend, this);
    const throttle = new ThrottleStage<GatewayIo>([host.gate, gateway.pairGate(hostName, lunName), lun.gate], pair, backend);
    this.budget = new BudgetStage<GatewayIo>(gateway.connectionInFlightBytes, gateway.budget, this, throttle);
    this.statistics = new StatisticsStage<GatewayIo>(pair, host.stats, lun.stats, this.budget);
    const negotiated = { export: granted, structuredReplies: this.structuredReplies, metaContextId: this.metaContextId };
    this.chain = new AccessStage<GatewayIo>(negotiated, this, this.statistics);
  }

  onRequest(flags: number, type: number, cookieHi: number, cookieLo: number, offset: number, length: number, payload: Buffer | null): void {
    if (this.disconnecting || this.closed) return;
    if (type === CMD_DISC) {
      this.disconnecting = true;
      if (this.inFlight === 0) this.endAfterReplies();
      return;
    }
    const io = this.pool.pop() ?? new GatewayIo(this);
    io.type = type;
    io.flags = flags;
    io.offset = offset;
    io.length = length;
    io.payload = payload;
    io.cookieHi = cookieHi;
    io.cookieLo = cookieLo;
    io.errno = 0;
    io.throttleBytes = type === CMD_READ || type === CMD_WRITE ? length : 0;
    io.cost = io.throttleBytes;
    io.arrivedAt = this.arrivedAt;
    this.inFlight++;
    this.chain!.submit(io);
  }

  /** The access stage refused `io`: answered at once, never counted in flight. */
  refuse(io: GatewayIo, errno: number): void {
    this.inFlight--;
    this.statistics!.reject();
    this.answer(io.type, errno, io.cookieHi, io.cookieLo, io.offset, null, 0);
    io.payload = null;
    this.pool.push(io);
  }

  onOversized(_flags: number, type: number, cookieHi: number, cookieLo: number, offset: number, length: number): void {
    this.statistics!.reject();
    this.gateway.emit({ type: 'protocol-error', id: this.id, remote: this.remote, reason: `${commandName(type)} of ${length} bytes at ${offset} is over the ${this.gateway.maxPayload}-byte maximum payload; refused with EINVAL` });
    this.answer(type, EINVAL, cookieHi, cookieLo, offset, null, 0);
  }

  onMalformed(reason: string): void {
    this.gateway.emit({ type: 'protocol-error', id: this.id, remote: this.remote, reason });
    this.destroy(reason);
  }

  backendThrew(io: GatewayIo, err: unknown): void {
    this.gateway.emit({ type: 'protocol-error', id: this.id, remote: this.remote, reason: `backend failed on ${commandName(io.type)} at ${io.offset}: ${err instanceof Error ? err.message : String(err)}` });
  }

  connectionBudgetReached(heldBytes: number, limitBytes: number): void {
    this.gateway.options.logger?.warn({ connection: this.id, remote: this.remote, heldBytes, limitBytes },
      'connection in-flight byte budget reached: its requests wait and it is read more slowly (raise --max-inflight-bytes-per-connection to allow more)');
  }

  backlogMoved(): void {
    this.updateFlow();
  }

  finish(io: GatewayIo, errno: number, data: Buffer | null): void {
    io.errno = errno;
    io.payload = null;
    if (this.closed) { this.settle(io, performance.now()); return; }
    // Write data is stored (or failed): its bytes return now. A read's return once its
    // reply has left for the socket.
    const replyData = errno === 0 ? data : null;
    const readCredit = io.type === CMD_READ && replyData !== null ? io.cost : 0;
    this.replied.push(io);
    this.answer(io.type, errno, io.cookieHi, io.cookieLo, io.offset, replyData, readCredit);
    this.budget!.release(io.cost - readCredit);
  }

  /** The batch holding these replies goes to the socket: that is when the client's I/O is done. */
  private repliesHandedOff(): void {
    const now = performance.now();
    for (const io of this.replied) this.settle(io, now);
    this.replied.length = 0;
    this.updateFlow();
    // After the batch's write, which runs right after this hook.
    if (this.disconnecting && this.inFlight === 0) queueMicrotask(() => this.endAfterReplies());
  }

  /** `io` is over for the client: every stage it passed sees it settle, then it returns to the pool. */
  private settle(io: GatewayIo, now: number): void {
    this.chain!.settle(io, now);
    this.inFlight--;
    this.pool.push(io);
  }

  /** Read from the client only while it has room: few requests in flight, none waiting for budget. */
  private updateFlow(): void {
    if (this.closed) return;
    const waiting = this.budget !== null && this.budget.waiting > 0;
    if (!this.paused) {
      if (waiting || this.inFlight >= MAX_IN_FLIGHT_PER_CONNECTION) {
        this.paused = true;
        this.socket.pause();
      }
    } else if (!waiting && this.inFlight < MAX_IN_FLIGHT_PER_CONNECTION / 2) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /**
   * Reads and block status answer in chunks once structured replies are negotiated; every
   * other reply, and every reply to a client that did not negotiate them, stays simple.
   * `credit` (a read's budget bytes) returns once the reply's data has been written.
   */
  private answer(type: number, errno: number, cookieHi: number, cookieLo: number, offset: number, data: Buffer | null, credit: number): void {
    if (this.closed) return;
    if (type === CMD_READ) {
      if (!this.structuredReplies) { this.reply(errno, cookieHi, cookieLo, errno === 0 ? data : null, credit); return; }
      if (errno !== 0 || data === null) writeErrorChunk(this.out, cookieHi, cookieLo, errno || EINVAL);
      else { writeReadChunk(this.out, cookieHi, cookieLo, offset, data, credit); return; }
    } else if (type === CMD_BLOCK_STATUS && this.structuredReplies) {
      if (errno !== 0 || data === null || data.length === 0) writeErrorChunk(this.out, cookieHi, cookieLo, errno || EINVAL);
      else writeBlockStatusChunk(this.out, cookieHi, cookieLo, this.metaContextId, data);
    } else {
      this.reply(errno, cookieHi, cookieLo, null, credit);
      return;
    }
    this.out.credit(credit);
  }

  private reply(errno: number, cookieHi: number, cookieLo: number, data: Buffer | null, credit: number): void {
    if (this.closed) return;
    const out = this.out;
    const dataLength = data === null ? 0 : data.length;
    const inline = dataLength <= 64 * 1024;
    const at = out.reserve(inline ? 16 + dataLength : 16);
    const b = out.buffer;
    b.writeUInt32BE(SIMPLE_REPLY_MAGIC, at);
    b.writeUInt32BE(errno, at + 4);
    b.writeUInt32BE(cookieHi, at + 8);
    b.writeUInt32BE(cookieLo, at + 12);
    if (data !== null && inline) data.copy(b, at + 16);
    if (data !== null && !inline) out.append(data, credit);
    else out.credit(credit);
  }

  private endAfterReplies(): void {
    if (this.closed) return;
    this.out.flush();
    this.socket.end();
  }
}

