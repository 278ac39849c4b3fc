import { createLogger, headroomVersion, type Logger } from '../runtime/index.js';
import { createMethodHandlers, createStreamHandlers } from './handlers.js';
import { EngineService } from './service.js';

/** The engine as one service, whichever transports carry it. */
export function createEngine(log: Logger = createLogger('engine')): EngineService {
  // Handlers push events (the SLA server's) through the service that is built from them.
  let service: EngineService | null = null;
  service = new EngineService(createMethodHandlers((topic, payload) => service?.emit(topic, payload), log), createStreamHandlers(), log);
  return service;
}

export { headroomVersion };
