import { Counter, Gauge, type Registry } from 'prom-client';
import { LATENCY_BUCKET_BOUNDS_US, type AgentState, type AppliedLimit, type EntityStats, type IntervalStats } from '../gateway/index.js';
import { registerCountedHistogram, type CountedSeries } from './histogram.js';

/** What /metrics reads from a gateway, at scrape time. NbdGateway provides it. */
export interface GatewayMetricsSource {
  pairs(): Iterable<EntityStats>;
  latestStats(): readonly IntervalStats[];
  limits(): readonly AppliedLimit[];
  lunHealth(): readonly { lun: string; health: { state: string } }[];
  readonly maxPayload: number;
}

/** What /metrics reads from the gateway's control agent, when it has one. */
export interface AgentMetricsSource {
  readonly state: AgentState;
  readonly activity: { readonly polls: number; readonly throttlesApplied: number; readonly throttlesRefused: number };
}

/** Series per metric past which pairs are left out (host names come from clients). */
export const MAX_SERIES = 5_000;

const ALL = '*';

function* capped<T>(items: Iterable<T>): Iterable<T> {
  let n = 0;
  for (const item of items) { if (n++ >= MAX_SERIES) return; yield item; }
}

/**
 * The gateway's metrics: lifetime I/O, bytes, errors, throttle waits and latency histograms per
 * host/LUN pair (sum by host or by lun in PromQL for either view), the last interval's rates per
 * host and per LUN, its throttle caps, its control agent's polls and throttle requests, and its
 * bounds. Every value is read from the gateway's own statistics when Prometheus scrapes.
 */
