import net from 'node:net';
import {
  FrameDecoder, SequenceCounter, computeAuthMac, encodeFrame, protocolErrorText,
  type ControlMessage, type DecodedFrame, type StatsEntry,
} from '../protocol/index.js';
import type { Logger } from '../runtime/index.js';
import type { ExportDescription } from './handshake.js';
import type { IntervalStats } from './stats.js';
import type { ThrottleLimits } from './throttle.js';
import type { BackendHealth } from './backend.js';
import type { AccessRule, AccessUpdate } from './access.js';
import type { AppliedLimit, GatewayEvent, ThrottleTarget } from './gateway.js';

/**
 * What the control agent needs from a gateway. NbdGateway provides it; a simulated
 * gateway could too.
 */
export interface GatewayControlSurface {
  exports(): readonly ExportDescription[];
  hosts(): readonly string[];
  rollStats(): readonly IntervalStats[];
  latestStats(): readonly IntervalStats[];
  setLimit(target: ThrottleTarget, limits: ThrottleLimits): AppliedLimit;
  on(listener: (event: GatewayEvent) => void): () => void;
  /** Each LUN's backend health now, so failures from before the agent started are alerted too. */
  lunHealth?(): readonly { lun: string; location: string; health: BackendHealth }[];
  /** The SLA policy's per-LUN access lists (replacing the previous ones); absent: this gateway enforces none. */
  setPolicyAccess?(rules: readonly AccessRule[]): AccessUpdate;
}

export interface ControlAgentOptions {
  readonly server: { readonly host: string; readonly port: number };
  readonly secret: string;
  readonly gatewayId: string;
  readonly gateway: GatewayControlSurface;
  /**
   * True: each poll closes a statistics interval (the interval is the time between polls).
   * False: polls are answered with the gateway's last closed interval (its own timer rolls them).
   */
  readonly rollOnPoll: boolean;
  readonly logger?: Logger;
  readonly reconnectMs?: number;
}

export type AgentState = 'connecting' | 'authenticating' | 'registered' | 'refused' | 'disconnected' | 'stopped';

const SOFTWARE = 'headroom-gateway/1';

/** Statistics entries as the daemon wants them: one per host/LUN pair. */
export function statsEntries(stats: readonly IntervalStats[]): StatsEntry[] {
  return stats.filter((s) => s.kind === 'pair').map((s) => ({
    host: s.host,
    lun: s.lun,
    iops: s.readIops + s.writeIops + s.otherIops,
    mbps: s.readMBps + s.writeMBps,
    latencyP50Us: s.latencyUs.p50,
    latencyP95Us: s.latencyUs.p95,
    latencyP99Us: s.latencyUs.p99,
    queueDepth: s.queueDepthMean,
  }));
}

/** `host` '' means every host on the LUN, `lun` '' every LUN of the host. */
export function throttleTargetOf(host: string, lun: string): ThrottleTarget | null {
  if (host === '' && lun === '') return null;
  return { ...(host !== '' ? { host } : {}), ...(lun !== '' ? { lun } : {}) };
}

/**
 * The gateway's side of the control protocol: dials the SLA server, authenticates
 * (HMAC challenge), registers LUNs and hosts, answers polls with statistics, applies
 * throttle requests and acknowledges them, and raises an alert when a LUN's backend
 * fails. Reconnects with backoff; follows redirects.
 */
export class ControlAgent {
  private socket: net.Socket | null = null;
  private decoder = new FrameDecoder();
  private seq = new SequenceCounter();
  private stateValue: AgentState = 'connecting';
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private target: { host: string; port: number };
  private backoffMs: number;
  private redirected = false;
  private readonly unsubscribe: () => void;
  private readonly listeners: ((state: AgentState, detail: string) => void)[] = [];
  /** Polls answered and throttle requests applied or refused since start (read by /metrics). */
  readonly activity = { polls: 0, throttlesApplied: 0, throttlesRefused: 0 };
  /** Alerts raised while not registered, sent once registered (bounded: the latest win). */
  private pendingAlerts: ControlMessage[] = [];
  /** The hosts the server was last told about. */
  private registeredHosts = new Set<string>();

