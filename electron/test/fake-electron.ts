/**
 * A stand-in for the `electron` module, enough to run the shell's setup in Node: it records
 * what main asks of Electron (windows, menus, handlers, protocol, processes) so tests can
 * inspect it and fire the events Electron would.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';

type Listener = (...args: unknown[]) => unknown;

export interface FakeEvent { defaultPrevented: boolean; preventDefault(): void }
export function fakeEvent(): FakeEvent {
  return { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
}

export class FakeWebContents extends EventEmitter {
  sent: Array<{ channel: string; args: unknown[] }> = [];
  posted: Array<{ channel: string; message: unknown; ports: unknown[] }> = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  permissionHandler: ((wc: unknown, permission: string, callback: (granted: boolean) => void) => void) | null = null;
  permissionCheckHandler: ((wc: unknown, permission: string) => boolean) | null = null;
  session = {
    setPermissionRequestHandler: (h: FakeWebContents['permissionHandler']) => { this.permissionHandler = h; },
    setPermissionCheckHandler: (h: FakeWebContents['permissionCheckHandler']) => { this.permissionCheckHandler = h; },
  };
  printed: Array<Record<string, unknown>> = [];
  /** How many readiness polls answer "not yet" before the report page says it is ready. */
  readyAfterPolls = 2;
  scriptsRun = 0;
  send(channel: string, ...args: unknown[]): void { this.sent.push({ channel, args }); }
  async executeJavaScript(): Promise<string> { this.scriptsRun++; return this.readyAfterPolls-- > 0 ? '' : 'ready'; }
  async printToPDF(options: Record<string, unknown>): Promise<Buffer> {
    this.printed.push(options);
    return Buffer.from('%PDF-1.7\n1 0 obj << /Type /Page >>\n2 0 obj << /Type /Page >>\n%%EOF\n', 'latin1');
  }
  postMessage(channel: string, message: unknown, ports: unknown[] = []): void { this.posted.push({ channel, message, ports }); }
  setWindowOpenHandler(handler: FakeWebContents['windowOpenHandler']): void { this.windowOpenHandler = handler; }
}

/** A response as the window received it: status, CSP and body text. */
export interface FakeLoaded { url: string; status: number; csp: string | null; text: string }

export class FakeBrowserWindow extends EventEmitter {
  static all: FakeBrowserWindow[] = [];
  /** The handlers `protocol.handle` registered: loadURL on such a scheme goes through them, as in Electron. */
  static protocolHandlers = new Map<string, (request: Request) => Promise<Response> | Response>();
  static focused: FakeBrowserWindow | null = null;
  static getAllWindows(): FakeBrowserWindow[] { return FakeBrowserWindow.all.filter((w) => !w.destroyed); }
  static getFocusedWindow(): FakeBrowserWindow | null { return FakeBrowserWindow.focused; }
  static fromWebContents(contents: unknown): FakeBrowserWindow | null { return FakeBrowserWindow.all.find((w) => w.webContents === contents) ?? null; }

  webContents = new FakeWebContents();
  loadedUrl: string | null = null;
  title = '';
  documentEdited = false;
  destroyed = false;
  maximized = false;
  bounds: { x: number; y: number; width: number; height: number };
  constructor(readonly options: Record<string, unknown>) {
    super();
    this.bounds = { x: Number(options.x ?? 100), y: Number(options.y ?? 100), width: Number(options.width ?? 800), height: Number(options.height ?? 600) };
    FakeBrowserWindow.all.push(this);
  }
  loadedFileText: string | null = null;
  /** For a custom-scheme page: the document and every <script src> it names, fetched through the handler. */
  loaded: FakeLoaded[] = [];
  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    const handler = FakeBrowserWindow.protocolHandlers.get(new URL(url).protocol.replace(/:$/, ''));
    if (!handler) return;
    const fetchOne = async (target: string): Promise<FakeLoaded> => {
      const response = await handler(new Request(target));
      return { url: target, status: response.status, csp: response.headers.get('content-security-policy'), text: await response.text() };
    };
    const page = await fetchOne(url);
    this.loaded.push(page);
    for (const [, src] of page.text.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)) this.loaded.push(await fetchOne(new URL(src!, url).href));
  }
  async loadFile(file: string): Promise<void> { this.loadedUrl = `file://${file}`; this.loadedFileText = readFileSync(file, 'utf8'); }
  destroy(): void { this.destroyed = true; this.webContents.emit('destroyed'); }
  show(): void {}
  focus(): void { FakeBrowserWindow.focused = this; }
  maximize(): void { this.maximized = true; }
  isMaximized(): boolean { return this.maximized; }
  isMinimized(): boolean { return false; }
  restore(): void {}
  isDestroyed(): boolean { return this.destroyed; }
  getBounds() { return this.bounds; }
  getNormalBounds() { return this.bounds; }
  setTitle(title: string): void { this.title = title; }
  setDocumentEdited(edited: boolean): void { this.documentEdited = edited; }
  setRepresentedFilename(): void {}
  /** Like Electron: 'close' may be prevented; otherwise the window is destroyed. */
  close(): void {
    const event = fakeEvent();
    this.emit('close', event);
    if (!event.defaultPrevented) { this.destroyed = true; this.emit('closed'); this.webContents.emit('destroyed'); }
  }
}

