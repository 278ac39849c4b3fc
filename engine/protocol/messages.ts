import { PayloadReader, PayloadWriter } from './binary.js';
import { readAccessLists, writeAccessLists, type AccessListWire } from './access.js';

/** A LUN a gateway exports, as announced in `register`. */
export interface LunInfo {
  lunId: string;
  sizeBytes: number;
}

/** One application host's traffic to one LUN over the last interval. */
export interface StatsEntry {
  host: string;
  lun: string;
  iops: number;
  mbps: number;
  latencyP50Us: number;
  latencyP95Us: number;
  latencyP99Us: number;
  queueDepth: number;
}

export interface ConfigSetting {
  key: string;
  value: string;
}

export type AlertSeverity = 'info' | 'warning' | 'critical';
const severities: readonly AlertSeverity[] = ['info', 'warning', 'critical'];

/**
 * Every message of the gateway control protocol. Direction in brackets:
 * G→D gateway to daemon, D→G daemon to gateway.
 *
 * Handshake: on every new connection the gateway speaks first with `hello`. The daemon answers
 * `challenge` (a fresh nonce), the gateway `auth` (HMAC-SHA256, see auth.ts), the daemon
 * `authResult`; a refused gateway is then disconnected. An authenticated gateway sends
 * `register`, answered by `registered`. A registered gateway sends `register` again (seq 0, not
 * answered) when it meets a host or LUN it has not announced: hosts are known only once they
 * connect. A daemon's discovery port may instead answer `hello` with `redirect`: the gateway
 * closes and connects to the given shard address, starting over.
 * A reply carries the sequence number of its request.
 */
export type ControlMessage =
  | { type: 'hello'; gatewayId: string; software: string } // G→D
  | { type: 'challenge'; nonce: Uint8Array } // D→G
  | { type: 'auth'; mac: Uint8Array } // G→D
  | { type: 'authResult'; ok: boolean; reason: string } // D→G
  | { type: 'register'; gatewayId: string; luns: LunInfo[]; hosts: string[] } // G→D
  | { type: 'registered'; pollIntervalMs: number } // D→G
  | { type: 'redirect'; host: string; port: number } // D→G
  | { type: 'poll'; intervalMs: number } // D→G
  | { type: 'stats'; intervalMs: number; entries: StatsEntry[] } // G→D, reply to poll
  | { type: 'throttle'; host: string; lun: string; iopsLimit: number; mbpsLimit: number } // D→G, 0 = unlimited
  | { type: 'throttleAck'; ok: boolean; host: string; lun: string; iopsLimit: number; mbpsLimit: number; reason: string } // G→D
  | { type: 'config'; settings: ConfigSetting[] } // D→G
  | { type: 'configAck'; ok: boolean; reason: string } // G→D, also the answer to access
  | { type: 'access'; luns: AccessListWire[] } // D→G: the policy's access lists for this gateway (see access.ts)
  | { type: 'alert'; severity: AlertSeverity; code: string; text: string; host: string; lun: string } // G→D, unsolicited
  | { type: 'bye'; reason: string } // either way
  | { type: 'error'; code: string; text: string }; // either way, a protocol complaint before closing

export type MessageType = ControlMessage['type'];
export type MessageOf<T extends MessageType> = Extract<ControlMessage, { type: T }>;

/** Wire codes; never renumber (add new ones at the end and bump nothing: unknown codes are refused). */
export const messageCodes: Readonly<Record<MessageType, number>> = {
  hello: 1,
  challenge: 2,
  auth: 3,
  authResult: 4,
  register: 5,
  registered: 6,
  redirect: 7,
  poll: 8,
  stats: 9,
  throttle: 10,
  throttleAck: 11,
  config: 12,
  configAck: 13,
  alert: 14,
  bye: 15,
  error: 16,
  access: 17,
};

const typeByCode: ReadonlyMap<number, MessageType> = new Map(
  (Object.entries(messageCodes) as [MessageType, number][]).map(([t, c]) => [c, t]),
);

export function messageTypeOfCode(code: number): MessageType | undefined {
  return typeByCode.get(code);
}

