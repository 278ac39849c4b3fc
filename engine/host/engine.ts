import os from 'node:os';
import { createLogger, headroomVersion, samplesDir, type Logger } from '../runtime/index.js';
import { FileAccess } from './file-access.js';
import { createMethodHandlers, createStreamHandlers, type EngineDeps } from './handlers.js';
import { WorkerLane } from './offload.js';
import type { RecentWorkspaces } from './recent.js';
import { EngineService } from './service.js';

export interface EngineOptions {
  /** The engine's file capabilities; by default the in-app dialog browses the home and working folders. */
  files?: FileAccess;
  recent?: RecentWorkspaces;
}

/** The engine service plus what its hosts (serve, Electron's utility process, tests) reach directly. */
export interface Engine extends EngineService {
  readonly files: FileAccess;
  /** Stops the worker lanes. */
  shutdown(): Promise<void>;
}

export function defaultFileAccess(): FileAccess {
  return new FileAccess({ browseRoots: [os.homedir(), process.cwd()], samplesDir: samplesDir() });
}

/** The engine as one service, whichever transports carry it. */
export function createEngine(log: Logger = createLogger('engine'), options: EngineOptions = {}): Engine {
  // Handlers push events (the SLA server's) through the service that is built from them.
  let service: EngineService | null = null;
  const deps: EngineDeps = {
    emit: (topic, payload) => service?.emit(topic, payload),
    log,
    files: options.files ?? defaultFileAccess(),
    policyLane: new WorkerLane('policy', log),
    reportLane: new WorkerLane('report', log),
    ...(options.recent ? { recent: options.recent } : {}),
  };
  service = new EngineService(createMethodHandlers(deps), createStreamHandlers(deps), log);
  return Object.assign(service, {
    files: deps.files,
    shutdown: async () => { await Promise.all([deps.policyLane.close(), deps.reportLane.close()]); },
  });
}

export { headroomVersion };
