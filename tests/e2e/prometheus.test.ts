import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bronzeJob, goldJob } from './gold-bronze.js';
import { fioArgs, freePort, haveCommand, startChild, stopAll, waitForListener, waitForOutput, type Child } from './harness.js';

/**
 * /metrics as a Grafana shop would use it: nbdkit (memory), the SLA server and a gateway as the
 * compiled CLI with --metrics, fio driving gold and bronze through the gateway, and Debian's
 * Prometheus scraping both every second. Both outputs pass `promtool check metrics`, and the
 * series come back over Prometheus's HTTP API with the counts fio itself reports.
 */

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'bin/headroom.js');
const samples = path.join(root, 'samples/policies');
const built = existsSync(path.join(root, 'dist/engine/metrics/index.js'));
const tools = ['nbdkit', 'fio', 'prometheus', 'promtool'].every(haveCommand);
const FIO_SECONDS = 4;

interface PromVector { metric: Record<string, string>; value: [number, string] }

async function query(promPort: number, promql: string): Promise<PromVector[]> {
  const response = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = await response.json() as { status: string; data?: { resultType: string; result: PromVector[] }; error?: string };
  if (body.status !== 'success' || !body.data) throw new Error(`Prometheus refused ${promql}: ${body.error ?? response.status}`);
  return body.data.result;
}

