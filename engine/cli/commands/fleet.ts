import os from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
// The default secret only, from a module without imports; the fleet and the daemon load in each action, so `--help` stays quick.
import { DEFAULT_FLEET_SECRET } from '../../fleet/secret.js';
import type { DaemonArch } from '../../pmdaemon/index.js';
import { formatRows, parseFormat, type Row } from '../output.js';
import { interruptSignal, terminalProgress } from '../progress.js';
import { benchCommand } from './bench.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

function countList(value: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw new InvalidArgumentError('a whole number, or a comma-separated list of them, each at least 1');
  return list;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number more than 0');
  return n;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a number of at least 0');
  return n;
}

export function parseHostPort(value: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port < 1 || port > 65535) throw new InvalidArgumentError('HOST:PORT, e.g. 127.0.0.1:7700');
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * `headroom fleet`: N simulated gateways in this process. Prints one JSON status line on stdout
 * every --status-ms (registered, polls answered, refusals), so a parent process can follow it.
 */
export function registerFleet(program: Command): void {
  registerMessagingBench(program);
  registerPmdaemon(program);
  program
    .command('fleet')
    .description('run N simulated gateways that authenticate, register and answer polls (one TCP connection each)')
    .requiredOption('--gateways <n>', 'number of gateways', positiveInt)
    .option('--connect <host:port>', 'daemon address to connect to (discovery)', parseHostPort)
    .option('--listen <host>', 'instead, listen on one port per gateway on this host and wait for the daemon to dial')
    .option('--service-us <t>', 'service time per poll in microseconds (below 1000: next event-loop turn)', nonNegative, 0)
    .option('--secret <s>', 'shared secret for HMAC authentication', DEFAULT_FLEET_SECRET)
    .option('--id-prefix <p>', 'gateway id prefix', 'gw-')
    .option('--status-ms <ms>', 'interval of JSON status lines on stdout (0: none)', nonNegative, 1000)
    .option('--until-stdin-closes', 'stop when stdin closes (for a parent process that runs the fleet)', false)
    .action(async (opts: { gateways: number; connect?: { host: string; port: number }; listen?: string; serviceUs: number; secret: string; idPrefix: string; statusMs: number; untilStdinCloses: boolean }) => {
      if (!opts.connect && opts.listen === undefined) throw new Error('fleet: give --connect HOST:PORT or --listen HOST');
      const { startFleet } = await import('../../fleet/index.js');
      const fleet = await startFleet({
        gateways: opts.gateways,
        connect: opts.connect,
        listenHost: opts.listen,
        serviceUs: opts.serviceUs,
        secret: opts.secret,
        idPrefix: opts.idPrefix,
      });
      if (opts.listen !== undefined) process.stdout.write(JSON.stringify({ addresses: fleet.addresses }) + '\n');
      const status = (): void => {
        process.stdout.write(JSON.stringify({ at: new Date().toISOString(), ...fleet.totals() }) + '\n');
      };
      const timer = opts.statusMs > 0 ? setInterval(status, opts.statusMs) : null;
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        // A parent (the bench) ends the fleet by closing our stdin, or by dying.
        if (opts.untilStdinCloses) process.stdin.once('end', stop).once('error', stop).resume();
      });
      if (timer) clearInterval(timer);
      status();
      await fleet.close();
    });
}

function archList(value: string): DaemonArch[] {
  if (value === 'both') return ['pair', 'per-agent'];
  if (value === 'pair' || value === 'per-agent') return [value];
  throw new InvalidArgumentError('pair, per-agent or both');
}

