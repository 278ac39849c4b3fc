import { InvalidArgumentError, type Command } from 'commander';
import type { BusProbeResult } from '../../smp/index.js';
import { formatRows, parseFormat, type Row } from '../output.js';
import { interruptSignal, terminalProgress } from '../progress.js';

function wholeAtLeastOne(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new InvalidArgumentError('a whole number from 1 to 1024');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new InvalidArgumentError('seconds, more than 0 and at most 3600');
  return n;
}

const gb = (bps: number): number => Math.round(bps / 1e7) / 100;

/** The loaded-latency points as rows, the idle point first, for a terminal or CSV. */
function probeRows(r: BusProbeResult): Row[] {
  return [
    { threads: 1, delay: null, bandwidthGBps: gb(64 / (r.idleLatencyNs / 1e9)), latencyNs: r.idleLatencyNs },
    ...r.curves.flatMap((c) => c.points.map((p) => ({ threads: c.threads, delay: p.delay, bandwidthGBps: gb(p.bandwidthBytesPerSec), latencyNs: p.latencyNs }))),
  ];
}

/** `smp probe`: registered on the existing `smp` command, so smp.ts stays untouched. */
export function registerSmpProbe(program: Command): void {
  const smp = program.commands.find((c) => c.name() === 'smp');
  if (!smp) throw new Error('registerSmpProbe: register the smp command first');
  smp
    .command('probe')
    .description("measure this machine's memory bus as Intel's MLC does: loaded latency against bandwidth, idle latency, peak bandwidth, and the queueing law's fitted parameters")
    .option('--threads <k>', 'threads in all: one chases pointers, up to K-1 stream (default: available parallelism)', wholeAtLeastOne)
    .option('--seconds <s>', 'time budget of the measuring phases (buffer set-up comes on top)', seconds, 10)
    .option('--save <workspace>', 'add the machine record and the curve to this workspace (created when missing)')
    .option('--format <format>', 'table | json | csv', 'table')
    .action(async (opts: { threads?: number; seconds: number; save?: string; format: string }) => {
      const { runBusProbe, saveBusProbe } = await import('../../smp/index.js');
      const { machineLine } = await import('../../runtime/index.js');
      const format = parseFormat(opts.format);
      const progress = terminalProgress('probe');
      let result: BusProbeResult;
      try {
        result = await runBusProbe(
          { ...(opts.threads !== undefined ? { threads: opts.threads } : {}), seconds: opts.seconds },
          { signal: interruptSignal(), onProgress: (p) => progress.update(p.done, p.total, p.label) },
        );
      } finally {
        progress.stop();
      }
      if (opts.save) {
        const saved = await saveBusProbe(opts.save, result);
        process.stderr.write(`saved as ${saved.id} in ${saved.path}\n`);
      }
      if (format === 'json') { process.stdout.write(JSON.stringify(result, null, 2) + '\n'); return; }
      process.stdout.write(formatRows(probeRows(result), format));
      if (format === 'table') {
        const f = result.fit;
        process.stdout.write([
          '',
          `machine: ${machineLine(result.machine)}`,
          `LLC ${result.llc.bytes / 2 ** 20} MiB (${result.llc.source}); chase buffer ${result.chaseBufferBytes / 2 ** 20} MiB`,
          `idle latency ${f.idleLatencyNs.toFixed(1)} ns; peak bandwidth ${result.peakBandwidth.map((p) => `${p.threads}T ${gb(p.bytesPerSec)} GB/s`).join(', ')}`,
          `fit (${f.model}): service ${f.transactionServiceNs.toFixed(2)} ns/line, arbitration ${f.arbitrationNs.toFixed(2)} ns, rms error ${f.fitRmsErrorNs.toFixed(2)} ns over ${f.points} points`,
          '',
        ].join('\n'));
      }
    });
}