export class FakeUtilityProcess extends EventEmitter {
  messages: Array<{ message: unknown; ports: unknown[] }> = [];
  killed = false;
  /** How the fake engine answers grants: take the path as it is, or refuse with this message. */
  grantRefusal: string | null = null;
  constructor(readonly modulePath: string, readonly args: string[], readonly options: Record<string, unknown>) { super(); }
  postMessage(message: unknown, ports: unknown[] = []): void {
    this.messages.push({ message, ports });
    const m = message as { kind?: unknown; requestId?: unknown; path?: unknown };
    if (m.kind === 'grant-path') {
      const reply = this.grantRefusal === null
        ? { kind: 'grant-result', requestId: m.requestId, ok: true, path: m.path }
        : { kind: 'grant-result', requestId: m.requestId, ok: false, error: { code: 'forbidden', message: this.grantRefusal } };
      queueMicrotask(() => this.emit('message', reply));
    }
  }
  kill(): boolean { this.killed = true; return true; }
}

export function createFakeElectron(userData: string, appPath: string) {
  const appEvents = new EventEmitter();
  const state = {
    privilegedSchemes: [] as unknown[],
    protocolHandlers: new Map<string, (request: Request) => Promise<Response> | Response>(),
    ipcHandlers: new Map<string, Listener>(),
    ipcListeners: new Map<string, Listener>(),
    applicationMenu: null as null | { template: unknown[] },
    forks: [] as FakeUtilityProcess[],
    openedExternally: [] as string[],
    recentDocuments: [] as string[],
    dialogAnswer: { open: ['/tmp/chosen.headroom.json'] as string[], save: '/tmp/saved' as string | undefined, canceled: false },
    dialogCalls: [] as Array<{ kind: string; options: unknown }>,
    quitCalled: false,
  };
  FakeBrowserWindow.protocolHandlers = state.protocolHandlers;
  let portSerial = 0;
  const electron = {
    app: {
      isPackaged: false,
      requestSingleInstanceLock: () => true,
      quit: () => { state.quitCalled = true; },
      whenReady: () => Promise.resolve(),
      on: (event: string, listener: Listener) => { appEvents.on(event, listener); return electron.app; },
      emit: (event: string, ...args: unknown[]) => appEvents.emit(event, ...args),
      getPath: (name: string) => { if (name !== 'userData') throw new Error(`unexpected path ${name}`); return userData; },
      getAppPath: () => appPath,
      getVersion: () => '0.0.0-test',
      addRecentDocument: (file: string) => { state.recentDocuments.push(file); },
      clearRecentDocuments: () => { state.recentDocuments = []; },
    },
    BrowserWindow: FakeBrowserWindow,
    Menu: {
      buildFromTemplate: (template: unknown[]) => ({ template }),
      setApplicationMenu: (menu: { template: unknown[] }) => { state.applicationMenu = menu; },
    },
    ipcMain: {
      handle: (channel: string, listener: Listener) => { state.ipcHandlers.set(channel, listener); },
      on: (channel: string, listener: Listener) => { state.ipcListeners.set(channel, listener); },
    },
    dialog: {
      showOpenDialog: async (_w: unknown, options: unknown) => { state.dialogCalls.push({ kind: 'open', options }); return { canceled: state.dialogAnswer.canceled, filePaths: state.dialogAnswer.open }; },
      showSaveDialog: async (_w: unknown, options: unknown) => { state.dialogCalls.push({ kind: 'save', options }); return { canceled: state.dialogAnswer.canceled, filePath: state.dialogAnswer.save }; },
      showMessageBox: async () => ({ response: 0 }),
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => { state.privilegedSchemes.push(...schemes); },
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => { state.protocolHandlers.set(scheme, handler); },
    },
    shell: { openExternal: async (url: string) => { state.openedExternally.push(url); } },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    utilityProcess: {
      fork: (modulePath: string, args: string[], options: Record<string, unknown>) => {
        const child = new FakeUtilityProcess(modulePath, args, options);
        state.forks.push(child);
        return child;
      },
    },
    MessageChannelMain: class {
      readonly serial = ++portSerial;
      port1 = { name: `port1#${this.serial}` };
      port2 = { name: `port2#${this.serial}` };
    },
  };
  return { electron, state };
}

export function reset(): void {
  FakeBrowserWindow.all = [];
  FakeBrowserWindow.focused = null;
}
