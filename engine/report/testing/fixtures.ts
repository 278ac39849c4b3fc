import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runSweep } from '../../smp/index.js';
import { parseWorkspace, type MessagingSection, type Workspace } from '../../workspace/index.js';
import { samplesDir } from '../../runtime/index.js';

export const samplePath = path.join(samplesDir(), 'capacity-study.headroom.json');

export function sampleWorkspace(): Workspace {
  return parseWorkspace(samplePath, readFileSync(samplePath, 'utf8'));
}

type Study = MessagingSection['studies'][number];

/** A messaging study shaped as the Messaging view saves it; the numbers are made up but plausible. */
export function messagingStudy(): Study {
  const gateways = [10, 100, 1000];
  const rows = gateways.flatMap((n, i) => (['pair', 'per-agent'] as const).map((arch) => ({
    arch, gateways: n, threads: arch === 'pair' ? 2 : n, osThreads: arch === 'pair' ? 12 : n + 10, registered: n, cycles: 5,
    cycleP50Ms: arch === 'pair' ? 0.8 + i * 1.1 : 1.5 + i * 9.25, cycleP99Ms: arch === 'pair' ? 1.25 + i * 1.5 : 2.5 + i * 17.125,
    missed: 0, late: arch === 'per-agent' && n === 1000 ? 2 : 0, messagesPerSecond: n * (arch === 'pair' ? 2 : 1.9),
    cpuMs: n * 0.4, cpuUsPerGatewayCycle: arch === 'pair' ? 7.5 : 31.25, rssMb: arch === 'pair' ? 60 + n * 0.01 : 60 + n * 0.55,
    contextSwitches: arch === 'pair' ? 40 * (i + 1) : n * 12, fleetCpuMs: n * 0.3,
    error: arch === 'per-agent' && n === 1000 ? 'registration stalled, "slow" agents, retry' : null,
  })));
  return {
    id: 'fleet-2000',
    name: 'Daemon against 10 to 1,000 gateways',
    result: {
      request: { gateways, archs: ['pair', 'per-agent'], intervalMs: 1000, cycles: 5, serviceUs: 0, batching: true, floor: true },
      measuredAt: '2026-10-15T14:30:00.000Z',
      cores: 2,
      machine: { os: 'Linux 6.1.0 (linux)', arch: 'x64', cpuModel: 'Example CPU @ 2.0GHz', cpus: 2, memoryGiB: 24, node: 'v20.20.2', hostname: 'lab-7' },
      loadAverage1m: 0.42,
      rows,
      batching: {
        rows: [
          { mode: 'concatenated', burst: 64, bursts: 2000, messages: 128000, writeCalls: 2000, seconds: 0.5, messagesPerSecond: 256000, usPerMessage: 3.906 },
          { mode: 'one-write-per-message', burst: 64, bursts: 2000, messages: 128000, writeCalls: 128000, seconds: 2.1, messagesPerSecond: 60952.38, usPerMessage: 16.406 },
        ],
        ratio: 4.2,
      },
      floor: [10, 100, 1000].map((n) => ({ gateways: n, cycles: 5, cycleP50Ms: n * 0.016, cycleMaxMs: n * 0.021, pollerCpuMsPerCycle: n * 0.014, echoCpuMsPerCycle: n * 0.015, cpuUsPerSocketCycle: 29.25 })),
      messageCost: { samples: 10000, meanUs: 2.5, p99Us: 6.125, maxUs: 40.5 },
      model: {
        params: { t1Us: 16.4, t2Us: 20, t3Us: 0, t4Us: 20, t5Us: 20, threadSwitchUs: 5, perGatewayUs: 7.5, shards: 2, cores: 2 },
        sources: { t1Us: 'batching benchmark', t2Us: 'assumed', t3Us: 'request', t4Us: 'assumed', t5Us: 'assumed', threadSwitchUs: 'measured', perGatewayUs: 'measured' },
        curves: [1, 10, 100, 1000].map((n) => ({ gateways: n, singleThreadSyncMs: n * 0.0764, threadPerAgentMs: 0.08 + n * 0.02, threadPairMs: 0.08 + n * 0.0038 })),
      },
      sizing: gateways.map((n) => ({
        gateways: n, cores: 2, timeQuantumMs: 10, ptmaxUs: 40.5, perGatewayUs: 7.5,
        documentFormula: Math.ceil((n * 40.5) / 10000), measuredRule: 1, measuredUnclamped: n * 7.5 / 500000, recommended: Math.max(1, Math.ceil((n * 40.5) / 10000)), basis: 'document formula',
      })),
    },
  };
}

/** The sample plus a two-axis sweep (really run) and a messaging study: every section kind. */
export async function richWorkspace(): Promise<Workspace> {
  const ws = sampleWorkspace();
  const smp = ws.smp!;
  const base = smp.scenarios[0]!.scenario;
  const axes = [{ path: 'autopilot.threshold', values: [0.8, 0.9, 1] }, { path: 'ioLoad', values: [0, 0.05] }];
  const rows = await runSweep({ base, axes, workers: 0 });
  smp.sweeps.push({ id: 'threshold-io', name: 'AutoPilot threshold against I/O load', scenarioId: smp.scenarios[0]!.id, axes, rows, ranAt: '2026-11-01T10:00:00.000Z' });
  smp.sweeps.push({ id: 'not-run', name: 'Planned CPU sweep', scenarioId: smp.scenarios[0]!.id, axes: [{ path: 'cpus', values: [2, 4, 8] }] });
  ws.messaging = { studies: [messagingStudy()] };
  return ws;
}
