/**
 * /metrics for Prometheus: the gateway's and the SLA server's statistics in the Prometheus text
 * format (prom-client), read from their own statistics objects when Prometheus scrapes.
 */
export { parseMetricsAddress, isLoopbackHost, MetricsAddressError, DEFAULT_METRICS_HOST, type MetricsAddress } from './address.js';
export { serveMetrics, type MetricsEndpoint } from './http.js';
export { registerGatewayMetrics, MAX_SERIES, type GatewayMetricsSource, type AgentMetricsSource } from './gateway.js';
export { registerSlaServerMetrics, type SlaMetricsSource } from './sla.js';
export { registerCountedHistogram, type CountedSeries } from './histogram.js';
export { startGatewayMetrics, startSlaServerMetrics, METRICS_ROLL_SECONDS } from './start.js';
