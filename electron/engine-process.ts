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

  constructor(private readonly entry: string, private readonly log: (message: string) => void) {}

  start(): void {
    this.stopping = false;
    const child = utilityProcess.fork(this.entry, [], { serviceName: 'Headroom engine', stdio: 'inherit' });
    this.child = child;
    child.on('exit', (code) => {
      if (this.child === child) this.child = null;
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

  stop(): void {
    this.stopping = true;
    this.child?.kill();
    this.child = null;
  }
}
