import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { NbdGateway, openFileBackend } from '../gateway/index.js';
import type { SlaCycleReport, SlaServerEvent, SlaServerStatus } from '../sla/server/index.js';
import { isLoopbackHost, MetricsAddressError, parseMetricsAddress, registerGatewayMetrics, registerSlaServerMetrics, serveMetrics } from './index.js';

const havePromtool = spawnSync('sh', ['-c', 'command -v promtool'], { stdio: 'ignore' }).status === 0;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function promtool(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

describe('--metrics address', () => {
  it('is loopback unless a wider address is allowed in so many words', () => {
    expect(parseMetricsAddress('--metrics', '9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseMetricsAddress('--metrics', ':0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseMetricsAddress('--metrics', 'localhost:9464')).toEqual({ host: 'localhost', port: 9464 });
    expect(parseMetricsAddress('--metrics', '[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    for (const wide of ['0.0.0.0:9464', '[::]:9464', '192.168.1.5:9464', 'metrics.example:9464']) {
      expect(() => parseMetricsAddress('--metrics', wide)).toThrow(/is not a loopback address.*--metrics-allow-remote/);
    }
    expect(parseMetricsAddress('--metrics', '0.0.0.0:9464', true)).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(() => parseMetricsAddress('--metrics', '127.0.0.1:65536')).toThrow(/--metrics 127\.0\.0\.1:65536: expected PORT or HOST:PORT/);
    expect(() => parseMetricsAddress('--metrics', '127.0.0.1:')).toThrow(MetricsAddressError);
  });

  it('never answers a non-loopback host without the opt-in, and fails only with its own error, for any text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (text) => {
      try {
        const at = parseMetricsAddress('--metrics', text);
        return isLoopbackHost(at.host) && Number.isInteger(at.port) && at.port >= 0 && at.port <= 65535;
      } catch (err) {
        return err instanceof MetricsAddressError && err.message.startsWith('--metrics ');
      }
    }), { numRuns: 5_000 });
  });
});

