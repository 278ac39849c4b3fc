import { pino, type Logger } from 'pino';

/**
 * Structured logs go to stderr so that commands printing JSON on stdout stay parseable.
 * HEADROOM_LOG_LEVEL overrides the level (silent in tests that do not look at logs).
 */
export function createLogger(name: string, level?: string): Logger {
  return pino(
    { name, level: level ?? process.env.HEADROOM_LOG_LEVEL ?? 'info', base: { pid: process.pid } },
    pino.destination({ fd: 2, sync: true }),
  );
}

export type { Logger };
