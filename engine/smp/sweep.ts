import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Type, type Static } from '@sinclair/typebox';
import { compileSchema, describeSchemaError, jsonPathOf, resolveWorkerScript } from '../runtime/index.js';
import { ScenarioError, ScenarioSchema, loadScenario, validateScenario, type Scenario } from './scenario-schema.js';
import { evaluatePoint, scenarioAt, type SweepRow } from './sweep-point.js';
import type { PointReply, PointRequest } from './sweep-worker.js';

const ParameterSchema = Type.Object({
  path: Type.String({ minLength: 1, description: 'Dotted path into the scenario: cpus, busBandwidth, ioLoad, seed, autopilot.threshold, autopilot.adjustRate, hierarchy.l1HitFraction, ...' }),
  values: Type.Optional(Type.Array(Type.Number(), { minItems: 1, maxItems: 10_000 })),
  from: Type.Optional(Type.Number()),
  to: Type.Optional(Type.Number()),
  steps: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
}, { additionalProperties: false });

export const SweepSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  description: Type.Optional(Type.String({ maxLength: 10_000 })),
  base: Type.Optional(ScenarioSchema),
  baseFile: Type.Optional(Type.String({ description: 'Scenario file the grid starts from, relative to this file.' })),
  parameters: Type.Array(ParameterSchema, { minItems: 1, maxItems: 8 }),
  workers: Type.Optional(Type.Integer({ minimum: 0, maximum: 256, description: 'Worker threads (default: one per core; 0 runs in-process).' })),
}, { additionalProperties: false });

export type SweepFile = Static<typeof SweepSchema>;

/** A sweep ready to run: the base scenario and the grid axes, each with its values. */
export interface SweepSpec {
  name?: string;
  base: Scenario;
  axes: { path: string; values: number[] }[];
  workers?: number;
  /** Names the sweep in error messages (its file). */
  source?: string;
}

export interface SweepProgress {
  done: number;
  total: number;
  row: SweepRow;
}

export interface SweepOptions {
  onProgress?: (progress: SweepProgress) => void;
  signal?: AbortSignal;
  /** Overrides the spec's worker count; 0 runs in this thread. */
  workers?: number;
}

const validateSweep = compileSchema(SweepSchema);

