import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';

export interface ProgressReporter {
  update(done: number, total: number, label?: string): void;
  stop(): void;
}

/**
 * A progress bar on a terminal (stderr), silent otherwise, so piped JSON stays clean.
 */
export function terminalProgress(title: string): ProgressReporter {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  // Loaded only for a bar on a terminal, so starting the CLI (and `--help`) stays quick.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const bar = new cliProgress.SingleBar(
    { format: `${title} [{bar}] {percentage}% {value}/{total} {label}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const reporter: ProgressReporter = {
    update(done, total, label = '') {
      if (!started) { bar.start(total, done, { label }); started = true; active.add(reporter); }
      bar.setTotal(total);
      bar.update(done, { label });
    },
    stop() { if (started) { bar.stop(); started = false; active.delete(reporter); } },
  };
  return reporter;
}

/** Bars on screen now: Ctrl+C stops them first, so its message is not drawn over by a redraw. */
const active = new Set<ProgressReporter>();

/**
 * An AbortSignal fired by the first Ctrl+C, so long commands stop cleanly;
 * a second Ctrl+C exits at once.
 */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    for (const bar of [...active]) bar.stop();
    process.stderr.write('\ncancelling: finished work is kept (Ctrl+C again to quit at once)\n');
    controller.abort(new Error('cancelled by the user'));
    process.once('SIGINT', () => process.exit(130));
  });
  return controller.signal;
}
