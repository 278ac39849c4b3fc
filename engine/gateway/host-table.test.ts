import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RawNbdClient } from './raw-client.js';
import { REP_ACK, REP_ERR_POLICY } from './nbd-constants.js';

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(/(\d+)/.exec(line)![1]) / 1024;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

const CONNECTIONS = 10_000;
const CONCURRENCY = 32;

describe('the host table under many short-lived hosts', () => {
  it('keeps RSS under 300 MB and every stats line bounded through 10,000 connections with distinct host names', async () => {
    const cli = path.resolve(import.meta.dirname, '../../bin/headroom.js');
    if (!existsSync(path.resolve(import.meta.dirname, '../../dist/engine/cli/main.js'))) throw new Error('the CLI is not built: run "npm run build:engine" first');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-gw-hosts-'));
    const child = spawn(process.execPath, [cli, 'gateway', '--listen', '127.0.0.1:0', '--export', `lun0=file:${path.join(dir, 'lun0.img')}:8M`,
      '--stats-interval', '0.2', '--host-idle-intervals', '2', '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HEADROOM_LOG_LEVEL: 'warn' } });
    let stderr = '';
    let partial = '';
    let longestLine = 0;
    let lines = 0;
    let lastHosts = 0;
    child.stdout!.on('data', (d: Buffer) => {
      const text = partial + d.toString();
      const parts = text.split('\n');
      partial = parts.pop()!;
      for (const line of parts) {
        lines++;
        longestLine = Math.max(longestLine, line.length);
        lastHosts = (JSON.parse(line) as { stats: { kind: string }[] }).stats.filter((s) => s.kind === 'host').length;
      }
      longestLine = Math.max(longestLine, partial.length);
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`gateway did not start: ${stderr}`)), 15_000);
        child.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
          const m = /listening on nbd:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
          if (m) { clearTimeout(timer); resolve(Number(m[1])); }
        });
      });
      const rssBefore = rssMb(child.pid!);
      let next = 0;
      let served = 0;
      let tableFull = 0;
      let peakRss = rssBefore;
      const deadline = Date.now() + 150_000;
      const worker = async (): Promise<void> => {
        while (next < CONNECTIONS && Date.now() < deadline) {
          const i = next++;
          const client = await RawNbdClient.connect(port);
          try {
            await client.start();
            const go = await client.go(`host-${i}/lun0`);
            if (go.type === REP_ACK) {
              served++;
              expect((await client.command(0, (i % 2048) * 4096, 4096)).errno).toBe(0);
            } else {
              // The host-table bound at work: refused, said so, not crashed.
              expect(go.type >>> 0).toBe(REP_ERR_POLICY);
              tableFull++;
            }
          } finally {
            client.destroy();
          }
          if (i % 1000 === 0) peakRss = Math.max(peakRss, rssMb(child.pid!));
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
      peakRss = Math.max(peakRss, rssMb(child.pid!));
      // Idle: the hosts age out, and the gateway goes quiet.
      await new Promise((r) => setTimeout(r, 1500));
      const cpuStart = cpuSeconds(child.pid!);
      await new Promise((r) => setTimeout(r, 2000));
      const idleCpuShare = (cpuSeconds(child.pid!) - cpuStart) / 2;
      const figures = { connections: served + tableFull, served, tableFull, rssBeforeMb: Math.round(rssBefore), peakRssMb: Math.round(peakRss), longestStatsLineBytes: longestLine, statsLines: lines, hostsWhenIdle: lastHosts, idleCpuShare };
      console.log(JSON.stringify({ hostTable: figures }));
      expect(served + tableFull).toBe(CONNECTIONS);
      expect(served).toBeGreaterThan(0);
      expect(peakRss).toBeLessThan(300);
      // 1024 hosts at most (--max-hosts), each a host row and a pair row: well under a megabyte and a half.
      expect(longestLine).toBeLessThan(1.5 * 1024 * 1024);
      expect(lastHosts).toBe(0);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => { if (child.exitCode !== null) resolve(); else child.once('exit', () => resolve()); });
      await rm(dir, { recursive: true, force: true });
    }
  }, 200_000);
});
