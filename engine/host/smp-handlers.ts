import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fitUsl, UslInputError } from '../analysis/index.js';
import { samplesDir } from '../runtime/index.js';
import { analyticTable, loadScenario, loadSweep, runSweep, ScenarioError, simulateScenario, table1Hierarchy, validateScenario, type MemoryHierarchy } from '../smp/index.js';
import type { SmpSample } from './contract.js';
import type { MethodHandlers, StreamHandlers } from './service.js';
import { RpcError } from './wire.js';

/** Problems in a scenario, a sweep or a series are the user's to fix: say where, not a stack. */
function userFailure(err: unknown): never {
  if (err instanceof ScenarioError) throw new RpcError({ code: 'invalid-input', message: err.detail, where: err.where ? `${err.file} at ${err.where}` : err.file });
  if (err instanceof UslInputError || err instanceof RangeError) throw new RpcError({ code: 'invalid-input', message: err.message });
  throw err;
}

/** A single simulation runs on the engine's thread; this bound keeps a huge one from freezing it. */
const MAX_DECISIONS_PER_RUN = 20_000_000;

export function smpMethodHandlers(): Pick<MethodHandlers, 'smp.analytic' | 'smp.simulate' | 'smp.validate' | 'smp.samples' | 'usl.fit'> {
  return {
    'smp.analytic': (params) => {
      try {
        const ioLoad = params.ioLoad ?? 0.03;
        const hierarchy: MemoryHierarchy = { ...table1Hierarchy };
        for (const [key, value] of Object.entries(params.hierarchy ?? {})) if (value !== undefined) hierarchy[key as keyof MemoryHierarchy] = value;
        const base = { hierarchy, ...(params.cpus ? { cpus: params.cpus } : {}), ...(params.busDemand !== undefined ? { busDemand: params.busDemand } : {}) };
        return { withoutIo: analyticTable({ ...base, ioLoad: 0 }), withIo: analyticTable({ ...base, ioLoad }), ioLoad };
      } catch (err) { return userFailure(err); }
    },
    'smp.simulate': (params) => {
      try {
        return simulateScenario(validateScenario(params.scenario, 'scenario'), { maxDecisions: MAX_DECISIONS_PER_RUN });
      } catch (err) { return userFailure(err); }
    },
    'smp.validate': (params) => {
      try {
        validateScenario(params.scenario, 'scenario');
        return { ok: true, where: null, message: null };
      } catch (err) {
        if (err instanceof ScenarioError) return { ok: false, where: err.where || '$', message: err.detail };
        throw err;
      }
    },
    'smp.samples': async () => listSmpSamples(),
    'usl.fit': (params) => {
      try { return fitUsl(params.points); } catch (err) { return userFailure(err); }
    },
  };
}

export function smpStreamHandlers(): Pick<StreamHandlers, 'smp.sweep'> {
  return {
    'smp.sweep': async (params, ctx) => {
      try {
        const base = validateScenario(params.base, 'sweep base scenario');
        const rows = await runSweep(
          { base, axes: params.axes, ...(params.workers !== undefined ? { workers: params.workers } : {}), source: 'sweep' },
          { signal: ctx.signal, onProgress: (p) => ctx.progress({ done: p.done, total: p.total }) },
        );
        return { axes: params.axes, rows };
      } catch (err) {
        if (ctx.signal.aborted) throw new RpcError({ code: 'cancelled', message: 'sweep cancelled' });
        return userFailure(err);
      }
    },
  };
}

async function listSmpSamples(): Promise<SmpSample[]> {
  const dir = path.join(samplesDir(), 'smp');
  let names: string[];
  try { names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort(); } catch { return []; }
  const samples: SmpSample[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const raw = JSON.parse(await fs.readFile(file, 'utf8')) as { parameters?: unknown; name?: string; description?: string };
      if (raw.parameters !== undefined) {
        const sweep = await loadSweep(file);
        samples.push({ file, kind: 'sweep', title: raw.name ?? name, description: raw.description ?? '', scenario: sweep.base, axes: sweep.axes });
      } else {
        const scenario = await loadScenario(file);
        samples.push({ file, kind: 'scenario', title: scenario.name ?? name, description: scenario.description ?? '', scenario, axes: [] });
      }
    } catch { /* the samples test reports a broken sample; the list shows the good ones */ }
  }
  return samples;
}