/** Read a sweep file; errors name the file and JSON path. A baseFile is relative to the sweep file. */
export async function loadSweep(file: string): Promise<SweepSpec> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ScenarioError(file, '', err instanceof SyntaxError ? `not valid JSON (${err.message})` : `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return sweepSpecFrom(value, file, (baseFile) => loadScenario(path.resolve(path.dirname(file), baseFile)));
}

/**
 * A sweep from a parsed value (a file's content, or an RPC request). Without `loadBase`, the base
 * scenario must be inline: a request from the renderer does not name files on the engine's disk.
 */
export async function sweepSpecFrom(value: unknown, source = 'sweep', loadBase?: (baseFile: string) => Promise<Scenario>): Promise<SweepSpec> {
  if (!validateSweep(value)) {
    const error = validateSweep.errors?.[0];
    const at = error ? jsonPathOf(error.instancePath) : '$';
    throw new ScenarioError(source, at, error ? describeSchemaError(error).slice(at.length + 2) : 'does not match the sweep schema');
  }
  const s = value;
  if ((s.base === undefined) === (s.baseFile === undefined)) throw new ScenarioError(source, '$', 'give exactly one of "base" and "baseFile"');
  if (s.baseFile !== undefined && !loadBase) throw new ScenarioError(source, '$.baseFile', 'give the base scenario inline as "base"');
  const base = s.base ?? (await loadBase!(s.baseFile!));
  const axes = s.parameters.map((p, i) => ({ path: p.path, values: axisValues(p, source, `$.parameters[${i}]`) }));
  return { ...(s.name !== undefined ? { name: s.name } : {}), base, axes, ...(s.workers !== undefined ? { workers: s.workers } : {}), source };
}

function axisValues(p: Static<typeof ParameterSchema>, file: string, where: string): number[] {
  if (p.values !== undefined) {
    if (p.from !== undefined || p.to !== undefined || p.steps !== undefined) throw new ScenarioError(file, where, 'give "values" or "from"/"to"/"steps", not both');
    return p.values;
  }
  if (p.from === undefined || p.to === undefined || p.steps === undefined) throw new ScenarioError(file, where, 'needs "values", or "from", "to" and "steps"');
  if (p.steps === 1) return [p.from];
  return Array.from({ length: p.steps }, (_, k) => p.from! + ((p.to! - p.from!) * k) / (p.steps! - 1));
}

/** Every grid point, the first axis varying slowest. */
export function gridPoints(axes: SweepSpec['axes']): [string, number][][] {
  let points: [string, number][][] = [[]];
  for (const axis of axes) points = points.flatMap((pt) => axis.values.map((v) => [...pt, [axis.path, v] as [string, number]]));
  return points;
}

export const MAX_SWEEP_POINTS = 100_000;

/**
 * Run every grid point of a sweep, spread over worker threads, streaming each finished row to
 * onProgress. Rows come back in grid order. Aborting the signal terminates the workers and
 * rejects with the signal's reason.
 */
export async function runSweep(spec: SweepSpec, options: SweepOptions = {}): Promise<SweepRow[]> {
  const points = gridPoints(spec.axes);
  if (points.length > MAX_SWEEP_POINTS) throw new RangeError(`${spec.source ?? 'sweep'}: ${points.length} grid points is more than ${MAX_SWEEP_POINTS}`);
  const total = points.length;
  const where = (i: number): string => `${spec.source ?? 'sweep'} (grid point ${i + 1}: ${points[i]!.map(([p, v]) => `${p}=${v}`).join(', ')})`;
  // Validate every point before any work starts, so a bad value fails at once and names its point.
  const scenarios = points.map((pt, i) => validateScenario(scenarioAt(spec.base, pt), where(i)));
  const rows = new Array<SweepRow>(total);
  let done = 0;
  const signal = options.signal;
  signal?.throwIfAborted();
  const workerCount = Math.min(total, options.workers ?? spec.workers ?? availableParallelism());

  if (workerCount <= 0) {
    for (let i = 0; i < total; i++) {
      signal?.throwIfAborted();
      rows[i] = evaluatePoint(scenarios[i]!, points[i]!);
      done++;
      options.onProgress?.({ done, total, row: rows[i]! });
      // Yield so an abort from the event loop (Ctrl+C, an RPC cancel) is seen between points.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return rows;
  }

  const script = resolveWorkerScript(import.meta.url, './sweep-worker.js');
  const workers: Worker[] = [];
  return new Promise<SweepRow[]>((resolve, reject) => {
    let next = 0;
    let settled = false;
    const finish = (err: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      for (const w of workers) void w.terminate();
      if (err === undefined) resolve(rows); else reject(err);
    };
    const onAbort = (): void => finish(signal!.reason ?? new Error('sweep cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const feed = (w: Worker): void => {
      if (next >= total) return;
      const index = next++;
      const req: PointRequest = { index, scenario: scenarios[index]!, assignment: points[index]! };
      w.postMessage(req);
    };
    for (let k = 0; k < workerCount; k++) {
      const w = new Worker(script);
      workers.push(w);
      w.on('message', (reply: PointReply) => {
        if (settled) return;
        if ('error' in reply) { finish(new Error(reply.error)); return; }
        rows[reply.index] = reply.row;
        done++; // not inside the optional call: its arguments are skipped when there is no listener
        options.onProgress?.({ done, total, row: reply.row });
        if (done === total) finish(undefined); else feed(w);
      });
      w.on('error', (err) => finish(err));
      feed(w);
    }
  });
}
