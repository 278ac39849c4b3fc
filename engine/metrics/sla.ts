import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SlaServerEvent, SlaServerStatus } from '../sla/server/index.js';

/** What /metrics reads from an SLA server. SlaServer provides it. */
export interface SlaMetricsSource {
  status(): SlaServerStatus;
  onEvent(listener: (event: SlaServerEvent) => void): () => void;
}

/** Throttle targets remembered for their last cap; gateway, host and LUN names come from peers. */
const MAX_CAPS = 5_000;

const CLASS_STATES = ['idle', 'ok', 'watch', 'at-risk'] as const;

/**
 * The SLA server's metrics: poll cycles (count, completion time, gateways on time, late and
 * missed), per-class IOPS, bytes/s, latency against target and state from the last cycle, the
 * throttle actions it sent with their caps and acknowledgements, and alerts. Counters follow the
 * server's events; gauges read its status when Prometheus scrapes. Returns the unsubscribe.
 */
export function registerSlaServerMetrics(registry: Registry, server: SlaMetricsSource): () => void {
  const registers = [registry];
  const cycles = new Counter({ name: 'headroom_sla_poll_cycles_total', help: 'Poll cycles analysed.', registers });
  const cycleSeconds = new Histogram({
    name: 'headroom_sla_poll_cycle_seconds', help: 'Time from sending a poll to the last gateway\'s answer, per cycle (cycles with a gateway missing are not observed).',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5], registers,
  });
  const polls = new Counter({
    name: 'headroom_sla_gateway_polls_total', help: 'Gateway answers per poll cycle: on_time, late (after the reply deadline) or missed (none).',
    labelNames: ['result'] as const, registers,
  });
  for (const result of ['on_time', 'late', 'missed']) polls.inc({ result }, 0);
  const actions = new Counter({ name: 'headroom_sla_throttle_actions_total', help: 'Throttle requests sent to gateways.', labelNames: ['gateway'] as const, registers });
  const acks = new Counter({ name: 'headroom_sla_throttle_acks_total', help: 'Throttle acknowledgements from gateways, applied or refused.', labelNames: ['gateway', 'result'] as const, registers });
  const alerts = new Counter({ name: 'headroom_sla_alerts_total', help: 'Alerts raised by gateways.', labelNames: ['severity'] as const, registers });
  const lastCaps = new Map<string, { gateway: string; host: string; lun: string; iops: number; bytesPerSecond: number }>();

  const unsubscribe = server.onEvent((event) => {
    switch (event.kind) {
      case 'cycle': {
        const r = event.report;
        cycles.inc();
        if (r.completionMs !== null) cycleSeconds.observe(r.completionMs / 1000);
        polls.inc({ result: 'on_time' }, r.onTime);
        polls.inc({ result: 'late' }, r.late);
        polls.inc({ result: 'missed' }, r.missed);
        for (const t of r.throttles) {
          actions.inc({ gateway: t.gatewayId });
          const key = `${t.gatewayId}\u0000${t.host}\u0000${t.lun}`;
          if (lastCaps.has(key) || lastCaps.size < MAX_CAPS) {
            lastCaps.set(key, { gateway: t.gatewayId, host: t.host || '*', lun: t.lun || '*', iops: t.iopsLimit, bytesPerSecond: t.mbpsLimit * 1e6 });
          }
        }
        break;
      }
      case 'ack':
        acks.inc({ gateway: event.gatewayId, result: event.ok ? 'applied' : 'refused' });
        break;
      case 'alert':
        alerts.inc({ severity: event.severity });
        break;
      default:
        break;
    }
  });

  const lastCycle = () => server.status().lastCycle;
  new Gauge({
    name: 'headroom_sla_last_cycle_gateways', help: 'Gateways of the last poll cycle: polled, on_time, late, missed.', labelNames: ['result'] as const, registers,
    collect() {
      const r = lastCycle();
      this.reset();
      this.set({ result: 'polled' }, r?.polled ?? 0);
      this.set({ result: 'on_time' }, r?.onTime ?? 0);
      this.set({ result: 'late' }, r?.late ?? 0);
      this.set({ result: 'missed' }, r?.missed ?? 0);
    },
  });
  new Gauge({
    name: 'headroom_sla_gateways_registered', help: 'Gateways registered with the server now.', registers,
    collect() { this.set(server.status().gateways.length); },
  });
  const perClass = (name: string, help: string, value: (c: NonNullable<ReturnType<typeof lastCycle>>['classes'][number]) => number | null) => new Gauge({
    name, help, labelNames: ['gateway', 'class'] as const, registers,
    collect() {
      this.reset();
      for (const c of lastCycle()?.classes ?? []) {
        const v = value(c);
        if (v !== null) this.set({ gateway: c.gatewayId, class: c.className }, v);
      }
    },
  });
  perClass('headroom_sla_class_iops', "A class's operations per second on a gateway over the last cycle.", (c) => c.iops);
  perClass('headroom_sla_class_bytes_per_second', "A class's bytes per second on a gateway over the last cycle.", (c) => c.mbps * 1e6);
  perClass('headroom_sla_class_latency_seconds', "The target's percentile (p95 or p99) of the class's worst active host/LUN pair in the last cycle.", (c) => (c.latencyMs === null ? null : c.latencyMs / 1000));
  perClass('headroom_sla_class_latency_target_seconds', "The class's latency target from the policy.", (c) => (c.targetMs === null ? null : c.targetMs / 1000));
  new Gauge({
    name: 'headroom_sla_class_state', help: "1 for a class's state in the last cycle (idle, ok, watch, at-risk), 0 for the others.",
    labelNames: ['gateway', 'class', 'state'] as const, registers,
    collect() {
      this.reset();
      for (const c of lastCycle()?.classes ?? []) for (const state of CLASS_STATES) this.set({ gateway: c.gatewayId, class: c.className, state }, c.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'headroom_sla_throttle_cap_iops', help: 'The last IOPS cap sent per gateway, host and LUN (0: no cap; "*": all hosts or all LUNs).',
    labelNames: ['gateway', 'host', 'lun'] as const, registers,
    collect() { this.reset(); for (const c of lastCaps.values()) this.set({ gateway: c.gateway, host: c.host, lun: c.lun }, c.iops); },
  });
  new Gauge({
    name: 'headroom_sla_throttle_cap_bytes_per_second', help: 'The last bandwidth cap sent per gateway, host and LUN (0: no cap; "*": all hosts or all LUNs).',
    labelNames: ['gateway', 'host', 'lun'] as const, registers,
    collect() { this.reset(); for (const c of lastCaps.values()) this.set({ gateway: c.gateway, host: c.host, lun: c.lun }, c.bytesPerSecond); },
  });
  return unsubscribe;
}