/** `bench messaging` and `bench batching`: the daemon architectures measured side by side. */
function registerMessagingBench(program: Command): void {
  const bench = benchCommand(program);
  bench
    .command('messaging')
    .description('poll a gateway fleet (child process) with the thread-pair daemon and/or the thread-per-agent baseline')
    .requiredOption('--gateways <n>', 'gateway count, or a comma-separated list', countList)
    .option('--arch <arch>', 'pair | per-agent | both', archList, ['pair', 'per-agent'] as DaemonArch[])
    .option('--interval-ms <ms>', 'poll interval', positiveInt, 1000)
    .option('--cycles <c>', 'poll cycles measured per run', positiveInt, 10)
    .option('--service-us <t>', 'fleet service time per poll in microseconds', nonNegative, 0)
    .option('--shards <s>', 'pair: shard threads (default: one per core)', positiveInt)
    .option('--max-agents <n>', 'per-agent: thread limit', positiveInt)
    .option('--format <format>', 'table | json | csv', 'json')
    .action(async (opts: { gateways: number[]; arch: DaemonArch[]; intervalMs: number; cycles: number; serviceUs: number; shards?: number; maxAgents?: number; format: string }) => {
      const { runMessagingBench } = await import('../../pmdaemon/index.js');
      const format = parseFormat(opts.format);
      const progress = terminalProgress('messaging');
      const rows = await runMessagingBench({
        gateways: opts.gateways,
        archs: opts.arch,
        intervalMs: opts.intervalMs,
        cycles: opts.cycles,
        serviceUs: opts.serviceUs,
        shards: opts.shards,
        maxAgents: opts.maxAgents,
        signal: interruptSignal(),
        onProgress: (p) => progress.update(p.done, p.total, p.label),
      });
      progress.stop();
      process.stdout.write(formatRows(rows as unknown as Row[], format));
    });
  bench
    .command('tcp-floor')
    .description('the least a poll of N gateways can cost here: bare 16-byte writes and 64-byte echoes over N loopback sockets, one thread, no protocol')
    .requiredOption('--gateways <n>', 'socket count', positiveInt)
    .option('--cycles <c>', 'polls measured', positiveInt, 10)
    .option('--format <format>', 'table | json | csv', 'json')
    .action(async (opts: { gateways: number; cycles: number; format: string }) => {
      const { runTcpFloor } = await import('../../pmdaemon/index.js');
      const format = parseFormat(opts.format);
      const progress = terminalProgress('tcp-floor');
      const result = await runTcpFloor({ gateways: opts.gateways, cycles: opts.cycles, signal: interruptSignal(), onProgress: (done, total) => progress.update(done, total, `${opts.gateways} sockets`) });
      progress.stop();
      if (format === 'json') process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else process.stdout.write(formatRows([result] as unknown as Row[], format));
    });
  bench
    .command('batching')
    .description('bursts of messages to one gateway: one write per burst (frames concatenated) vs one write per message')
    .option('--burst <n>', 'messages per burst', positiveInt, 64)
    .option('--bursts <n>', 'bursts per mode at most; --seconds bounds each mode, so both run for the same time at steady state', positiveInt, 1_000_000)
    .option('--seconds <s>', 'time limit per mode', nonNegative, 3)
    .option('--format <format>', 'table | json | csv', 'json')
    .action(async (opts: { burst: number; bursts: number; seconds: number; format: string }) => {
      const { runBatchingBench } = await import('../../pmdaemon/index.js');
      const format = parseFormat(opts.format);
      const result = await runBatchingBench({ burst: opts.burst, bursts: opts.bursts, maxSecondsPerMode: opts.seconds });
      if (format === 'json') process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else process.stdout.write(formatRows(result.rows as unknown as Row[], format));
    });
}

