import type { AccessListWire, ConfigSetting } from '../protocol/index.js';
import type { ThrottleAck, ThrottleRequest } from './events.js';
import type { ShardCommand, ShardEvent } from './mailbox.js';

type Ack = Extract<ShardEvent, { kind: 'throttleAck' }> | Extract<ShardEvent, { kind: 'configAck' }>;

export interface CommandRouterHooks<Slot> {
  /** The worker serving a registered gateway. */
  slotOf(gatewayId: string): Slot | undefined;
  send(slot: Slot, command: ShardCommand): void;
}

/**
 * Command routing: a throttle or config request goes to the worker that serves its gateway,
 * and its acknowledgement comes back by request id; a request nobody answers in time resolves
 * as not done, with the reason. Requests are the daemon's own, so ids are its own numbers.
 */
export class CommandRouter<Slot> {
  private readonly pending = new Map<number, { resolve: (ack: Ack) => void; timer: NodeJS.Timeout }>();
  private nextReqId = 1;

  constructor(private readonly hooks: CommandRouterHooks<Slot>) {}

  async throttle(gatewayId: string, request: ThrottleRequest, timeoutMs = 5000): Promise<ThrottleAck> {
    // Refused here, before a shard has to encode it: the wire carries finite rates, 0 = unlimited.
    for (const [name, value] of [['iopsLimit', request.iopsLimit], ['mbpsLimit', request.mbpsLimit]] as const) {
      if (!(Number.isFinite(value) && value >= 0)) {
        return { gatewayId, host: request.host, lun: request.lun, ok: false, iopsLimit: 0, mbpsLimit: 0, reason: `${name} ${value} is not a rate (a finite number, 0 for unlimited)` };
      }
    }
    const ack = await this.ask(gatewayId, (reqId) => ({ kind: 'throttle', gatewayId, reqId, ...request }), timeoutMs);
    if (ack.kind !== 'throttleAck') return { gatewayId, host: request.host, lun: request.lun, ok: false, iopsLimit: 0, mbpsLimit: 0, reason: ack.reason };
    return { gatewayId, host: request.host, lun: request.lun, ok: ack.ok, iopsLimit: ack.iopsLimit, mbpsLimit: ack.mbpsLimit, reason: ack.reason };
  }

  async configure(gatewayId: string, settings: ConfigSetting[], timeoutMs = 5000): Promise<{ ok: boolean; reason: string }> {
    const ack = await this.ask(gatewayId, (reqId) => ({ kind: 'config', gatewayId, reqId, settings }), timeoutMs);
    return { ok: ack.ok, reason: ack.reason };
  }

  /** Set the gateway's policy access lists (the whole policy layer: an empty list clears it). */
  async setAccess(gatewayId: string, luns: AccessListWire[], timeoutMs = 5000): Promise<{ ok: boolean; reason: string }> {
    const ack = await this.ask(gatewayId, (reqId) => ({ kind: 'access', gatewayId, reqId, luns }), timeoutMs);
    return { ok: ack.ok, reason: ack.reason };
  }

  /** An acknowledgement from a worker; true when it answered a request still waiting. */
  onAck(ack: Ack): boolean {
    const waiter = this.pending.get(ack.reqId);
    if (!waiter) return false;
    this.pending.delete(ack.reqId);
    clearTimeout(waiter.timer);
    waiter.resolve(ack);
    return true;
  }

  stop(): void {
    for (const w of this.pending.values()) clearTimeout(w.timer);
    this.pending.clear();
  }

  private ask(gatewayId: string, make: (reqId: number) => ShardCommand, timeoutMs: number): Promise<Ack> {
    const notDone = (reason: string): Ack => ({ kind: 'configAck', gatewayId, reqId: 0, ok: false, reason });
    const slot = this.hooks.slotOf(gatewayId);
    if (slot === undefined) return Promise.resolve(notDone(`gateway ${gatewayId} is not registered`));
    const reqId = this.nextReqId++;
    return new Promise<Ack>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        resolve(notDone(`gateway ${gatewayId} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(reqId, { resolve, timer });
      this.hooks.send(slot, make(reqId));
    });
  }
}
