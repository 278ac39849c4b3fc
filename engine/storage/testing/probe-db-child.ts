import { writeProbeToDatabase } from '../probe-db.js';
import type { ProbeResult } from '../probe.js';

/**
 * Crash-test child: writes storage probes of STEPS steps each into FILE as fast as it can and
 * prints `committed <id> <steps>` for each write that returned. The test kills it with SIGKILL
 * and checks that the reopened database holds each printed probe whole, and no torn one.
 * Usage: node probe-db-child.js FILE [STEPS] [MAX_PROBES]
 */
const [file, stepsArg, maxArg] = process.argv.slice(2);
if (!file) throw new Error('usage: probe-db-child FILE [STEPS] [MAX_PROBES]');
const steps = Number(stepsArg ?? 5000);
const max = Number(maxArg ?? 10_000);
for (let n = 1; n <= max; n++) {
  const result: ProbeResult = {
    uri: `nbd://127.0.0.1:10809/crash/lun${n % 3}`, bs: '4k', blockBytes: 4096, rw: 'randread', secondsPerStep: 1,
    startedAt: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(), complete: true,
    steps: Array.from({ length: steps }, (_, i) => ({ iodepth: i + 1, iops: n, mbps: n / 256, meanMs: 1, p50Ms: 1, p95Ms: 2, p99Ms: 3, ios: n * 10 })),
  };
  const { id } = writeProbeToDatabase(file, result);
  process.stdout.write(`committed ${id} ${steps}\n`);
}
