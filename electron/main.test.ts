import { existsSync, mkdtempSync, readFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../engine/host/csp.js';
import { buildReport, renderReportHtml } from '../engine/report/index.js';
import { samplePath } from '../engine/report/testing/fixtures.js';
import { IPC } from './bridge.js';
import { createFakeElectron, fakeEvent, FakeBrowserWindow, reset, type FakeEvent } from './test/fake-electron.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface MenuItem { label?: string; role?: string; submenu?: MenuItem[]; click?: () => void; enabled?: boolean; accelerator?: string }

async function boot(options: { userData?: string } = {}) {
  reset();
  vi.resetModules();
  const userData = options.userData ?? mkdtempSync(path.join(os.tmpdir(), 'headroom-userdata-'));
  const appPath = mkdtempSync(path.join(os.tmpdir(), 'headroom-app-'));
  // A built renderer for the app:// protocol to serve.
  mkdirSync(path.join(appPath, 'dist', 'renderer'), { recursive: true });
  writeFileSync(path.join(appPath, 'dist', 'renderer', 'index.html'), '<!doctype html><title>Headroom</title>');
  // The app's own dependencies (plotly for report charts), as a packaged app has them beside it.
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(appPath, 'node_modules'));
  const fake = createFakeElectron(userData, appPath);
  vi.doMock('electron', () => fake.electron);
  const { startShell } = await import('./main.js');
  startShell(path.join(appPath, 'dist', 'electron'));
  await new Promise((r) => setTimeout(r, 0));
  const window = FakeBrowserWindow.all[0]!;
  window.focus();
  return { ...fake, window, userData, appPath };
}

const trusted = (window: FakeBrowserWindow) => ({ sender: window.webContents, senderFrame: { url: 'app://headroom/index.html' } });
const untrusted = (window: FakeBrowserWindow) => ({ sender: window.webContents, senderFrame: { url: 'https://evil.example/' } });

function menu(state: ReturnType<typeof createFakeElectron>['state']): MenuItem[] {
  return (state.applicationMenu?.template ?? []) as MenuItem[];
}
function findItem(items: MenuItem[], ...labels: string[]): MenuItem | undefined {
  let current: MenuItem | undefined;
  let level = items;
  for (const label of labels) {
    current = level.find((i) => i.label?.replace('&', '') === label);
    level = current?.submenu ?? [];
  }
  return current;
}