  constructor(private readonly options: ControlAgentOptions) {
    this.target = { ...options.server };
    this.backoffMs = options.reconnectMs ?? 500;
    this.unsubscribe = options.gateway.on((event) => this.onGatewayEvent(event));
    for (const { lun, location, health } of options.gateway.lunHealth?.() ?? []) {
      if (health.state !== 'up') this.onGatewayEvent({ type: 'backend-health', lun, location, health });
    }
  }

  get state(): AgentState {
    return this.stateValue;
  }

  onState(listener: (state: AgentState, detail: string) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.retry) clearTimeout(this.retry);
    const socket = this.socket;
    this.socket = null;
    if (socket && !socket.destroyed) {
      this.sendOn(socket, 0, { type: 'bye', reason: 'gateway stopping' });
      await new Promise<void>((resolve) => { socket.end(() => resolve()); setTimeout(resolve, 500).unref(); });
      socket.destroy();
    }
    this.setState('stopped', 'stopped');
  }

  private setState(state: AgentState, detail: string): void {
    this.stateValue = state;
    const log = this.options.logger;
    if (state === 'refused') log?.error({ server: this.target }, `control server refused this gateway: ${detail}`);
    else log?.info({ server: this.target, state }, detail);
    for (const l of this.listeners) l(state, detail);
  }

  private open(): void {
    if (this.stopped) return;
    this.setState('connecting', `dialling ${this.target.host}:${this.target.port}`);
    const socket = net.connect({ host: this.target.host, port: this.target.port });
    this.socket = socket;
    this.decoder = new FrameDecoder();
    this.seq = new SequenceCounter();
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.setState('authenticating', 'connected');
      this.send(0, { type: 'hello', gatewayId: this.options.gatewayId, software: SOFTWARE });
    });
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
      const { frames, error } = this.decoder.push(chunk);
      for (const frame of frames) this.onFrame(frame);
      if (error) {
        this.send(0, { type: 'error', code: 'bad-frame', text: protocolErrorText(error) });
        this.options.logger?.warn({ server: this.target }, `control stream: ${protocolErrorText(error)}`);
        socket.destroy();
      }
    });
    socket.on('error', (err) => this.options.logger?.warn({ server: this.target }, `control connection: ${err.message}`));
    socket.on('close', () => {
      if (socket !== this.socket) return;
      this.socket = null;
      if (this.stateValue !== 'refused') this.setState('disconnected', 'control connection closed');
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.stateValue === 'refused') return;
    // A redirect is followed at once; a lost connection is redialled with growing delays.
    const delay = this.redirected ? 0 : this.backoffMs;
    if (this.redirected) this.redirected = false;
    else this.backoffMs = Math.min(30_000, this.backoffMs * 2);
    this.retry = setTimeout(() => { this.retry = null; this.open(); }, delay);
    this.retry.unref();
  }

  private send(seq: number, message: ControlMessage): void {
    if (this.socket) this.sendOn(this.socket, seq, message);
  }

  private sendOn(socket: net.Socket, seq: number, message: ControlMessage): void {
    if (!socket.destroyed && socket.writable) socket.write(encodeFrame(seq, message));
  }

  private onFrame(frame: DecodedFrame): void {
    const m = frame.message;
    switch (m.type) {
      case 'challenge':
        this.send(frame.seq, { type: 'auth', mac: computeAuthMac(this.options.secret, m.nonce, this.options.gatewayId) });
        return;
      case 'authResult':
        if (!m.ok) {
          this.setState('refused', m.reason || 'authentication refused');
          this.socket?.destroy();
          return;
        }
        this.send(this.seq.next(), this.registration());
        return;
      case 'registered':
        this.backoffMs = this.options.reconnectMs ?? 500;
        this.setState('registered', `registered; polls every ${m.pollIntervalMs} ms`);
        for (const alert of this.pendingAlerts) this.send(0, alert);
        this.pendingAlerts = [];
        return;
      case 'redirect':
        this.options.logger?.info({ from: this.target, to: { host: m.host, port: m.port } }, 'redirected');
        this.target = { host: m.host, port: m.port };
        this.redirected = true;
        this.socket?.destroy();
        return;
      case 'poll': {
        const stats = this.options.rollOnPoll ? this.options.gateway.rollStats() : this.options.gateway.latestStats();
        const intervalMs = stats[0] ? Math.round(stats[0].seconds * 1000) : m.intervalMs;
        this.send(frame.seq, { type: 'stats', intervalMs, entries: statsEntries(stats) });
        this.activity.polls++;
        return;
      }
      case 'throttle': {
        const reply = this.applyThrottle(m.host, m.lun, m.iopsLimit, m.mbpsLimit);
        this.activity[reply.type === 'throttleAck' && reply.ok ? 'throttlesApplied' : 'throttlesRefused']++;
        this.send(frame.seq, reply);
        return;
      }
      case 'access':
        this.send(frame.seq, this.applyAccess(m.luns));
        return;
      case 'config':
        // No setting is adjustable remotely yet; say which, rather than pretend.
        this.send(frame.seq, m.settings.length === 0
          ? { type: 'configAck', ok: true, reason: '' }
          : { type: 'configAck', ok: false, reason: `unsupported setting${m.settings.length > 1 ? 's' : ''}: ${m.settings.map((s) => s.key).join(', ')}` });
        return;
      case 'bye':
        this.socket?.end();
        return;
      case 'error':
        this.options.logger?.warn({ server: this.target, code: m.code }, `control server complained: ${m.text}`);
        return;
      default:
        return;
    }
  }

  private applyThrottle(host: string, lun: string, iopsLimit: number, mbpsLimit: number): ControlMessage {
    const ack = { type: 'throttleAck' as const, host, lun, iopsLimit, mbpsLimit };
    const target = throttleTargetOf(host, lun);
    if (target === null) return { ...ack, ok: false, reason: 'a throttle names a host, a LUN, or both' };
    if (!(iopsLimit >= 0) || !(mbpsLimit >= 0)) return { ...ack, ok: false, reason: 'limits must be >= 0 (0 = unlimited)' };
    try {
      const applied = this.options.gateway.setLimit(target, { iops: iopsLimit, mbps: mbpsLimit });
      this.options.logger?.info({ target: applied.target, limits: applied.limits }, 'throttle applied');
      return { ...ack, ok: true, reason: '' };
    } catch (err) {
      return { ...ack, ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * Only from a server this gateway registered with: before that, the peer has not even
   * completed the handshake. The decoder has range-checked every name, count and mode.
   */
  private applyAccess(rules: readonly AccessRule[]): ControlMessage {
    const apply = this.options.gateway.setPolicyAccess?.bind(this.options.gateway);
    if (this.stateValue !== 'registered') return { type: 'configAck', ok: false, reason: 'access lists are taken only once registered' };
    // No lists asked for is what a gateway without access control already has.
    if (!apply) return rules.length === 0 ? { type: 'configAck', ok: true, reason: '' } : { type: 'configAck', ok: false, reason: 'this gateway does not enforce access lists' };
    try {
      const update = apply(rules);
      return { type: 'configAck', ok: true, reason: update.notExported.length ? `not exported here: ${update.notExported.join(', ')}` : '' };
    } catch (err) {
      return { type: 'configAck', ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  private registration(): ControlMessage {
    const hosts = [...this.options.gateway.hosts()];
    this.registeredHosts = new Set(hosts);
    return { type: 'register', gatewayId: this.options.gatewayId, luns: this.options.gateway.exports().map((e) => ({ lunId: e.name, sizeBytes: e.size })), hosts };
  }

  private onGatewayEvent(event: GatewayEvent): void {
    // Hosts are known only once they connect: the server learns of a new one by a repeated
    // register (seq 0, unanswered), so its inventory is not limited to the hosts seen at start.
    if (event.type === 'connection-opened') {
      if (this.stateValue === 'registered' && !this.registeredHosts.has(event.attribution.host)) this.send(0, this.registration());
      return;
    }
    if (event.type !== 'backend-health') return;
    const health = event.health;
    const alert: ControlMessage = health.state === 'down'
      ? { type: 'alert', severity: 'critical', code: 'backend-down', text: health.reason, host: '', lun: event.lun }
      : health.state === 'degraded'
        ? { type: 'alert', severity: 'warning', code: 'backend-degraded', text: health.reason, host: '', lun: event.lun }
        : { type: 'alert', severity: 'info', code: 'backend-up', text: `${event.location} is back`, host: '', lun: event.lun };
    if (this.stateValue === 'registered') this.send(0, alert);
    else this.pendingAlerts = [...this.pendingAlerts, alert].slice(-32);
  }
}
