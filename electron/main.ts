import { existsSync } from 'node:fs';
import path from 'node:path';
import { app, BrowserWindow, dialog, Menu } from 'electron';
import type { DocumentState } from './bridge.js';
import { IPC } from './bridge.js';
import { EngineProcess } from './engine-process.js';
import { registerIpcHandlers } from './ipc.js';
import { buildMenuTemplate } from './menu.js';
import { registerAppScheme, serveRendererOverAppScheme } from './protocol.js';
import { RecentFiles } from './recent.js';
import { KnownReportScripts, ReportPages } from './report-print.js';
import { APP_ORIGIN, createSecureWindow, DOCS_URL, hardenWebContents, openDocs } from './security.js';
import { loadWindowState, trackWindowState } from './window-state.js';

/** Where the pieces are, whether run by Forge in development or from the packaged app. */
export function resolveAppPaths(mainDir: string, appPath: string): { rendererDir: string; preload: string; engineEntry: string } {
  const rendererCandidates = [path.join(mainDir, '../renderer/main_window'), path.join(mainDir, '../renderer'), path.join(appPath, 'dist/renderer')];
  const rendererDir = rendererCandidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? rendererCandidates[rendererCandidates.length - 1]!;
  const preloadCandidates = [path.join(mainDir, 'preload.cjs'), path.join(mainDir, 'preload.js')];
  const preload = preloadCandidates.find((p) => existsSync(p)) ?? preloadCandidates[0]!;
  return { rendererDir, preload, engineEntry: path.join(appPath, 'dist/engine/host/utility-main.js') };
}

interface WindowRecord { document: DocumentState; closeConfirmed: boolean }

export function startShell(mainDir: string): void {
  // One instance: a second launch focuses the first window instead of racing it for files.
  if (!app.requestSingleInstanceLock()) { app.quit(); return; }
  registerAppScheme();
  const dev = !app.isPackaged;
  const records = new WeakMap<BrowserWindow, WindowRecord>();
  let engine: EngineProcess;

  const sendMenu = (command: Parameters<Parameters<typeof buildMenuTemplate>[1]['send']>[0]): void => {
    const window = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
    window?.webContents.send(IPC.menuCommand, command);
  };
  const applyMenu = (files: readonly string[]): void => {
    Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate(files, {
      send: sendMenu,
      clearRecent: () => recent.clear(),
      showAbout: () => void dialog.showMessageBox({ type: 'info', title: 'About Headroom', message: `Headroom ${app.getVersion()}`, detail: 'Capacity planning for storage SLA control and SMP bus-aware dispatch.' }),
      openDocs: () => void openDocs(DOCS_URL),
    }, process.platform, dev)));
  };
  let recent: RecentFiles;

  const createWindow = (paths: ReturnType<typeof resolveAppPaths>): BrowserWindow => {
    const state = loadWindowState();
    const window = createSecureWindow({
      ...(state.centre ? { width: state.bounds.width, height: state.bounds.height, center: true } : state.bounds),
      minWidth: 900,
      minHeight: 600,
      show: false,
      title: 'Headroom',
      backgroundColor: '#1e1f22',
    }, { preload: paths.preload, javascript: true });
    records.set(window, { document: { path: null, title: 'Headroom', dirty: false }, closeConfirmed: false });
    hardenWebContents(window.webContents);
    trackWindowState(window);
    if (state.maximized) window.maximize();
    window.once('ready-to-show', () => window.show());
    // Every page load (first load and reloads) gets a fresh port to the engine.
    window.webContents.on('did-finish-load', () => engine.connect(window.webContents));
    window.on('close', (event) => {
      const record = records.get(window);
      if (record?.document.dirty && !record.closeConfirmed) {
        event.preventDefault();
        window.webContents.send(IPC.menuCommand, { command: 'close-requested' });
      }
    });
    void window.loadURL(`${APP_ORIGIN}/index.html`);
    return window;
  };

  app.on('second-instance', () => {
    const window = BrowserWindow.getAllWindows()[0];
    if (window) { if (window.isMinimized()) window.restore(); window.focus(); }
  });
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

  void app.whenReady().then(() => {
    const paths = resolveAppPaths(mainDir, app.getAppPath());
    const reportPages = new ReportPages(KnownReportScripts.load(app.getAppPath()));
    serveRendererOverAppScheme(paths.rendererDir, reportPages);
    recent = new RecentFiles(applyMenu);
    applyMenu(recent.files);
    engine = new EngineProcess(paths.engineEntry, (m) => console.error(`[headroom] ${m}`));
    engine.start();
    registerIpcHandlers({
      windowFor: (event) => BrowserWindow.fromWebContents(event.sender),
      recent,
      setDocumentState: (window, document) => {
        const record = records.get(window);
        if (record) record.document = document;
        window.setTitle(document.title);
        window.setDocumentEdited(document.dirty);
        if (document.path) window.setRepresentedFilename(document.path);
      },
      confirmClose: (window, close) => {
        const record = records.get(window);
        if (record && close) { record.closeConfirmed = true; window.close(); }
      },
      reportPages,
      // The engine does not yet take grants; when it does, hand it this file here (awaited, so the
      // grant is in place before the page asks the engine to open or save the file).
      userChoseFile: () => undefined,
    });
    createWindow(paths);
    app.on('activate', () => { if (BrowserWindow.getAllWindows().length === 0) createWindow(paths); });
  });
  app.on('window-all-closed', () => { if (process.platform !== 'darwin') app.quit(); });
  app.on('before-quit', () => engine?.stop());
}
