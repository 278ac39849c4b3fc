import { dialog, ipcMain, type BrowserWindow, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import type { DocumentState } from './bridge.js';
import { IPC } from './bridge.js';
import { isReportPrintRequest, printReportToPdf } from './report-print.js';
import { isAppUrl } from './security.js';

const WORKSPACE_FILTERS = [{ name: 'Headroom workspace', extensions: ['headroom.json'] }, { name: 'All files', extensions: ['*'] }];

/** Only our own page, loaded over app://, may use the shell's channels. */
export function isTrustedSender(event: IpcMainEvent | IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url;
  return typeof url === 'string' && isAppUrl(url);
}

export interface IpcDeps {
  windowFor(event: IpcMainEvent | IpcMainInvokeEvent): BrowserWindow | null;
  recent: { files: readonly string[]; add(file: string): void };
  setDocumentState(window: BrowserWindow, state: DocumentState): void;
  confirmClose(window: BrowserWindow, close: boolean): void;
}

function isDocumentState(value: unknown): value is DocumentState {
  const v = value as Record<string, unknown> | null;
  return !!v && (v.path === null || typeof v.path === 'string') && typeof v.title === 'string' && typeof v.dirty === 'boolean';
}

export function registerIpcHandlers(deps: IpcDeps): void {
  ipcMain.handle(IPC.openDialog, async (event) => {
    const window = deps.windowFor(event);
    if (!isTrustedSender(event) || !window) throw new Error('refused: untrusted sender');
    const result = await dialog.showOpenDialog(window, { title: 'Open workspace', properties: ['openFile'], filters: WORKSPACE_FILTERS });
    return result.canceled ? null : result.filePaths[0] ?? null;
  });
  ipcMain.handle(IPC.saveDialog, async (event, defaultPath: unknown) => {
    const window = deps.windowFor(event);
    if (!isTrustedSender(event) || !window) throw new Error('refused: untrusted sender');
    const result = await dialog.showSaveDialog(window, {
      title: 'Save workspace',
      filters: WORKSPACE_FILTERS,
      properties: ['showOverwriteConfirmation', 'createDirectory'],
      ...(typeof defaultPath === 'string' ? { defaultPath } : {}),
    });
    if (result.canceled || !result.filePath) return null;
    return result.filePath.endsWith('.headroom.json') ? result.filePath : `${result.filePath.replace(/\.json$/, '')}.headroom.json`;
  });
  ipcMain.handle(IPC.recentFiles, (event) => {
    if (!isTrustedSender(event)) throw new Error('refused: untrusted sender');
    return [...deps.recent.files];
  });
  ipcMain.on(IPC.noteRecent, (event, file: unknown) => {
    if (!isTrustedSender(event) || typeof file !== 'string' || file.length > 4096) return;
    deps.recent.add(file);
  });
  ipcMain.on(IPC.documentState, (event, state: unknown) => {
    const window = deps.windowFor(event);
    if (!isTrustedSender(event) || !window || !isDocumentState(state)) return;
    deps.setDocumentState(window, state);
  });
  ipcMain.handle(IPC.reportPrint, async (event, request: unknown) => {
    if (!isTrustedSender(event)) throw new Error('refused: untrusted sender');
    if (!isReportPrintRequest(request)) throw new Error('refused: malformed report print request');
    return printReportToPdf(request);
  });
  ipcMain.on(IPC.confirmClose, (event, close: unknown) => {
    const window = deps.windowFor(event);
    if (!isTrustedSender(event) || !window || typeof close !== 'boolean') return;
    deps.confirmClose(window, close);
  });
}