describe('metrics of a gateway and an SLA server', () => {
  it("serves only GET /metrics, and a gateway's caps, LUN health and bounds read live", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-metrics-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const gateway = new NbdGateway({ luns: [{ name: 'lun0', backend: await openFileBackend({ path: path.join(dir, 'lun0.img'), size: 1 << 20 }) }] });
    cleanups.push(() => gateway.close());
    const registry = new Registry();
    const agent = { state: 'registered' as const, activity: { polls: 7, throttlesApplied: 2, throttlesRefused: 1 } };
    registerGatewayMetrics(registry, gateway, agent);
    const endpoint = await serveMetrics(registry, { host: '127.0.0.1', port: 0 });
    cleanups.push(() => endpoint.close());

    gateway.setLimit({ host: 'bronze' }, { iops: 50, mbps: 3.3 });
    let text = await (await fetch(endpoint.url)).text();
    expect(text).toContain('headroom_gateway_throttle_cap_iops{host="bronze",lun="*"} 50');
    expect(text).toContain('headroom_gateway_throttle_cap_bytes_per_second{host="bronze",lun="*"} 3300000');
    expect(text).toContain('headroom_gateway_lun_up{lun="lun0"} 1');
    expect(text).toMatch(/^headroom_gateway_max_payload_bytes \d+$/m);
    expect(text).toContain('headroom_gateway_throttle_requests_total{result="refused"} 1');
    expect(text).toContain('headroom_gateway_polls_total 7');
    // A lifted cap leaves the scrape at once.
    gateway.setLimit({ host: 'bronze' }, {});
    text = await (await fetch(endpoint.url)).text();
    expect(text).not.toContain('headroom_gateway_throttle_cap_iops{');
    if (havePromtool) expect(promtool(text)).toEqual({ status: 0, output: '' });

    expect((await fetch(endpoint.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(endpoint.url, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${endpoint.url}?x=1`)).status).toBe(200);
  });

  it("follows the SLA server's cycles, acks and alerts, and reads its last cycle's classes", async () => {
    const listeners = new Set<(e: SlaServerEvent) => void>();
    let lastCycle: SlaCycleReport | null = null;
    const status = (): SlaServerStatus => ({
      policy: null, listen: null, dbFile: '', entities: { gateways: [] } as unknown as SlaServerStatus['entities'], lastCycle,
      gateways: [{ gatewayId: 'gw1', remote: '127.0.0.1:1', luns: ['lun0'], hosts: ['gold'] }],
    });
    const registry = new Registry();
    const unsubscribe = registerSlaServerMetrics(registry, { status, onEvent: (l) => { listeners.add(l); return () => listeners.delete(l); } });
    const emit = (e: SlaServerEvent): void => { for (const l of listeners) l(e); };
    const report = (cycle: number, completionMs: number | null, missed: number): SlaCycleReport => ({
      at: cycle * 1000, cycle, polled: 2, onTime: 2 - missed, late: 0, missed, completionMs,
      classes: [
        { gatewayId: 'gw1', className: 'gold', priority: 1, state: 'at-risk', pairs: 1, iops: 40, mbps: 0.16, latencyMs: 60, percentile: 'p99', targetMs: 20, worstHost: 'gold', worstLun: 'lun0' },
        { gatewayId: 'gw1', className: 'bronze', priority: 3, state: 'ok', pairs: 1, iops: 100, mbps: 13.1, latencyMs: null, percentile: null, targetMs: null, worstHost: null, worstLun: null },
      ],
      explanations: [],
      throttles: cycle === 2 ? [{ actionId: 1, gatewayId: 'gw1', host: 'bronze', lun: '', iopsLimit: 25, mbpsLimit: 3.3, reason: 'gold at risk' }] : [],
      commit: { ok: true, batchId: cycle, samples: 2 },
    });
    for (const [cycle, ms, missed] of [[1, 3.5, 0], [2, 4.5, 0], [3, null, 1]] as const) { lastCycle = report(cycle, ms, missed); emit({ kind: 'cycle', report: lastCycle }); }
    emit({ kind: 'ack', actionId: 1, gatewayId: 'gw1', ok: true, reason: '' });
    emit({ kind: 'alert', gatewayId: 'gw1', severity: 'warning', code: 'at-risk', text: 'gold' });
    const text = await registry.metrics();
    const series = text.split('\n');
    for (const line of [
      'headroom_sla_poll_cycles_total 3',
      'headroom_sla_poll_cycle_seconds_count 2',
      'headroom_sla_gateway_polls_total{result="missed"} 1',
      'headroom_sla_gateway_polls_total{result="on_time"} 5',
      'headroom_sla_last_cycle_gateways{result="missed"} 1',
      'headroom_sla_gateways_registered 1',
      'headroom_sla_class_latency_seconds{gateway="gw1",class="gold"} 0.06',
      'headroom_sla_class_latency_target_seconds{gateway="gw1",class="gold"} 0.02',
      'headroom_sla_class_bytes_per_second{gateway="gw1",class="bronze"} 13100000',
      'headroom_sla_class_state{gateway="gw1",class="gold",state="at-risk"} 1',
      'headroom_sla_class_state{gateway="gw1",class="gold",state="ok"} 0',
      'headroom_sla_throttle_actions_total{gateway="gw1"} 1',
      'headroom_sla_throttle_cap_iops{gateway="gw1",host="bronze",lun="*"} 25',
      'headroom_sla_throttle_acks_total{gateway="gw1",result="applied"} 1',
      'headroom_sla_alerts_total{severity="warning"} 1',
    ]) expect(series).toContain(line);
    expect(text).not.toContain('headroom_sla_class_latency_seconds{gateway="gw1",class="bronze"}');
    if (havePromtool) expect(promtool(text)).toEqual({ status: 0, output: '' });
    unsubscribe();
    expect(listeners.size).toBe(0);
  });
});