/** Polls until `check` holds for the query's result (Prometheus sees a value only after its next scrape). */
async function queryUntil(promPort: number, promql: string, check: (r: PromVector[]) => boolean, timeoutMs = 45_000): Promise<PromVector[]> {
  const deadline = Date.now() + timeoutMs;
  let last: PromVector[] = [];
  for (;;) {
    last = await query(promPort, promql);
    if (check(last)) return last;
    if (Date.now() > deadline) throw new Error(`${promql}: ${JSON.stringify(last)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function value(r: PromVector[]): number {
  return r.length === 1 ? Number(r[0]!.value[1]) : NaN;
}

describe.skipIf(!tools || !built)('/metrics scraped by a real Prometheus while fio runs through the gateway', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'headroom-e2e-prom-'));
  let gatewayMetrics = '';
  let serverMetrics = '';
  let gatewayPort = 0;
  let promPort = 0;
  let fioTotals: Record<string, { reads: number; writes: number; writeBytes: number }> = {};

  const metricsUrl = (child: Child, what: string): string => {
    const match = new RegExp(`headroom ${what} metrics on (http://\\S+)`).exec(child.output());
    if (!match) throw new Error(`${child.name} printed no metrics URL: ${child.output().slice(-1000)}`);
    return match[1]!;
  };

  beforeAll(async () => {
    mkdirSync(path.join(work, 'secrets'));
    copyFileSync(path.join(samples, 'secrets/gw1.secret'), path.join(work, 'secrets/gw1.secret'));
    const policyFile = path.join(work, 'gold-bronze.yaml');
    writeFileSync(policyFile, readFileSync(path.join(samples, 'gold-bronze.yaml'), 'utf8').replace('pollIntervalMs: 1000', 'pollIntervalMs: 500'));

    const nbdPort = await freePort();
    const nbdkit = startChild('nbdkit', 'nbdkit', ['-f', '--exit-with-parent', '-i', '127.0.0.1', '-p', String(nbdPort), 'memory', '512M']);
    await waitForListener(nbdkit, nbdPort, 10_000);

    const server = startChild('server', process.execPath, [cli, 'server', '--policy', policyFile, '--db', path.join(work, 'sla.db'), '--listen', '127.0.0.1:0', '--shards', '1', '--metrics', '127.0.0.1:0']);
    await waitForOutput(server, /SLA server metrics on http/, 60_000);
    const serverPort = Number(/listening for gateways on 127\.0\.0\.1:(\d+)/.exec(server.output())?.[1]);

    gatewayPort = await freePort();
    const gateway = startChild('gateway', process.execPath, [
      cli, 'gateway', '--listen', `127.0.0.1:${gatewayPort}`, '--export', `lun0=nbd://127.0.0.1:${nbdPort}`, '--export', `lun1=nbd://127.0.0.1:${nbdPort}`,
      '--server', `127.0.0.1:${serverPort}`, '--secret-file', path.join(work, 'secrets/gw1.secret'), '--gateway-id', 'gw1', '--metrics', '127.0.0.1:0',
    ]);
    await waitForOutput(gateway, /gateway metrics on http/, 60_000);
    gatewayMetrics = metricsUrl(gateway, 'gateway');
    serverMetrics = metricsUrl(server, 'SLA server');

    promPort = await freePort();
    const target = (url: string): string => new URL(url).host;
    writeFileSync(path.join(work, 'prometheus.yml'), [
      'global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:',
      '  - job_name: headroom-gateway', '    static_configs:', `      - targets: ['${target(gatewayMetrics)}']`,
      '  - job_name: headroom-sla-server', '    static_configs:', `      - targets: ['${target(serverMetrics)}']`, '',
    ].join('\n'));
    const prometheus = startChild('prometheus', 'prometheus', [
      `--config.file=${path.join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(work, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`, '--storage.tsdb.retention.time=1h', '--log.level=warn',
    ]);
    await waitForListener(prometheus, promPort, 60_000);
    // Both targets scraped at least once before the load starts, so Prometheus sees it happen.
    for (const job of ['headroom-gateway', 'headroom-sla-server']) await queryUntil(promPort, `up{job="${job}"}`, (r) => value(r) === 1);

    // Gold's paced 4 KiB reads and bronze's 128 KiB writes, as in the SLA scenario (bronze gentler here).
    const jobs = [goldJob(gatewayPort), bronzeJob(gatewayPort, 'bronze', ['--iodepth=4', '--rate_iops=50'])];
    const fio = startChild('fio', 'fio', fioArgs(jobs, FIO_SECONDS));
    const timer = setTimeout(() => fio.process.kill('SIGKILL'), (FIO_SECONDS + 30) * 1000);
    const code = await fio.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`fio exited with ${code}: ${fio.output().slice(-2000)}`);
    const json = JSON.parse(fio.stdout().slice(fio.stdout().indexOf('{'))) as { jobs: Array<{ jobname: string; read: { total_ios: number }; write: { total_ios: number; io_bytes: number } }> };
    fioTotals = Object.fromEntries(json.jobs.map((j) => [j.jobname, { reads: j.read.total_ios, writes: j.write.total_ios, writeBytes: j.write.io_bytes }]));
  }, 240_000);

  afterAll(async () => {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('serves Prometheus text that promtool passes, from the gateway and from the SLA server', async () => {
    for (const url of [gatewayMetrics, serverMetrics]) {
      const text = await (await fetch(url)).text();
      expect(text).toMatch(/^# HELP headroom_/m);
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
      expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
      expect(check.status).toBe(0);
    }
  });

  it('gives back, through Prometheus, the reads and writes fio counted for each host/LUN pair', async () => {
    expect(fioTotals.gold!.reads).toBeGreaterThan(100);
    expect(fioTotals.bronze!.writes).toBeGreaterThan(50);
    const reads = await queryUntil(promPort, 'headroom_gateway_io_total{host="gold",lun="lun0",op="read"}', (r) => value(r) === fioTotals.gold!.reads);
    expect(reads[0]!.metric).toMatchObject({ job: 'headroom-gateway', host: 'gold', lun: 'lun0', op: 'read' });
    await queryUntil(promPort, 'headroom_gateway_io_bytes_total{host="bronze",lun="lun1",op="write"}', (r) => value(r) === fioTotals.bronze!.writeBytes);
    // Every read is in the latency histogram, and a p99 can be computed from its buckets.
    await queryUntil(promPort, 'headroom_gateway_io_latency_seconds_count{host="gold",op="read"}', (r) => value(r) === fioTotals.gold!.reads);
    const p99 = value(await query(promPort, 'histogram_quantile(0.99, sum by (le) (headroom_gateway_io_latency_seconds_bucket{host="gold",op="read"}))'));
    expect(p99).toBeGreaterThan(0);
    expect(p99).toBeLessThan(1);
    console.log(JSON.stringify({ prometheus: { fio: fioTotals, goldReadsQueried: value(reads), goldReadP99Seconds: p99 } }));
    // The per-LUN rate over the last interval was seen while fio ran.
    expect(value(await query(promPort, 'max_over_time(headroom_gateway_lun_iops{lun="lun0",op="read"}[1m])'))).toBeGreaterThan(10);
  });

  it("gives back the SLA server's poll cycles and gold's class series, and the gateway's answered polls", async () => {
    expect(value(await queryUntil(promPort, 'headroom_sla_poll_cycles_total', (r) => value(r) >= 3))).toBeGreaterThanOrEqual(3);
    expect(value(await query(promPort, 'max_over_time(headroom_sla_class_iops{class="gold",gateway="gw1"}[1m])'))).toBeGreaterThan(10);
    expect(value(await query(promPort, 'headroom_sla_class_latency_target_seconds{class="gold"}'))).toBe(0.02);
    expect(value(await query(promPort, 'max_over_time(headroom_sla_gateways_registered[1m])'))).toBe(1);
    expect(value(await query(promPort, 'headroom_sla_poll_cycle_seconds_count'))).toBeGreaterThan(0);
    expect(value(await queryUntil(promPort, 'headroom_gateway_polls_total', (r) => value(r) >= 3))).toBeGreaterThanOrEqual(3);
  });
});
