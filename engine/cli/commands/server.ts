import { InvalidArgumentError, Option, type Command } from 'commander';
import type { SlaCycleReport } from '../../sla/server/index.js';
import type { DemoRun } from '../../sla/demo/index.js';

function parseListen(value: string): { host: string; port: number } {
  const colon = value.lastIndexOf(':');
  const host = value.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(value.slice(colon + 1));
  if (colon < 1 || !Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:7410 (port 0 picks one)');
  return { host, port };
}

function parseShards(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new InvalidArgumentError('expected a whole number of thread pairs, 1 or more');
  return n;
}

/** One line per poll cycle, for an operator watching a terminal in the server room. */
export function describeCycle(report: SlaCycleReport): string {
  const classes = report.classes.map((c) => {
    const latency = c.latencyMs === null ? '' : ` ${c.percentile} ${c.latencyMs.toFixed(1)} ms${c.targetMs !== null ? `/${c.targetMs}` : ''}`;
    return `${c.className}@${c.gatewayId} ${c.state} ${Math.round(c.iops)} IOPS${latency}`;
  }).join('; ');
  const throttles = report.throttles.map((t) => ` → cap ${t.host}${t.lun ? `/${t.lun}` : ''} on ${t.gatewayId} to ${t.iopsLimit || '∞'} IOPS, ${t.mbpsLimit || '∞'} MB/s`).join('');
  const timing = report.completionMs === null ? `${report.missed} missed` : `${report.completionMs.toFixed(1)} ms`;
  const commit = report.commit.ok ? `committed batch ${report.commit.batchId} (${report.commit.samples} samples at t=${report.at})` : `NOT committed: ${report.commit.error}`;
  return `cycle ${report.cycle}: ${report.onTime}/${report.polled} gateways on time (${timing}); ${classes || 'no traffic'}${throttles}; ${commit}`;
}

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run the SLA server headless: poll gateways, analyse against the policy, throttle, and record everything in the database')
    .option('--policy <file>', 'policy (YAML); gateway secret files are read relative to it (required unless --demo)')
    .option('--db <file>', 'SLA database (SQLite, created if missing; required unless --demo)')
    .option('--demo', 'also start demo storage in a temporary folder: nbdkit, a gateway and fio for gold and bronze (a simulated gateway where nbdkit or fio is missing), with the gold-bronze policy', false)
    .addOption(new Option('--listen <host:port>', 'where gateways connect in').argParser(parseListen).default({ host: '127.0.0.1', port: 7410 }, '127.0.0.1:7410'))
    .option('--shards <n>', 'thread pairs of the daemon (default: the measured sizing rule, at most the cores)', parseShards)
    .addOption(new Option('--format <format>', 'cycle reports as text or json lines').choices(['text', 'json']).default('text'))
    .option('--metrics <host:port>', 'serve /metrics for Prometheus here (PORT alone: 127.0.0.1)')
    .option('--metrics-allow-remote', 'let --metrics listen on an address other than loopback', false)
    .action(async (opts: { policy?: string; db?: string; demo: boolean; listen: { host: string; port: number }; shards?: number; format: string; metrics?: string; metricsAllowRemote: boolean }, command: Command) => {
      // The server, the demo and prom-client load only when a server starts.
      const { SlaServer } = await import('../../sla/server/index.js');
      const { planDemo, startDemo } = await import('../../sla/demo/index.js');
      const { parseMetricsAddress, startSlaServerMetrics } = await import('../../metrics/index.js');
      const { createLogger } = await import('../../runtime/index.js');
      const log = createLogger('sla-server');
      const metricsAt = opts.metrics === undefined ? null : parseMetricsAddress('--metrics', opts.metrics, opts.metricsAllowRemote);
      const plan = opts.demo ? await planDemo() : null;
      const policyFile = opts.policy ?? plan?.policyFile;
      const dbFile = opts.db ?? plan?.dbFile;
      if (policyFile === undefined || dbFile === undefined) throw new Error('give --policy FILE and --db FILE, or --demo');
      // The demo's own gateway connects on loopback to whatever port is free, unless --listen says otherwise.
      const listen = plan && command.getOptionValueSource('listen') === 'default' ? { host: '127.0.0.1', port: 0 } : opts.listen;
      const server = await SlaServer.start({ policyFile, dbFile, listen, log, ...(opts.shards ? { shards: opts.shards } : {}) });
      if (metricsAt) await startSlaServerMetrics(metricsAt, server, log).catch(async (err: unknown) => { await server.stop(); throw err; });
      const status = server.status();
      let demo: DemoRun | null = null;
      if (plan && status.listen) {
        try {
          demo = await startDemo(plan, status.listen, log);
        } catch (err) {
          await server.stop();
          throw err;
        }
        process.stdout.write(opts.format === 'json' ? JSON.stringify({ event: 'demo', mode: demo.mode, detail: demo.detail, folder: plan.workDir }) + '\n' : `${demo.detail}; files in ${plan.workDir}\n`);
      }
      process.stdout.write(`${opts.format === 'json' ? JSON.stringify({ event: 'listening', listen: status.listen, policy: status.policy?.name, version: status.policy?.version }) : `SLA server listening for gateways on ${status.listen?.host}:${status.listen?.port}, policy "${status.policy?.name}" v${status.policy?.version}, database ${status.dbFile}`}\n`);
      server.onEvent((event) => {
        if (opts.format === 'json') { process.stdout.write(JSON.stringify(event) + '\n'); return; }
        if (event.kind === 'cycle') process.stdout.write(describeCycle(event.report) + '\n');
        else if (event.kind === 'gateway') process.stdout.write(`gateway ${event.gatewayId} ${event.state} (${event.detail})\n`);
        else if (event.kind === 'alert') process.stdout.write(`alert from ${event.gatewayId}: ${event.severity} ${event.code} ${event.text}\n`);
        else if (event.kind === 'ack' && !event.ok) process.stdout.write(`gateway ${event.gatewayId} refused throttle action ${event.actionId}: ${event.reason}\n`);
      });
      let stopping = false;
      const stop = (): void => {
        if (stopping) process.exit(130);
        stopping = true;
        void Promise.resolve(demo?.stop()).then(() => server.stop()).then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
