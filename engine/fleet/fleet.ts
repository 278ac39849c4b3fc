import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { DEFAULT_FLEET_SECRET } from './secret.js';
import { SimulatedGateway, type GatewayBehaviour, type GatewayCounters } from './simulated-gateway.js';

export interface FleetOptions {
  gateways: number;
  /** Discovery mode: every gateway dials this daemon address. */
  connect?: { host: string; port: number };
  /** Dial-out mode: every gateway listens on its own port on this host and waits for the daemon. */
  listenHost?: string;
  serviceUs?: number;
  /** One secret for all, or one per gateway id. */
  secret?: string | ((gatewayId: string) => string);
  idPrefix?: string;
  hostsPerGateway?: number;
  lunsPerGateway?: number;
  behaviourOf?: (index: number) => GatewayBehaviour;
  reconnect?: boolean;
  /** TLS: as a client, trust this CA; in dial-out mode also serve with key and cert. */
  tls?: { ca?: string; key?: string; cert?: string };
  /** New connections started per ramp step, so a large fleet does not overflow the listen backlog. */
  rampBatch?: number;
}

export interface FleetTotals extends GatewayCounters {
  gateways: number;
  registeredNow: number;
}

export interface Fleet {
  readonly gateways: readonly SimulatedGateway[];
  /** Dial-out mode: where each gateway listens, in gateway order. */
  readonly addresses: readonly { gatewayId: string; host: string; port: number }[];
  totals(): FleetTotals;
  /** Resolves when `count` gateways are registered at once, or rejects after timeoutMs. */
  waitRegistered(count: number, timeoutMs: number): Promise<void>;
  /** Stop one gateway (connection and listener) and start it again on the same address. */
  restart(index: number, downMs?: number): Promise<void>;
  close(): Promise<void>;
}

export { DEFAULT_FLEET_SECRET };

export function gatewayIdOf(prefix: string, index: number): string {
  return `${prefix}${String(index).padStart(5, '0')}`;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const prefix = options.idPrefix ?? 'gw-';
  const secretOf = typeof options.secret === 'function' ? options.secret : () => (options.secret as string | undefined) ?? DEFAULT_FLEET_SECRET;
  const nHosts = options.hostsPerGateway ?? 2;
  const nLuns = options.lunsPerGateway ?? 2;
  const gateways: SimulatedGateway[] = [];
  for (let i = 0; i < options.gateways; i++) {
    const gatewayId = gatewayIdOf(prefix, i);
    gateways.push(
      new SimulatedGateway({
        index: i,
        gatewayId,
        secret: secretOf(gatewayId),
        serviceUs: options.serviceUs ?? 0,
        behaviour: options.behaviourOf?.(i) ?? 'normal',
        hosts: Array.from({ length: nHosts }, (_, h) => `host-${h}`),
        luns: Array.from({ length: nLuns }, (_, l) => `lun-${l}`),
        reconnect: options.reconnect ?? true,
        tlsCa: options.tls?.ca,
      }),
    );
  }

  const servers: (net.Server | null)[] = [];
  const addresses: { gatewayId: string; host: string; port: number }[] = [];
  const listenHost = options.listenHost;
  const listenOne = async (i: number, port: number): Promise<number> => {
    const gw = gateways[i]!;
    const t = options.tls;
    const server = t?.key && t.cert ? tls.createServer({ key: t.key, cert: t.cert }, (socket) => gw.accept(socket)) : net.createServer((socket) => gw.accept(socket));
    server.listen(port, listenHost);
    await once(server, 'listening');
    servers[i] = server;
    return (server.address() as net.AddressInfo).port;
  };
  if (listenHost !== undefined) {
    for (let i = 0; i < gateways.length; i++) {
      addresses.push({ gatewayId: gateways[i]!.id, host: listenHost, port: await listenOne(i, 0) });
    }
  }
  const connect = options.connect;
  if (connect) {
    const batch = options.rampBatch ?? 250;
    for (let i = 0; i < gateways.length; i += batch) {
      for (let j = i; j < Math.min(gateways.length, i + batch); j++) gateways[j]!.dial(connect.host, connect.port);
      if (i + batch < gateways.length) await new Promise((r) => setTimeout(r, 5));
    }
  }

  const totals = (): FleetTotals => {
    const t: FleetTotals = { gateways: gateways.length, registeredNow: 0, registered: 0, polls: 0, throttles: 0, configs: 0, authRefused: 0, redirects: 0, connects: 0, disconnects: 0 };
    for (const g of gateways) {
      if (g.registeredNow) t.registeredNow++;
      for (const k of Object.keys(g.counters) as (keyof GatewayCounters)[]) t[k] += g.counters[k];
    }
    return t;
  };

  return {
    gateways,
    addresses,
    totals,
    async waitRegistered(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (totals().registeredNow < count) {
        if (Date.now() > deadline) throw new Error(`fleet: only ${totals().registeredNow} of ${count} gateways registered after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async restart(index, downMs = 100) {
      const gw = gateways[index];
      if (!gw) throw new Error(`fleet: no gateway ${index}`);
      gw.stop();
      const server = servers[index];
      if (server) {
        server.close();
        servers[index] = null;
      }
      await new Promise((r) => setTimeout(r, downMs));
      if (server) await listenOne(index, addresses[index]!.port);
      else if (connect) gw.dial(connect.host, connect.port);
    },
    async close() {
      for (const g of gateways) g.stop();
      await Promise.all(servers.map((s) => (s ? new Promise<void>((r) => s.close(() => r())) : undefined)));
    },
  };
}
