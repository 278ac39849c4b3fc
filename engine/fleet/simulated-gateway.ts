import net from 'node:net';
import tls from 'node:tls';
import {
  computeAuthMac,
  encodeFrame,
  FrameDecoder,
  SequenceCounter,
  type ControlMessage,
  type DecodedFrame,
} from '../protocol/index.js';
import { simulatedStats } from './stats-model.js';

/** How a simulated gateway misbehaves, for tests of the daemon's isolation of bad peers. */
export type GatewayBehaviour = 'normal' | 'stall' | 'garbage' | 'wrong-secret' | 'liar';

export interface SimulatedGatewayOptions {
  index: number;
  gatewayId: string;
  secret: string;
  serviceUs: number;
  behaviour: GatewayBehaviour;
  hosts: string[];
  luns: string[];
  reconnect: boolean;
  /** TLS to the daemon: the CA (PEM) that signed the daemon's certificate. */
  tlsCa?: string;
}

export interface GatewayCounters {
  registered: number;
  polls: number;
  throttles: number;
  configs: number;
  authRefused: number;
  redirects: number;
  connects: number;
  disconnects: number;
}

const SOFTWARE = 'headroom-fleet/1';
const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 5000;

/**
 * One gateway of the fleet: speaks first on every connection (hello), answers the challenge,
 * registers, and answers polls after its service time. Dials the daemon (discovery mode) or
 * accepts the daemon's connection (dial-out mode).
 */
export class SimulatedGateway {
  readonly counters: GatewayCounters = { registered: 0, polls: 0, throttles: 0, configs: 0, authRefused: 0, redirects: 0, connects: 0, disconnects: 0 };
  /** Throttles in force, by "host/lun", as acknowledged. */
  readonly throttles = new Map<string, { iopsLimit: number; mbpsLimit: number }>();
  private socket: net.Socket | null = null;
  private decoder = new FrameDecoder();
  private readonly seq = new SequenceCounter();
  private home: { host: string; port: number } | null = null;
  private redirectTo: { host: string; port: number } | null = null;
  private backoffMs = BACKOFF_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private pollCount = 0;
  registeredNow = false;

  constructor(readonly options: SimulatedGatewayOptions) {}

  get id(): string {
    return this.options.gatewayId;
  }

  /** Discovery mode: dial the daemon and keep dialling (with backoff) while not stopped. */
  dial(host: string, port: number): void {
    this.home = { host, port };
    this.stopped = false;
    this.open(host, port);
  }

  /** Dial-out mode: the daemon connected to us; any previous connection is replaced. */
  accept(socket: net.Socket): void {
    this.stopped = false;
    if (this.socket) this.socket.destroy();
    this.bind(socket);
    this.start();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.socket?.destroy();
    this.socket = null;
  }

  /** Send an unsolicited alert (seq 0) if connected. */
  alert(code: string, text: string): void {
    this.send(0, { type: 'alert', severity: 'warning', code, text, host: this.options.hosts[0] ?? '', lun: this.options.luns[0] ?? '' });
  }

  private open(host: string, port: number): void {
    const ca = this.options.tlsCa;
    const socket = ca !== undefined ? tls.connect({ host, port, ca, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port, noDelay: true });
    this.bind(socket);
    socket.once(ca !== undefined ? 'secureConnect' : 'connect', () => {
      this.backoffMs = BACKOFF_MIN_MS;
      this.start();
    });
  }

  private bind(socket: net.Socket): void {
    this.socket = socket;
    this.decoder = new FrameDecoder();
    this.registeredNow = false;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
      const { frames, error } = this.decoder.push(chunk);
      for (const f of frames) this.onFrame(f);
      if (error) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.registeredNow = false;
      this.counters.disconnects++;
      this.afterClose();
    });
  }

  private afterClose(): void {
    if (this.stopped || !this.home) return;
    if (this.redirectTo) {
      const to = this.redirectTo;
      this.redirectTo = null;
      this.open(to.host, to.port);
      return;
    }
    if (!this.options.reconnect) return;
    const delay = this.backoffMs * (0.5 + Math.random() * 0.5);
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped && this.home) this.open(this.home.host, this.home.port);
    }, delay);
  }

  private start(): void {
    this.counters.connects++;
    this.send(0, { type: 'hello', gatewayId: this.id, software: SOFTWARE });
  }

  private send(seq: number, message: ControlMessage): void {
    const socket = this.socket;
    if (!socket || socket.destroyed || !socket.writable) return;
    socket.write(encodeFrame(seq, message));
  }

  private onFrame(frame: DecodedFrame): void {
    const m = frame.message;
    switch (m.type) {
      case 'challenge': {
        const secret = this.options.behaviour === 'wrong-secret' ? `${this.options.secret}-wrong` : this.options.secret;
        this.send(frame.seq, { type: 'auth', mac: computeAuthMac(secret, m.nonce, this.id) });
        return;
      }
      case 'authResult':
        if (!m.ok) {
          this.counters.authRefused++;
          return;
        }
        this.send(this.seq.next(), { type: 'register', gatewayId: this.id, luns: this.options.luns.map((lunId) => ({ lunId, sizeBytes: 1 << 30 })), hosts: this.options.hosts });
        return;
      case 'registered':
        this.registeredNow = true;
        this.counters.registered++;
        if (this.options.behaviour === 'garbage') {
          this.socket?.write(Buffer.from('this is not a control frame\r\n'.repeat(4)));
        }
        return;
      case 'redirect':
        this.counters.redirects++;
        this.redirectTo = { host: m.host, port: m.port };
        this.socket?.destroy();
        return;
      case 'poll':
        this.onPoll(frame.seq);
        return;
      case 'throttle':
        this.counters.throttles++;
        this.throttles.set(`${m.host}/${m.lun}`, { iopsLimit: m.iopsLimit, mbpsLimit: m.mbpsLimit });
        this.send(frame.seq, { type: 'throttleAck', ok: true, host: m.host, lun: m.lun, iopsLimit: m.iopsLimit, mbpsLimit: m.mbpsLimit, reason: '' });
        return;
      case 'access': // a simulated gateway has no clients to keep out; it acknowledges like config
      case 'config':
        this.counters.configs++;
        this.send(frame.seq, { type: 'configAck', ok: true, reason: '' });
        return;
      case 'bye':
        this.socket?.end();
        return;
      default:
        return;
    }
  }

  private onPoll(seq: number): void {
    if (this.options.behaviour === 'stall') return;
    this.counters.polls++;
    const n = this.pollCount++;
    const entries = simulatedStats(this.options.index, n, this.options.hosts, this.options.luns);
    // A liar's figures decode perfectly well; only their meaning is impossible.
    if (this.options.behaviour === 'liar' && entries[0]) entries[0] = { ...entries[0], iops: -entries[0].iops };
    const reply = (): void => this.send(seq, { type: 'stats', intervalMs: 1000, entries });
    // Timers have millisecond granularity: shorter service times answer on the next loop turn.
    if (this.options.serviceUs >= 1000) setTimeout(reply, this.options.serviceUs / 1000);
    else setImmediate(reply);
  }
}