/** `pmdaemon model` and `pmdaemon sizing`: the document's delay model and both sizing rules. */
function registerPmdaemon(program: Command): void {
  const pm = program.command('pmdaemon').description("the thread-pair daemon's delay model and shard sizing");
  pm.command('run')
    .description('run the daemon: gateways connect to --port (or are dialled from --dial); one JSON line per poll cycle on stdout')
    .option('--arch <arch>', 'pair | per-agent', 'pair')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'discovery port (0 picks one)', (v: string) => Number(v), 7700)
    .option('--dial <list>', 'gateways to dial: ID@HOST:PORT,...')
    .option('--shards <s>', 'pair: shard threads (default: one per core)', positiveInt)
    .option('--interval-ms <ms>', 'poll interval', positiveInt, 1000)
    .option('--secret <s>', 'shared secret of the gateways', DEFAULT_FLEET_SECRET)
    .action(async (opts: { arch: string; host: string; port: number; dial?: string; shards?: number; intervalMs: number; secret: string }) => {
      const arch = archList(opts.arch);
      if (arch.length !== 1) throw new Error('pmdaemon run: --arch is pair or per-agent');
      const dial = (opts.dial ?? '').split(',').filter(Boolean).map((item) => {
        const at = item.indexOf('@');
        if (at < 1) throw new Error(`--dial: "${item}" is not ID@HOST:PORT`);
        return { gatewayId: item.slice(0, at), ...parseHostPort(item.slice(at + 1)) };
      });
      const { startPmDaemon } = await import('../../pmdaemon/index.js');
      const daemon = await startPmDaemon({ arch: arch[0], host: opts.host, discoveryPort: opts.port, dial, shards: opts.shards, intervalMs: opts.intervalMs, secret: opts.secret });
      process.stderr.write(`pmdaemon (${daemon.arch}, ${daemon.threads()} threads) listening on ${daemon.discovery?.host}:${daemon.discovery?.port}\n`);
      daemon.onEvent((e) => {
        if (e.kind === 'cycle') {
          const { missedGateways, ...result } = e.result;
          process.stdout.write(JSON.stringify({ ...result, registered: daemon.registered().length, missedGateways: missedGateways.slice(0, 10) }) + '\n');
        }
      });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await daemon.stop();
    });
  pm.command('model')
    .description('delay to poll n gateways: one synchronous thread, thread per agent, thread pair (t1..t5 in us)')
    .requiredOption('--gateways <n>', 'gateway counts, comma-separated', countList)
    .option('--t1-us <t>', 'send (kernel formats the packet)', nonNegative, 10)
    .option('--t2-us <t>', 'remote wake-up', nonNegative, 30)
    .option('--t3-us <t>', 'remote service', nonNegative, 50)
    .option('--t4-us <t>', 'remote scheduling and reply', nonNegative, 30)
    .option('--t5-us <t>', 'local wake-up', nonNegative, 30)
    .option('--switch-us <t>', 'one thread switch', nonNegative, 5)
    .option('--per-gateway-us <t>', 'daemon CPU per gateway per poll (default: measured here)', nonNegative)
    .option('--shards <s>', 'thread pairs', positiveInt, os.availableParallelism())
    .option('--cores <c>', 'cores', positiveInt, os.availableParallelism())
    .option('--format <format>', 'table | json | csv', 'table')
    .action(async (opts: { gateways: number[]; t1Us: number; t2Us: number; t3Us: number; t4Us: number; t5Us: number; switchUs: number; perGatewayUs?: number; shards: number; cores: number; format: string }) => {
      const { delayCurves, measureMessageCost } = await import('../../pmdaemon/index.js');
      const format = parseFormat(opts.format);
      const perGatewayUs = opts.perGatewayUs ?? measureMessageCost().meanUs;
      const points = delayCurves(
        { t1Us: opts.t1Us, t2Us: opts.t2Us, t3Us: opts.t3Us, t4Us: opts.t4Us, t5Us: opts.t5Us, threadSwitchUs: opts.switchUs, perGatewayUs, shards: opts.shards, cores: opts.cores },
        opts.gateways,
      );
      process.stdout.write(formatRows(points as unknown as Row[], format));
    });
  pm.command('sizing')
    .description("shard count: the document's Roundup(n / ((T_thr*1000)/T_ptmax)) and the measured rule")
    .requiredOption('--gateways <n>', 'gateway counts, comma-separated', countList)
    .option('--interval-ms <ms>', 'poll interval', positiveInt, 1000)
    .option('--deadline-ms <ms>', 'reply deadline (default: half the interval)', positiveInt)
    .option('--time-quantum-ms <ms>', 'T_thr, the thread time quantum', positive, 10)
    .option('--tp-max-us <us>', 'T_ptmax, the maximum processing time per gateway (default: the worst batch measured here)', positive)
    .option('--per-gateway-us <t>', 'daemon CPU per gateway per cycle (default: measured here; bench messaging gives cpuUsPerGatewayCycle)', positive)
    .option('--cores <c>', 'cores', positiveInt, os.availableParallelism())
    .option('--oversubscribe', 'allow more shards than cores', false)
    .option('--format <format>', 'table | json | csv', 'table')
    .action(async (opts: { gateways: number[]; intervalMs: number; deadlineMs?: number; timeQuantumMs: number; tpMaxUs?: number; perGatewayUs?: number; cores: number; oversubscribe: boolean; format: string }) => {
      const { measureMessageCost, recommendShards } = await import('../../pmdaemon/index.js');
      const format = parseFormat(opts.format);
      // Measure only what was not given, so the document's example reproduces exactly from flags.
      const cost = opts.perGatewayUs === undefined || opts.tpMaxUs === undefined ? measureMessageCost() : undefined;
      const rows = opts.gateways.map((n) => recommendShards({
        gateways: n,
        perGatewayUs: opts.perGatewayUs ?? cost!.meanUs,
        ptmaxUs: opts.tpMaxUs ?? cost!.maxUs,
        intervalMs: opts.intervalMs,
        deadlineMs: opts.deadlineMs ?? opts.intervalMs / 2,
        cores: opts.cores,
        timeQuantumMs: opts.timeQuantumMs,
        allowOversubscribe: opts.oversubscribe,
      }));
      process.stdout.write(formatRows(rows as unknown as Row[], format));
    });
}