describe('Electron shell setup', () => {
  beforeEach(() => { vi.restoreAllMocks(); });

  it('creates the window isolated, sandboxed, without Node, loading app:// rather than file://', async () => {
    const { window } = await boot();
    const prefs = window.options.webPreferences as Record<string, unknown>;
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.disableBlinkFeatures).toBe('Auxclick');
    expect(String(prefs.preload)).toMatch(/preload\.(cjs|js)$/);
    expect(window.loadedUrl).toBe('app://headroom/index.html');
  });

  it('registers app:// as a secure standard scheme and serves the renderer with a strict CSP', async () => {
    const { state } = await boot();
    expect(state.privilegedSchemes).toContainEqual(expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }));
    const handler = state.protocolHandlers.get('app')!;
    const page = await handler(new Request('app://headroom/index.html'));
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("worker-src 'self' blob:");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect((await handler(new Request('app://headroom/%2e%2e/%2e%2e/etc/passwd'))).status).toBeGreaterThanOrEqual(403);
    expect((await handler(new Request('app://elsewhere/index.html'))).status).toBe(404);
  });

  it('blocks navigation away from the app and all new windows', async () => {
    const { window, state } = await boot();
    const away: FakeEvent = fakeEvent();
    window.webContents.emit('will-navigate', away, 'https://evil.example/');
    expect(away.defaultPrevented).toBe(true);
    const inside: FakeEvent = fakeEvent();
    window.webContents.emit('will-navigate', inside, 'app://headroom/index.html');
    expect(inside.defaultPrevented).toBe(false);
    expect(window.webContents.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(state.openedExternally).toEqual([]);
    const webview = fakeEvent();
    window.webContents.emit('will-attach-webview', webview);
    expect(webview.defaultPrevented).toBe(true);
  });

  it("opens only the project's documentation in the user's browser", async () => {
    const { window, state } = await boot();
    const docs = 'https://github.com/headroom-planning/headroom#readme';
    const page = 'https://github.com/headroom-planning/headroom/blob/main/README.md#prometheus';
    for (const url of [docs, page]) expect(window.webContents.windowOpenHandler!({ url })).toEqual({ action: 'deny' });
    for (const url of [
      'https://docs.example/', 'https://github.com/headroom-planning/headroom-evil', 'https://github.com/someone-else/headroom',
      'https://github.com.evil.example/headroom-planning/headroom', 'http://github.com/headroom-planning/headroom',
      'https://user:pw@github.com/headroom-planning/headroom', 'https://github.com:8443/headroom-planning/headroom',
      'javascript:alert(1)', 'not a url',
    ]) window.webContents.windowOpenHandler!({ url });
    findItem(menu(state), 'Help', 'Headroom Documentation')!.click!();
    expect(state.openedExternally).toEqual([docs, page, docs]);
  });

  it('grants no permission, asked for or merely checked', async () => {
    const { window } = await boot();
    for (const permission of ['media', 'notifications', 'clipboard-read', 'geolocation', 'hid', 'serial']) {
      let granted: boolean | undefined;
      window.webContents.permissionHandler!(window.webContents, permission, (g) => { granted = g; });
      expect(granted).toBe(false);
      expect(window.webContents.permissionCheckHandler!(window.webContents, permission)).toBe(false);
    }
  });

  it('answers IPC only from its own page', async () => {
    const { window, state } = await boot();
    const open = state.ipcHandlers.get(IPC.openDialog)!;
    await expect(Promise.resolve().then(() => open(untrusted(window)))).rejects.toThrow(/untrusted/);
    expect(state.dialogCalls).toHaveLength(0);
    expect(await open(trusted(window))).toBe('/tmp/chosen.headroom.json');
    const save = state.ipcHandlers.get(IPC.saveDialog)!;
    expect(await save(trusted(window), null)).toBe('/tmp/saved.headroom.json');
    state.ipcListeners.get(IPC.noteRecent)!(untrusted(window), '/tmp/evil.headroom.json');
    expect(state.recentDocuments).toEqual([]);
  });

  it('hands the engine a grant for each file chosen in a native dialog, and waits for it', async () => {
    const { window, state } = await boot();
    const engine = state.forks[0]!;
    expect(await state.ipcHandlers.get(IPC.openDialog)!(trusted(window))).toBe('/tmp/chosen.headroom.json');
    expect(await state.ipcHandlers.get(IPC.saveDialog)!(trusted(window), null)).toBe('/tmp/saved.headroom.json');
    const grants = engine.messages.map((m) => m.message as { kind?: string }).filter((m) => m.kind === 'grant-path');
    expect(grants).toEqual([
      { kind: 'grant-path', requestId: 0, path: '/tmp/chosen.headroom.json', purpose: 'workspace', mode: 'open' },
      { kind: 'grant-path', requestId: 1, path: '/tmp/saved.headroom.json', purpose: 'workspace', mode: 'save' },
    ]);
    // A file the engine refuses never reaches the page.
    engine.grantRefusal = 'not a workspace file';
    await expect(Promise.resolve().then(() => state.ipcHandlers.get(IPC.openDialog)!(trusted(window)))).rejects.toThrow(/not a workspace file/);
  });

  it('has File, Edit, View and Help menus, and File commands reach the renderer', async () => {
    const { window, state } = await boot();
    const labels = menu(state).map((m) => m.label?.replace('&', ''));
    expect(labels).toEqual(expect.arrayContaining(['File', 'Edit', 'View', 'Help']));
    for (const item of ['New', 'Open…', 'Open Recent', 'Save', 'Save As…', 'Export…']) expect(findItem(menu(state), 'File', item)).toBeDefined();
    findItem(menu(state), 'File', 'Save')!.click!();
    findItem(menu(state), 'File', 'Save As…')!.click!();
    expect(window.webContents.sent).toEqual([
      { channel: IPC.menuCommand, args: [{ command: 'save' }] },
      { channel: IPC.menuCommand, args: [{ command: 'save-as' }] },
    ]);
  });

  it('keeps recent files across launches and lists them under Open Recent', async () => {
    const first = await boot();
    first.state.ipcListeners.get(IPC.noteRecent)!(trusted(first.window), '/data/q3.headroom.json');
    first.state.ipcListeners.get(IPC.noteRecent)!(trusted(first.window), '/data/q4.headroom.json');
    expect(findItem(menu(first.state), 'File', 'Open Recent')!.submenu!.map((i) => i.label)).toEqual(
      expect.arrayContaining(['/data/q4.headroom.json', '/data/q3.headroom.json']));
    const second = await boot({ userData: first.userData });
    const recentMenu = findItem(menu(second.state), 'File', 'Open Recent')!.submenu!;
    expect(recentMenu[0]!.label).toBe('/data/q4.headroom.json');
    recentMenu[0]!.click!();
    expect(second.window.webContents.sent.at(-1)).toEqual({ channel: IPC.menuCommand, args: [{ command: 'open-recent', path: '/data/q4.headroom.json' }] });
  });

  it('starts the engine as a utility process and hands each page load a MessagePort', async () => {
    const { window, state, appPath } = await boot();
    expect(state.forks).toHaveLength(1);
    expect(state.forks[0]!.modulePath).toBe(path.join(appPath, 'dist/engine/host/utility-main.js'));
    window.webContents.emit('did-finish-load');
    window.webContents.emit('did-finish-load');
    expect(state.forks[0]!.messages).toHaveLength(2);
    expect(window.webContents.posted).toHaveLength(2);
    expect(window.webContents.posted[0]!.channel).toBe(IPC.enginePort);
    // The engine and the page hold the two ends of the same channel.
    const enginePort = state.forks[0]!.messages[0]!.ports[0] as { name: string };
    const pagePort = window.webContents.posted[0]!.ports[0] as { name: string };
    expect(enginePort.name.split('#')[1]).toBe(pagePort.name.split('#')[1]);
  });

  it('restarts a crashed engine and reconnects the window', async () => {
    const { window, state } = await boot();
    vi.useFakeTimers();
    try {
      window.webContents.emit('did-finish-load');
      state.forks[0]!.emit('exit', 1);
      await vi.advanceTimersByTimeAsync(2000);
      expect(state.forks).toHaveLength(2);
      expect(window.webContents.posted).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('asks the renderer before closing a window with unsaved changes', async () => {
    const { window, state } = await boot();
    state.ipcListeners.get(IPC.documentState)!(trusted(window), { path: '/d/a.headroom.json', title: '● A — Headroom', dirty: true });
    expect(window.title).toBe('● A — Headroom');
    window.close();
    expect(window.destroyed).toBe(false);
    expect(window.webContents.sent.at(-1)).toEqual({ channel: IPC.menuCommand, args: [{ command: 'close-requested' }] });
    state.ipcListeners.get(IPC.confirmClose)!(trusted(window), true);
    expect(window.destroyed).toBe(true);
  });

  it('exports a report from File > Export…: the renderer is asked, main asks where, then prints its HTML on app://report under the CSP', async () => {
    const { window, state } = await boot();
    findItem(menu(state), 'File', 'Export…')!.click!();
    expect(window.webContents.sent.at(-1)).toEqual({ channel: IPC.menuCommand, args: [{ command: 'export' }] });

    const dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-export-'));
    state.dialogAnswer.save = path.join(dir, 'study-report');
    const print = state.ipcHandlers.get(IPC.reportPrint)!;
    const html = renderReportHtml(await buildReport(samplePath), { paper: 'Letter' });
    expect(html).toMatch(/data-chart="0"/);
    // A path from the page is no more than a suggestion for the dialog; an extra outPath is ignored.
    const planted = path.join(dir, 'planted.pdf');
    const result = await print(trusted(window), { html, paper: 'Letter', title: 'Study', defaultPath: path.join(dir, 'suggested'), outPath: planted }) as { path: string; pages: number };
    const out = path.join(dir, 'study-report.pdf');
    expect(result).toEqual({ path: out, pages: 2 });
    expect(readFileSync(out, 'latin1')).toMatch(/^%PDF-/);
    expect(existsSync(planted)).toBe(false);
    expect(state.dialogCalls.at(-1)).toMatchObject({ kind: 'save', options: { defaultPath: path.join(dir, 'suggested.pdf'), filters: [{ extensions: ['pdf'] }] } });

    const printer = FakeBrowserWindow.all.find((w) => w !== window)!;
    expect(printer.options.show).toBe(false);
    const prefs = printer.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, javascript: true, disableBlinkFeatures: 'Auxclick' });
    expect(prefs.preload).toBeUndefined();
    expect(printer.loadedUrl).toMatch(/^app:\/\/report\/[0-9a-f]{32}\/report\.html$/);
    const [page, ...scripts] = printer.loaded;
    expect(page).toMatchObject({ status: 200, csp: CONTENT_SECURITY_POLICY });
    // plotly and the page script are served as files of the page's own origin; nothing runs inline.
    expect(page!.text).not.toMatch(/<script>/);
    expect(page!.text).toContain('<script type="application/json" id="report-charts">');
    expect(scripts.map((s) => [s.url.replace(/^.*\//, ''), s.status, s.csp])).toEqual([['plotly.js', 200, CONTENT_SECURITY_POLICY], ['page.js', 200, CONTENT_SECURITY_POLICY]]);
    expect(scripts[1]!.text).toContain('__reportReady');
    expect(printer.destroyed).toBe(true);
    expect(printer.webContents.printed[0]).toMatchObject({ pageSize: 'Letter', printBackground: true, displayHeaderFooter: true, preferCSSPageSize: true });
    expect(String(printer.webContents.printed[0]!.footerTemplate)).toContain('pageNumber');
    // Once printed the page is gone, and the print origin is not the workbench's.
    const handler = state.protocolHandlers.get('app')!;
    expect((await handler(new Request(printer.loadedUrl!))).status).toBe(404);
    const fromPrinter = { sender: printer.webContents, senderFrame: { url: printer.loadedUrl! } };
    await expect(Promise.resolve().then(() => state.ipcHandlers.get(IPC.openDialog)!(fromPrinter))).rejects.toThrow(/untrusted/);

    await expect(Promise.resolve().then(() => print(untrusted(window), { html, paper: 'A4', title: 'x' }))).rejects.toThrow(/untrusted/);
    await expect(Promise.resolve().then(() => print(trusted(window), { html, paper: 'B5', title: 'x' }))).rejects.toThrow(/malformed/);
  });

  it('prints a report without charts with JavaScript off, and a script the engine did not write stays inline for the CSP to block', async () => {
    const { window, state } = await boot();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-export-'));
    state.dialogAnswer.save = path.join(dir, 'plain.pdf');
    const print = state.ipcHandlers.get(IPC.reportPrint)!;
    const planted = '<script>window.__reportReady = true; fetch("https://evil.example/")</script>';
    await print(trusted(window), { html: `<!doctype html><title>Plain</title><p>No charts</p>${planted}`, paper: 'A4', title: 'Plain' });
    const printer = FakeBrowserWindow.all.at(-1)!;
    expect((printer.options.webPreferences as Record<string, unknown>).javascript).toBe(false);
    expect(printer.webContents.scriptsRun).toBe(0);
    expect(printer.loaded).toHaveLength(1);
    expect(printer.loaded[0]!.text).toContain(planted);
    expect(printer.loaded[0]!.csp).toMatch(/script-src 'self'(;|$)/);
    expect(readFileSync(path.join(dir, 'plain.pdf'), 'latin1')).toMatch(/^%PDF-/);
  });

  it('prints nothing when the user cancels the save dialog, and never overwrites a file the dialog did not confirm', async () => {
    const { window, state } = await boot();
    const print = state.ipcHandlers.get(IPC.reportPrint)!;
    const windows = FakeBrowserWindow.all.length;
    state.dialogAnswer.canceled = true;
    expect(await print(trusted(window), { html: '<p>x</p>', paper: 'A4', title: 'x' })).toBeNull();
    expect(FakeBrowserWindow.all).toHaveLength(windows);
    state.dialogAnswer.canceled = false;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-export-'));
    writeFileSync(path.join(dir, 'q3.pdf'), 'keep me');
    state.dialogAnswer.save = path.join(dir, 'q3');
    await expect(Promise.resolve().then(() => print(trusted(window), { html: '<p>x</p>', paper: 'A4', title: 'x' }))).rejects.toThrow(/q3\.pdf already exists/);
    expect(readFileSync(path.join(dir, 'q3.pdf'), 'utf8')).toBe('keep me');
  });

  it('passes every file chosen in a native dialog through one place before the page gets its path', async () => {
    const { window, state } = await boot();
    const ipc = await import('./ipc.js');
    const chosen: Array<[string, string]> = [];
    // The handlers as main registers them, with a recording userChoseFile (where the engine's grant goes).
    ipc.registerIpcHandlers({
      windowFor: () => window as never, recent: { files: [], add: () => undefined }, setDocumentState: () => undefined, confirmClose: () => undefined,
      reportPages: null as never, userChoseFile: (file, access) => { chosen.push([file, access]); },
    });
    expect(await state.ipcHandlers.get(IPC.openDialog)!(trusted(window))).toBe('/tmp/chosen.headroom.json');
    expect(await state.ipcHandlers.get(IPC.saveDialog)!(trusted(window), null)).toBe('/tmp/saved.headroom.json');
    state.dialogAnswer.canceled = true;
    expect(await state.ipcHandlers.get(IPC.openDialog)!(trusted(window))).toBeNull();
    expect(chosen).toEqual([['/tmp/chosen.headroom.json', 'read'], ['/tmp/saved.headroom.json', 'write']]);
  });

  it('remembers the window placement', async () => {
    const first = await boot();
    first.window.bounds = { x: 120, y: 80, width: 1234, height: 777 };
    first.window.close();
    const saved = JSON.parse(readFileSync(path.join(first.userData, 'window-state.json'), 'utf8')) as { bounds: { width: number } };
    expect(saved.bounds.width).toBe(1234);
    const second = await boot({ userData: first.userData });
    expect(second.window.options).toMatchObject({ x: 120, y: 80, width: 1234, height: 777 });
  });
});
