import { spawn } from 'node:child_process';
import { InvalidArgumentError, type Command } from 'commander';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 picks a free one)');
  return port;
}

/** Best effort: a headless machine has no browser to open, and the URL is printed anyway. */
function openInBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => process.stderr.write(`headroom: could not start ${opener}; open the URL above by hand\n`));
    child.unref();
  } catch { /* printed URL suffices */ }
}

export async function serveWorkbench(options: { port: number; open: boolean; banner?: string }): Promise<void> {
  // The engine host pulls in every feature; loading it only here keeps `headroom --help` and
  // every other command quick to start.
  const { createEngine, startBrowserServer } = await import('../../host/index.js');
  const { createLogger, rendererDistDir } = await import('../../runtime/index.js');
  const log = createLogger('engine');
  const engine = createEngine(log);
  const server = await startBrowserServer(engine, { port: options.port, rendererDir: rendererDistDir() }, log);
  process.stdout.write(`${options.banner ?? 'Headroom workbench'}: ${server.url}\n`);
  if (options.open) openInBrowser(server.url);
  const stop = (): void => { void server.close().then(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the workbench in a browser (engine on 127.0.0.1, with a per-launch token)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', parsePort, 0)
    .option('--open', 'open the workbench in the default browser', false)
    .action(async (opts: { port: number; open: boolean }) => serveWorkbench(opts));
}
