import type { Logger } from '../runtime/index.js';
import type { MetricsAddress } from './address.js';
import { registerGatewayMetrics, type AgentMetricsSource, type GatewayMetricsSource } from './gateway.js';
import { serveMetrics, type MetricsEndpoint } from './http.js';
import { registerSlaServerMetrics, type SlaMetricsSource } from './sla.js';
import { Registry } from 'prom-client';

/**
 * Without a poll or a --stats-interval nothing closes the gateway's statistics intervals; with
 * --metrics alone the gateway rolls them this often so the per-interval gauges move.
 */
export const METRICS_ROLL_SECONDS = 5;

/** What a command prints on stderr when /metrics is up, and where. */
function announce(what: string, endpoint: MetricsEndpoint, log?: Logger): void {
  log?.info({ url: endpoint.url }, `${what} metrics listening`);
  process.stderr.write(`headroom ${what} metrics on ${endpoint.url}\n`);
}

/** /metrics for a running gateway (and its control agent, if it reports to an SLA server). */
export async function startGatewayMetrics(at: MetricsAddress, gateway: GatewayMetricsSource, agent: AgentMetricsSource | null, log?: Logger): Promise<MetricsEndpoint> {
  const registry = new Registry();
  registerGatewayMetrics(registry, gateway, agent);
  const endpoint = await serveMetrics(registry, at, (err) => log?.warn({ err }, 'collecting metrics failed'));
  announce('gateway', endpoint, log);
  return endpoint;
}

/** /metrics for a running SLA server; closing the endpoint also stops following its events. */
export async function startSlaServerMetrics(at: MetricsAddress, server: SlaMetricsSource, log?: Logger): Promise<MetricsEndpoint> {
  const registry = new Registry();
  const unsubscribe = registerSlaServerMetrics(registry, server);
  let endpoint: MetricsEndpoint;
  try {
    endpoint = await serveMetrics(registry, at, (err) => log?.warn({ err }, 'collecting metrics failed'));
  } catch (err) {
    unsubscribe();
    throw err;
  }
  announce('SLA server', endpoint, log);
  return { ...endpoint, close: async () => { unsubscribe(); await endpoint.close(); } };
}
