import type { RegisteredGateway } from './events.js';

/**
 * Registration: which gateways are registered, on which worker. Only authenticated gateways
 * enter it (a shard reports `registered` after the HMAC check), so its size is bounded by the
 * gateways that hold a secret, however many peers say hello.
 */
export class GatewayRegistry<Slot> {
  private readonly byId = new Map<string, RegisteredGateway & { slot: Slot }>();

  get size(): number {
    return this.byId.size;
  }

  get(gatewayId: string): (RegisteredGateway & { slot: Slot }) | undefined {
    return this.byId.get(gatewayId);
  }

  ids(): IterableIterator<string> {
    return this.byId.keys();
  }

  all(): RegisteredGateway[] {
    return [...this.byId.values()].map(({ slot: _slot, ...g }) => g);
  }

  /** The workers serving at least one registered gateway. */
  slots(): Set<Slot> {
    const out = new Set<Slot>();
    for (const g of this.byId.values()) out.add(g.slot);
    return out;
  }

  countOn(slot: Slot): number {
    let n = 0;
    for (const g of this.byId.values()) if (g.slot === slot) n++;
    return n;
  }

  /**
   * Records a registration (or an inventory update). Returns the worker that held the gateway
   * before, when it was another one: two connections for one id raced to different workers, and
   * the older one must be closed there.
   */
  register(slot: Slot, gateway: RegisteredGateway): Slot | null {
    const before = this.byId.get(gateway.gatewayId);
    this.byId.set(gateway.gatewayId, { ...gateway, slot });
    return before && before.slot !== slot ? before.slot : null;
  }

  /** Forgets a registration if `slot` holds it; false when it is another worker's (then nothing changed). */
  unregister(slot: Slot, gatewayId: string): boolean {
    if (this.byId.get(gatewayId)?.slot !== slot) return false;
    this.byId.delete(gatewayId);
    return true;
  }

  /** Forgets every gateway of a worker that exited; returns their ids. */
  dropSlot(slot: Slot): string[] {
    const lost: string[] = [];
    for (const [id, g] of this.byId) if (g.slot === slot) lost.push(id);
    for (const id of lost) this.byId.delete(id);
    return lost;
  }
}
