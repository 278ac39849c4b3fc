import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../runtime/index.js';
import { checkPolicy, policyCompletionsAt, policyHoverAt, policyJsonSchema } from '../sla/index.js';
import { SlaServer } from '../sla/server/index.js';
import { planDemo, startDemo, type DemoRun } from '../sla/demo/index.js';
import type { EngineEvents } from './contract.js';
import type { MethodHandlers } from './service.js';
import { RpcError } from './wire.js';

type SlaMethods = 'policy.schema' | 'policy.check' | 'policy.read' | 'policy.hover' | 'policy.complete' | 'policy.write' | 'sla.start' | 'sla.demo' | 'sla.stop' | 'sla.status' | 'sla.apply' | 'sla.history' | 'sla.series' | 'sla.timeline';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The SLA server inside the workbench's engine: at most one, started and stopped from the
 * Monitor view, its events pushed to every connected window.
 */
export function slaMethodHandlers(emit: (topic: 'sla.event', payload: EngineEvents['sla.event']) => void, log: Logger): Pick<MethodHandlers, SlaMethods> {
  let server: SlaServer | null = null;
  let demo: DemoRun | null = null;
  let starting = false;
  const running = (): SlaServer => {
    if (!server) throw new RpcError({ code: 'unavailable', message: 'the SLA server is not running; start it from the Monitor view' });
    return server;
  };
  return {
    'policy.schema': () => policyJsonSchema,
    'policy.check': (params) => {
      const result = checkPolicy(params.text);
      return { ok: !result.diagnostics.some((d) => d.severity === 'error'), diagnostics: result.diagnostics };
    },
    'policy.hover': (params) => policyHoverAt(params.text, params.line, params.column),
    'policy.complete': (params) => policyCompletionsAt(params.text, params.line, params.column),
    'policy.read': async (params) => {
      const file = path.resolve(params.path);
      try {
        const text = await fs.readFile(file, 'utf8');
        return { path: file, text, hash: sha256(text) };
      } catch (err) {
        throw new RpcError({ code: 'not-found', message: `cannot read the policy (${(err as NodeJS.ErrnoException).code ?? String(err)})`, where: file });
      }
    },
    'policy.write': async (params) => {
      // Policies are the user's text: saved atomically, drafts with errors included (applying is what is guarded).
      const file = path.resolve(params.path);
      let existing: string | null = null;
      try { existing = await fs.readFile(file, 'utf8'); } catch { existing = null; }
      if (existing !== null) {
        if (params.baseHash !== undefined && sha256(existing) !== params.baseHash) {
          throw new RpcError({ code: 'conflict', message: 'changed on disk since it was opened; reopen it or save under another name', where: file });
        }
        if (params.baseHash === undefined && !params.overwrite) throw new RpcError({ code: 'conflict', message: 'already exists; confirm to overwrite it', where: file });
      }
      const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      const handle = await fs.open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
      try { await handle.writeFile(params.text, 'utf8'); await handle.sync(); } finally { await handle.close(); }
      await fs.rename(temp, file);
      return { path: file, text: params.text, hash: sha256(params.text) };
    },
    'sla.start': async (params) => {
      if (server || starting) throw new RpcError({ code: 'conflict', message: 'the SLA server is already running in this engine' });
      starting = true;
      try {
        const started = await SlaServer.start({ policyFile: params.policyFile, dbFile: params.dbFile, listen: params.listen, log });
        started.onEvent((event) => emit('sla.event', event));
        server = started;
        return started.status();
      } catch (err) {
        throw new RpcError({ code: 'invalid-input', message: err instanceof Error ? err.message : String(err) });
      } finally {
        starting = false;
      }
    },
    'sla.demo': async () => {
      if (server || starting) throw new RpcError({ code: 'conflict', message: 'the SLA server is already running in this engine; stop it first' });
      starting = true;
      try {
        const plan = await planDemo();
        const started = await SlaServer.start({ policyFile: plan.policyFile, dbFile: plan.dbFile, listen: { host: '127.0.0.1', port: 0 }, log });
        try {
          demo = await startDemo(plan, started.status().listen!, log);
        } catch (err) {
          await started.stop();
          throw err;
        }
        started.onEvent((event) => emit('sla.event', event));
        server = started;
        log.info({ mode: demo.mode, folder: plan.workDir }, demo.detail);
        return { ...started.status(), demo: { mode: demo.mode, detail: demo.detail, folder: plan.workDir } };
      } catch (err) {
        throw new RpcError({ code: 'invalid-input', message: err instanceof Error ? err.message : String(err) });
      } finally {
        starting = false;
      }
    },
    'sla.stop': async () => {
      const current = server;
      const running = demo;
      server = null;
      demo = null;
      // The demo's load and storage go first, so the server does not record their going away as faults.
      if (running) await running.stop();
      if (current) await current.stop();
      return { stopped: current !== null };
    },
    'sla.status': () => server?.status() ?? null,
    'sla.apply': (params) => {
      const result = running().applyPolicy(params.text, params.source);
      return result.ok ? { ok: true, version: result.version, restartNeeded: result.restartNeeded } : { ok: false, diagnostics: result.diagnostics, active: result.active };
    },
    'sla.history': () => [...running().policies.history()],
    'sla.series': (params) => running().db.queries.classSeries({ className: params.className, from: params.from, to: params.to, ...(params.gatewayId ? { gatewayId: params.gatewayId } : {}) }),
    'sla.timeline': (params) => running().db.queries.timeline({ from: params.from, to: params.to, ...(params.limit ? { limit: params.limit } : {}) }),
  };
}
