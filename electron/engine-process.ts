import { MessageChannelMain, utilityProcess, type UtilityProcess, type WebContents } from 'electron';
import { IPC } from './bridge.js';

/**
 * The engine runs as a utilityProcess (plain Node, no Electron APIs). Each renderer gets its
 * own MessagePort to it, handed over through the preload. If the engine dies it is restarted
 * and every window is reconnected; the renderer shows the gap in its status bar.
 */
export class EngineProcess {
  private child: UtilityProcess | null = null;
  private stopping = false;
  private restarts = 0;
  private readonly windows = new Set<WebContents>();
  private nextGrant = 0;
  private readonly grants = new Map<number, { resolve: (path: string) => void; reject: (error: Error) => void }>();

  constructor(private readonly entry: string, private readonly log: (message: string) => void) {}

  start(): void {
    this.stopping = false;
    const child = utilityProcess.fork(this.entry, [], { serviceName: 'Headroom engine', stdio: 'inherit' });
    this.child = child;
    child.on('message', (message: unknown) => this.settleGrant(message));
    child.on('exit', (code) => {
      if (this.child === child) this.child = null;
      for (const pending of this.grants.values()) pending.reject(new Error('the engine stopped before it took the file'));
      this.grants.clear();
      if (this.stopping) return;
      this.restarts++;
      const delay = Math.min(250 * 2 ** this.restarts, 10_000);
      this.log(`engine exited with code ${code}; restarting in ${delay} ms`);
      setTimeout(() => { this.start(); for (const contents of this.windows) this.connect(contents); }, delay);
    });
  }

  /** Give a window a fresh port to the engine; called on every (re)load of its page. */
  connect(contents: WebContents): void {
    if (!this.windows.has(contents)) {
      this.windows.add(contents);
      contents.once('destroyed', () => this.windows.delete(contents));
    }
    if (!this.child) return;
    const { port1, port2 } = new MessageChannelMain();
    this.child.postMessage({ kind: 'connect' }, [port1]);
    contents.postMessage(IPC.enginePort, null, [port2]);
  }

  /**
   * Tell the engine the user chose this workspace file in a native dialog, and wait until it has
   * taken the grant: the page names the path to the engine next, over its own port.
   */
  grant(file: string, mode: 'open' | 'save'): Promise<string> {
    const child = this.child;
    if (!child) return Promise.reject(new Error('the engine is not running'));
    const requestId = this.nextGrant++;
    return new Promise<string>((resolve, reject) => {
      this.grants.set(requestId, { resolve, reject });
      child.postMessage({ kind: 'grant-path', requestId, path: file, purpose: 'workspace', mode });
    });
  }

  private settleGrant(message: unknown): void {
    if (typeof message !== 'object' || message === null || (message as { kind?: unknown }).kind !== 'grant-result') return;
    const reply = message as { requestId?: unknown; ok?: unknown; path?: unknown; error?: { message?: unknown } };
    if (typeof reply.requestId !== 'number') return;
    const pending = this.grants.get(reply.requestId);
    if (!pending) return;
    this.grants.delete(reply.requestId);
    if (reply.ok === true && typeof reply.path === 'string') pending.resolve(reply.path);
    else pending.reject(new Error(typeof reply.error?.message === 'string' ? reply.error.message : 'the engine refused the file'));
  }

  stop(): void {
    this.stopping = true;
    this.child?.kill();
    this.child = null;
  }
}
