import { createHash } from 'node:crypto';
import { checkPolicy, MAX_POLICY_BYTES, policyJsonSchema } from '../sla/index.js';
import { SlaServer } from '../sla/server/index.js';
import { FileTooLargeError, readFileBounded, writeFileAtomic } from '../workspace/index.js';
import type { EngineDeps } from './handlers.js';
import { isLoopbackHost } from './loopback.js';
import { planDemo, startDemo, type DemoRun } from '../sla/demo/index.js';
import type { MethodHandlers } from './service.js';
import { RpcError } from './wire.js';
import { SlaMetricsSetting } from './metrics-setting.js';

type SlaMethods = 'policy.schema' | 'policy.check' | 'policy.read' | 'policy.hover' | 'policy.complete' | 'policy.write' | 'sla.start' | 'sla.demo' | 'sla.stop' | 'sla.status' | 'sla.apply' | 'sla.history' | 'sla.series' | 'sla.timeline'
  | 'metrics.get' | 'metrics.set';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export { isLoopbackHost };

async function readPolicyText(file: string): Promise<string> {
  try {
    return (await readFileBounded(file, MAX_POLICY_BYTES)).toString('utf8');
  } catch (err) {
    if (err instanceof FileTooLargeError) throw new RpcError({ code: 'invalid-input', message: `is ${err.size} bytes, over the ${MAX_POLICY_BYTES}-byte limit for a policy`, where: file });
    const code = (err as NodeJS.ErrnoException).code;
    throw new RpcError({ code: code === 'ENOENT' ? 'not-found' : 'invalid-input', message: `cannot read the policy (${code ?? String(err)})`, where: file });
  }
}

/**
 * The SLA server inside the workbench's engine: at most one, started and stopped from the
 * Monitor view, its events pushed to every connected window. Policy checks run on the policy
 * worker lane, so a huge policy does not stall other clients.
 */
export function slaMethodHandlers({ emit, log, files, policyLane }: EngineDeps): Pick<MethodHandlers, SlaMethods> {
  const metrics = new SlaMetricsSetting(log);
  let server: SlaServer | null = null;
  let demo: DemoRun | null = null;
  let starting = false;
  const running = (): SlaServer => {
    if (!server) throw new RpcError({ code: 'unavailable', message: 'the SLA server is not running; start it from the Monitor view' });
    return server;
  };
  return {
    'policy.schema': () => policyJsonSchema,
    'policy.check': (params, ctx) => policyLane.run({ kind: 'policy.check', text: params.text }, { signal: ctx.signal }),
    'policy.hover': (params, ctx) => policyLane.run({ kind: 'policy.hover', text: params.text, line: params.line, column: params.column }, { signal: ctx.signal }),
    'policy.complete': (params, ctx) => policyLane.run({ kind: 'policy.complete', text: params.text, line: params.line, column: params.column }, { signal: ctx.signal }),
    'policy.read': async (params) => {
      const file = await files.authorize(params.path, 'policy', 'read');
      const text = await readPolicyText(file);
      return { path: file, text, hash: sha256(text) };
    },
    'policy.write': async (params) => {
      // Policies are the user's text: saved atomically, drafts with errors included (applying is what is guarded).
      const file = await files.authorize(params.path, 'policy', 'write');
      let existing: string | null = null;
      try { existing = await readPolicyText(file); } catch (err) { if (!(err instanceof RpcError && err.code === 'not-found')) throw err; }
      if (existing !== null) {
        await files.checkReplaceable(file, 'policy');
        if (params.baseHash !== undefined && sha256(existing) !== params.baseHash) {
          throw new RpcError({ code: 'conflict', message: 'changed on disk since it was opened; reopen it or save under another name', where: file });
        }
        if (params.baseHash === undefined && !params.overwrite) throw new RpcError({ code: 'conflict', message: 'already exists; confirm to overwrite it', where: file });
      }
      await writeFileAtomic(file, params.text);
      return { path: file, text: params.text, hash: sha256(params.text) };
    },
    'sla.start': async (params) => {
      if (server || starting) throw new RpcError({ code: 'conflict', message: 'the SLA server is already running in this engine' });
      starting = true;
      try {
        const policyFile = await files.authorize(params.policyFile, 'policy', 'read');
        const dbFile = await files.authorize(params.dbFile, 'sla-db', 'write');
        await files.checkReplaceable(dbFile, 'sla-db');
        // Gateways on other machines only when the policy itself says so: the page cannot open the port wider.
        if (!isLoopbackHost(params.listen.host)) {
          const policy = checkPolicy(await readPolicyText(policyFile)).policy;
          const named = policy?.document.server?.listenHost;
          if (named !== params.listen.host) {
            throw new RpcError({
              code: 'forbidden', where: policyFile,
              message: `the SLA server listens on loopback unless the policy names a wider address; add "server: { listenHost: ${params.listen.host} }" to the policy to accept gateways from other machines`,
            });
          }
        }
        let started: SlaServer;
        try {
          started = await SlaServer.start({ policyFile, dbFile, listen: params.listen, log });
        } catch (err) {
          throw new RpcError({ code: 'invalid-input', message: err instanceof Error ? err.message : String(err) });
        }
        started.onEvent((event) => emit('sla.event', event));
        server = started;
        await metrics.attach(started);
        return started.status();
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
        await metrics.attach(started);
        // The demo's own folder (its policy copy and database) is the engine's making: reports may read it.
        await files.addRoot(plan.workDir, 'user').catch(() => undefined);
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
      await metrics.detach();
      // The demo's load and storage go first, so the server does not record their going away as faults.
      if (running) await running.stop();
      if (current) await current.stop();
      return { stopped: current !== null };
    },
    'sla.status': () => server?.status() ?? null,
    'metrics.get': () => metrics.state(),
    'metrics.set': (params) => metrics.set(params),
    'sla.apply': (params) => {
      const result = running().applyPolicy(params.text, params.source);
      return result.ok ? { ok: true, version: result.version, restartNeeded: result.restartNeeded } : { ok: false, diagnostics: result.diagnostics, active: result.active };
    },
    'sla.history': () => [...running().policies.history()],
    'sla.series': (params) => running().db.queries.classSeries({ className: params.className, from: params.from, to: params.to, ...(params.gatewayId ? { gatewayId: params.gatewayId } : {}) }),
    'sla.timeline': (params) => running().db.queries.timeline({ from: params.from, to: params.to, ...(params.limit ? { limit: params.limit } : {}) }),
  };
}
