import { createLogger, headroomVersion, type Logger } from '../runtime/index.js';
import { createMethodHandlers, createStreamHandlers } from './handlers.js';
import { EngineService } from './service.js';

/** The engine as one service, whichever transports carry it. */
export function createEngine(log: Logger = createLogger('engine')): EngineService {
  return new EngineService(createMethodHandlers(), createStreamHandlers(), log);
}

export { headroomVersion };