export function writePayload(w: PayloadWriter, m: ControlMessage): void {
  switch (m.type) {
    case 'hello':
      w.str(m.gatewayId).str(m.software);
      return;
    case 'challenge':
      w.bytes(m.nonce);
      return;
    case 'auth':
      w.bytes(m.mac);
      return;
    case 'authResult':
      w.u8(m.ok ? 1 : 0).str(m.reason);
      return;
    case 'register':
      w.str(m.gatewayId).count(m.luns.length);
      for (const lun of m.luns) w.str(lun.lunId).f64(lun.sizeBytes);
      w.count(m.hosts.length);
      for (const host of m.hosts) w.str(host);
      return;
    case 'registered':
      w.u32(m.pollIntervalMs);
      return;
    case 'redirect':
      w.str(m.host).u16(m.port);
      return;
    case 'poll':
      w.u32(m.intervalMs);
      return;
    case 'stats':
      w.u32(m.intervalMs).count(m.entries.length);
      for (const e of m.entries) {
        w.str(e.host).str(e.lun).f64(e.iops).f64(e.mbps);
        w.f64(e.latencyP50Us).f64(e.latencyP95Us).f64(e.latencyP99Us).f64(e.queueDepth);
      }
      return;
    case 'throttle':
      w.str(m.host).str(m.lun).f64(m.iopsLimit).f64(m.mbpsLimit);
      return;
    case 'throttleAck':
      w.u8(m.ok ? 1 : 0).str(m.host).str(m.lun).f64(m.iopsLimit).f64(m.mbpsLimit).str(m.reason);
      return;
    case 'config':
      w.count(m.settings.length);
      for (const s of m.settings) w.str(s.key).str(s.value);
      return;
    case 'configAck':
      w.u8(m.ok ? 1 : 0).str(m.reason);
      return;
    case 'alert':
      w.u8(severities.indexOf(m.severity)).str(m.code).str(m.text).str(m.host).str(m.lun);
      return;
    case 'bye':
      w.str(m.reason);
      return;
    case 'error':
      w.str(m.code).str(m.text);
      return;
    case 'access':
      writeAccessLists(w, m.luns);
      return;
  }
}

/** Reads one payload; on a problem the reader holds it and the returned value is meaningless. */
export function readPayload(r: PayloadReader, type: MessageType): ControlMessage {
  switch (type) {
    case 'hello':
      return { type, gatewayId: r.str('gatewayId'), software: r.str('software') };
    case 'challenge':
      return { type, nonce: r.bytes('nonce') };
    case 'auth':
      return { type, mac: r.bytes('mac') };
    case 'authResult':
      return { type, ok: r.bool('ok'), reason: r.str('reason') };
    case 'register': {
      const gatewayId = r.str('gatewayId');
      const nLuns = r.count('luns', 10);
      const luns: LunInfo[] = [];
      for (let i = 0; i < nLuns && !r.problem; i++) luns.push({ lunId: r.str(`luns[${i}].lunId`), sizeBytes: r.f64(`luns[${i}].sizeBytes`) });
      const nHosts = r.count('hosts', 2);
      const hosts: string[] = [];
      for (let i = 0; i < nHosts && !r.problem; i++) hosts.push(r.str(`hosts[${i}]`));
      return { type, gatewayId, luns, hosts };
    }
    case 'registered':
      return { type, pollIntervalMs: r.u32('pollIntervalMs') };
    case 'redirect':
      return { type, host: r.str('host'), port: r.u16('port') };
    case 'poll':
      return { type, intervalMs: r.u32('intervalMs') };
    case 'stats': {
      const intervalMs = r.u32('intervalMs');
      const n = r.count('entries', 52);
      const entries: StatsEntry[] = [];
      for (let i = 0; i < n && !r.problem; i++) {
        entries.push({
          host: r.str('entries.host'),
          lun: r.str('entries.lun'),
          iops: r.f64('entries.iops'),
          mbps: r.f64('entries.mbps'),
          latencyP50Us: r.f64('entries.latencyP50Us'),
          latencyP95Us: r.f64('entries.latencyP95Us'),
          latencyP99Us: r.f64('entries.latencyP99Us'),
          queueDepth: r.f64('entries.queueDepth'),
        });
      }
      return { type, intervalMs, entries };
    }
    case 'throttle':
      return { type, host: r.str('host'), lun: r.str('lun'), iopsLimit: r.f64('iopsLimit'), mbpsLimit: r.f64('mbpsLimit') };
    case 'throttleAck':
      return {
        type,
        ok: r.bool('ok'),
        host: r.str('host'),
        lun: r.str('lun'),
        iopsLimit: r.f64('iopsLimit'),
        mbpsLimit: r.f64('mbpsLimit'),
        reason: r.str('reason'),
      };
    case 'config': {
      const n = r.count('settings', 4);
      const settings: ConfigSetting[] = [];
      for (let i = 0; i < n && !r.problem; i++) settings.push({ key: r.str('settings.key'), value: r.str('settings.value') });
      return { type, settings };
    }
    case 'configAck':
      return { type, ok: r.bool('ok'), reason: r.str('reason') };
    case 'alert': {
      const at = r.position;
      const code = r.u8('severity');
      const severity = severities[code];
      if (severity === undefined && !r.problem) r.fail(`severity ${code} is not 0 (info), 1 (warning) or 2 (critical)`, at);
      return { type, severity: severity ?? 'info', code: r.str('code'), text: r.str('text'), host: r.str('host'), lun: r.str('lun') };
    }
    case 'bye':
      return { type, reason: r.str('reason') };
    case 'error':
      return { type, code: r.str('code'), text: r.str('text') };
    case 'access':
      return { type, luns: readAccessLists(r) };
  }
}
