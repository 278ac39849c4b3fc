import { existsSync } from 'node:fs';
import { dialog, ipcMain, type BrowserWindow, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import type { DocumentState } from './bridge.js';
import { IPC } from './bridge.js';
import { isReportPrintRequest, printReportToPdf, type ReportPages } from './report-print.js';
import { isAppUrl } from './security.js';

const WORKSPACE_FILTERS = [{ name: 'Headroom workspace', extensions: ['headroom.json'] }, { name: 'All files', extensions: ['*'] }];
const PDF_FILTERS = [{ name: 'PDF', extensions: ['pdf'] }];

/** Only our own page, loaded over app://, may use the shell's channels. */
export function isTrustedSender(event: IpcMainEvent | IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url;
  return typeof url === 'string' && isAppUrl(url);
}

/** What the user chose a file for in a native dialog. */
export type FileAccess = 'read' | 'write';

export interface IpcDeps {
  windowFor(event: IpcMainEvent | IpcMainInvokeEvent): BrowserWindow | null;
  recent: { files: readonly string[]; add(file: string): void };
  setDocumentState(window: BrowserWindow, state: DocumentState): void;
  confirmClose(window: BrowserWindow, close: boolean): void;
  reportPages: ReportPages;
  /**
   * Every file the user picked in a native dialog for the engine to open or save passes here
   * before its path goes back to the page: the one place to hand the engine a grant for it.
   */
  userChoseFile(file: string, access: FileAccess): void | Promise<void>;
}

function isDocumentState(value: unknown): value is DocumentState {
  const v = value as Record<string, unknown> | null;
  return !!v && (v.path === null || typeof v.path === 'string') && typeof v.title === 'string' && typeof v.dirty === 'boolean';
}

function withExtension(file: string, extension: string): string {
  return file.toLowerCase().endsWith(extension) ? file : `${file}${extension}`;
}

export function registerIpcHandlers(deps: IpcDeps): void {
  const trustedWindow = (event: IpcMainInvokeEvent): BrowserWindow => {
    const window = deps.windowFor(event);
    if (!isTrustedSender(event) || !window) throw new Error('refused: untrusted sender');
    return window;
  };
  ipcMain.handle(IPC.openDialog, async (event) => {
    const window = trustedWindow(event);
    const result = await dialog.showOpenDialog(window, { title: 'Open workspace', properties: ['openFile'], filters: WORKSPACE_FILTERS });
    const file = result.canceled ? undefined : result.filePaths[0];
    if (file === undefined) return null;
    await deps.userChoseFile(file, 'read');
    return file;
  });
  ipcMain.handle(IPC.saveDialog, async (event, defaultPath: unknown) => {
    const window = trustedWindow(event);
    const result = await dialog.showSaveDialog(window, {
      title: 'Save workspace',
      filters: WORKSPACE_FILTERS,
      properties: ['showOverwriteConfirmation', 'createDirectory'],
      ...(typeof defaultPath === 'string' ? { defaultPath } : {}),
    });
    if (result.canceled || !result.filePath) return null;
    const file = result.filePath.endsWith('.headroom.json') ? result.filePath : `${result.filePath.replace(/\.json$/, '')}.headroom.json`;
    await deps.userChoseFile(file, 'write');
    return file;
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
  // The page hands over HTML and at most a suggested name; where the PDF goes is the user's
  // answer to main's own save dialog. Main writes it, so the engine needs no grant for it.
  ipcMain.handle(IPC.reportPrint, async (event, request: unknown) => {
    const window = trustedWindow(event);
    if (!isReportPrintRequest(request)) throw new Error('refused: malformed report print request');
    const result = await dialog.showSaveDialog(window, {
      title: 'Export report as PDF',
      filters: PDF_FILTERS,
      properties: ['showOverwriteConfirmation', 'createDirectory'],
      ...(request.defaultPath !== undefined ? { defaultPath: withExtension(request.defaultPath, '.pdf') } : {}),
    });
    if (result.canceled || !result.filePath) return null;
    const outPath = withExtension(result.filePath, '.pdf');
    // The dialog confirmed overwriting the name it showed, not the one with .pdf added.
    if (outPath !== result.filePath && existsSync(outPath)) throw new Error(`${outPath} already exists; choose it in the dialog to replace it`);
    return printReportToPdf(request, outPath, deps.reportPages);
  });
  ipcMain.on(IPC.confirmClose, (event, close: unknown) => {
    const window = deps.windowFor(event);
    if (!isTrustedSender(event) || !window || typeof close !== 'boolean') return;
    deps.confirmClose(window, close);
  });
}