export function registerGatewayMetrics(registry: Registry, gateway: GatewayMetricsSource, agent: AgentMetricsSource | null = null): void {
  const registers = [registry];
  const pairs = (): Iterable<EntityStats> => capped(gateway.pairs());
  new Counter({
    name: 'headroom_gateway_io_total', help: 'I/O requests completed since the gateway started, per host/LUN pair (op: read, write, other = flush, trim, write-zeroes).',
    labelNames: ['host', 'lun', 'op'] as const, registers,
    collect() {
      this.reset();
      for (const p of pairs()) {
        const l = p.lifetime;
        this.inc({ host: p.host, lun: p.lun, op: 'read' }, l.readOps);
        this.inc({ host: p.host, lun: p.lun, op: 'write' }, l.writeOps);
        this.inc({ host: p.host, lun: p.lun, op: 'other' }, l.otherOps);
      }
    },
  });
  new Counter({
    name: 'headroom_gateway_io_bytes_total', help: 'Bytes read and written since the gateway started, per host/LUN pair.',
    labelNames: ['host', 'lun', 'op'] as const, registers,
    collect() {
      this.reset();
      for (const p of pairs()) {
        this.inc({ host: p.host, lun: p.lun, op: 'read' }, p.lifetime.readBytes);
        this.inc({ host: p.host, lun: p.lun, op: 'write' }, p.lifetime.writeBytes);
      }
    },
  });
  new Counter({
    name: 'headroom_gateway_io_errors_total', help: 'I/O requests that failed or were refused, per host/LUN pair.',
    labelNames: ['host', 'lun'] as const, registers,
    collect() { this.reset(); for (const p of pairs()) this.inc({ host: p.host, lun: p.lun }, p.lifetime.errors); },
  });
  new Counter({
    name: 'headroom_gateway_io_throttled_total', help: 'I/O requests that waited at a throttle cap, per host/LUN pair.',
    labelNames: ['host', 'lun'] as const, registers,
    collect() { this.reset(); for (const p of pairs()) this.inc({ host: p.host, lun: p.lun }, p.lifetime.throttled); },
  });
  registerCountedHistogram(registry, {
    name: 'headroom_gateway_io_latency_seconds',
    help: 'Latency of completed reads and writes, from arrival at the gateway (throttle wait included) to the reply, per host/LUN pair.',
    bounds: LATENCY_BUCKET_BOUNDS_US.map((us) => us / 1e6),
    collect: function* (): Iterable<CountedSeries> {
      for (const p of pairs()) {
        yield { labels: { host: p.host, lun: p.lun, op: 'read' }, buckets: p.lifetime.read.buckets, sum: p.lifetime.read.sumUs / 1e6 };
        yield { labels: { host: p.host, lun: p.lun, op: 'write' }, buckets: p.lifetime.write.buckets, sum: p.lifetime.write.sumUs / 1e6 };
      }
    },
  });

  // The last closed statistics interval, as the SLA server and --stats-interval see it.
  const latest = (kind: 'host' | 'lun'): IntervalStats[] => [...capped(gateway.latestStats().filter((s) => s.kind === kind))];
  for (const kind of ['host', 'lun'] as const) {
    new Gauge({
      name: `headroom_gateway_${kind}_iops`, help: `Operations per second of each ${kind === 'host' ? 'host (all its LUNs)' : 'LUN (all hosts)'} over the last statistics interval.`,
      labelNames: [kind, 'op'] as const, registers,
      collect() {
        this.reset();
        for (const s of latest(kind)) {
          const name = kind === 'host' ? s.host : s.lun;
          this.set({ [kind]: name, op: 'read' }, s.readIops);
          this.set({ [kind]: name, op: 'write' }, s.writeIops);
          this.set({ [kind]: name, op: 'other' }, s.otherIops);
        }
      },
    });
    new Gauge({
      name: `headroom_gateway_${kind}_bytes_per_second`, help: `Bytes per second read and written by each ${kind} over the last statistics interval.`,
      labelNames: [kind, 'op'] as const, registers,
      collect() {
        this.reset();
        for (const s of latest(kind)) {
          const name = kind === 'host' ? s.host : s.lun;
          this.set({ [kind]: name, op: 'read' }, s.readMBps * 1e6);
          this.set({ [kind]: name, op: 'write' }, s.writeMBps * 1e6);
        }
      },
    });
    new Gauge({
      name: `headroom_gateway_${kind}_queue_depth`, help: `Mean requests inside the gateway (queued or at the backend) seen by each ${kind}'s arrivals over the last interval.`,
      labelNames: [kind] as const, registers,
      collect() { this.reset(); for (const s of latest(kind)) this.set({ [kind]: kind === 'host' ? s.host : s.lun }, s.queueDepthMean); },
    });
  }
  new Gauge({
    name: 'headroom_gateway_stats_interval_seconds', help: 'Length of the last closed statistics interval (the rates above cover it).', registers,
    collect() { const s = gateway.latestStats()[0]; this.set(s ? s.seconds : 0); },
  });

  const caps = (pick: (l: AppliedLimit) => number | undefined, scale: number) => function (this: Gauge<'host' | 'lun'>): void {
    this.reset();
    for (const l of capped(gateway.limits())) {
      const v = pick(l);
      if (v !== undefined && Number.isFinite(v) && v > 0) this.set({ host: l.target.host ?? ALL, lun: l.target.lun ?? ALL }, v * scale);
    }
  };
  new Gauge({
    name: 'headroom_gateway_throttle_cap_iops', help: 'Throttle caps in force, operations per second (host or lun "*": every host of the LUN, every LUN of the host).',
    labelNames: ['host', 'lun'] as const, registers, collect: caps((l) => l.limits.iops, 1),
  });
  new Gauge({
    name: 'headroom_gateway_throttle_cap_bytes_per_second', help: 'Throttle caps in force, bytes per second (host or lun "*": every host of the LUN, every LUN of the host).',
    labelNames: ['host', 'lun'] as const, registers, collect: caps((l) => l.limits.mbps, 1e6),
  });
  new Gauge({
    name: 'headroom_gateway_lun_up', help: "1 while a LUN's backend answers, 0 while it is down.", labelNames: ['lun'] as const, registers,
    collect() { this.reset(); for (const l of gateway.lunHealth()) this.set({ lun: l.lun }, l.health.state === 'down' ? 0 : 1); },
  });
  new Gauge({
    name: 'headroom_gateway_max_payload_bytes', help: 'Largest read or write the gateway accepts (its bound on one request).', registers,
    collect() { this.set(gateway.maxPayload); },
  });
  if (agent) {
    new Gauge({
      name: 'headroom_gateway_control_registered', help: '1 while the gateway is registered with its SLA server.', registers,
      collect() { this.set(agent.state === 'registered' ? 1 : 0); },
    });
    new Counter({
      name: 'headroom_gateway_polls_total', help: "SLA server polls the gateway answered.", registers,
      collect() { this.reset(); this.inc(agent.activity.polls); },
    });
    new Counter({
      name: 'headroom_gateway_throttle_requests_total', help: 'Throttle requests from the SLA server, applied or refused.', labelNames: ['result'] as const, registers,
      collect() {
        this.reset();
        this.inc({ result: 'applied' }, agent.activity.throttlesApplied);
        this.inc({ result: 'refused' }, agent.activity.throttlesRefused);
      },
    });
  }
}
