#!/usr/bin/env node
// Dispatch speed of this checkout's simulator against another built checkout's, in one process,
// runs alternating so both see the same machine: the "no more than 10% loss" check of issue 12.
//   git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci && npx tsc -p tsconfig.json)
//   npx tsc -p tsconfig.json && node scripts/compare-smp.mjs /tmp/before [--decisions N] [--rounds R] [--dispatcher standard|autopilot] [--bus LAW]
// Prints JSON: decisions per CPU-second of each (median) and the median of the per-round ratios.
// The workload is `bench smp`'s: 64 threads of 10-40% demand on 4 CPUs. The other checkout runs
// its own default law and AutoPilot (before the bus laws: the document law, projected commitment).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { decisions: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '15' }, dispatcher: { type: 'string', default: 'standard' }, bus: { type: 'string', default: 'document' } },
});
if (positionals.length !== 1) { console.error('usage: node scripts/compare-smp.mjs OTHER_CHECKOUT [--decisions N] [--rounds R] [--dispatcher standard|autopilot] [--bus LAW]'); process.exit(2); }
const decisions = Number(values.decisions), rounds = Number(values.rounds), kind = values.dispatcher, bus = values.bus;
if (!(decisions >= 1000 && decisions <= 1e8) || !(rounds >= 1 && rounds <= 1000)) { console.error('--decisions: 1000..1e8, --rounds: 1..1000'); process.exit(2); }
if (kind !== 'standard' && kind !== 'autopilot') { console.error('--dispatcher: standard or autopilot'); process.exit(2); }

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
async function load(tree) {
  const mod = (p) => import(path.join(path.resolve(tree), 'dist/engine/smp', p)).catch((err) => {
    console.error(`${tree}: no built simulator (${err.message}); run npx tsc -p tsconfig.json there`); process.exit(2);
  });
  return { sim: await mod('simulator.js'), model: await mod('model.js'), prng: await mod('prng.js') };
}
const trees = { other: await load(positionals[0]), this: await load(here) };

const prepared = {};
for (const [name, t] of Object.entries(trees)) {
  const rng = t.prng.createRng(1);
  const threads = Array.from({ length: 64 }, (_, k) => ({
    name: `b${k}`, arrival: k < 4 ? k * 0.25 : 1,
    phases: Array.from({ length: 40_000 }, () => ({ work: 50, busDemand: rng.between(0.1, 0.4) })),
  }));
  const r = t.model.resolveScenario({ seed: 1, cpus: 4, timeSlice: 1, threads, ...(name === 'this' ? { bus } : {}) });
  const ap = name === 'this' && kind === 'autopilot' ? { ...r.autopilot, variant: 'projected' } : r.autopilot;
  t.sim.runSimulation(r.machine, r.threads, kind, ap, { maxDecisions: 100_000 }); // warm the JIT
  prepared[name] = () => t.sim.runSimulation(r.machine, r.threads, kind, ap, { maxDecisions: decisions });
}

// CPU time, not wall time: on a shared machine a preempted run would otherwise count as slow.
const rates = { other: [], this: [] };
const ratios = [];
for (let i = 0; i < rounds; i++) {
  const pair = {};
  for (const name of i % 2 ? ['this', 'other'] : ['other', 'this']) {
    const c0 = process.cpuUsage();
    const m = prepared[name]();
    const c = process.cpuUsage(c0);
    pair[name] = m.decisions / ((c.user + c.system) / 1e6);
    rates[name].push(pair[name]);
  }
  ratios.push(pair.this / pair.other);
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
console.log(JSON.stringify({
  workload: '64 threads of 10-40% bus demand on 4 CPUs (bench smp)', dispatcher: kind, bus, decisions, rounds,
  otherDecisionsPerCpuSecond: Math.round(median(rates.other)), thisDecisionsPerCpuSecond: Math.round(median(rates.this)),
  ratioMedian: Number(median(ratios).toFixed(3)), ratios: ratios.map((r) => Number(r.toFixed(3))),
}, null, 2));
