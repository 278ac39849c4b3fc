import { contextBridge, ipcRenderer } from 'electron';
import { ENGINE_PORT_MESSAGE, IPC, type DocumentState, type MenuCommand, type ShellBridge } from './bridge.js';

/**
 * The only door between the page and the shell. It exposes a few named functions (never
 * ipcRenderer itself) and passes the engine's MessagePort into the page.
 */
const bridge: ShellBridge = {
  kind: 'electron',
  showOpenDialog: () => ipcRenderer.invoke(IPC.openDialog) as Promise<string | null>,
  showSaveDialog: (defaultPath) => ipcRenderer.invoke(IPC.saveDialog, defaultPath) as Promise<string | null>,
  noteRecent: (path) => ipcRenderer.send(IPC.noteRecent, path),
  recentFiles: () => ipcRenderer.invoke(IPC.recentFiles) as Promise<string[]>,
  setDocumentState: (state: DocumentState) => ipcRenderer.send(IPC.documentState, state),
  confirmClose: (close) => ipcRenderer.send(IPC.confirmClose, close),
  printReport: (request) => ipcRenderer.invoke(IPC.reportPrint, request) as Promise<{ path: string; pages: number | null } | null>,
  onMenuCommand: (listener) => {
    const handler = (_event: unknown, command: MenuCommand): void => listener(command);
    ipcRenderer.on(IPC.menuCommand, handler);
    return () => { ipcRenderer.removeListener(IPC.menuCommand, handler); };
  },
};

contextBridge.exposeInMainWorld('headroomShell', bridge);

ipcRenderer.on(IPC.enginePort, (event) => {
  window.postMessage(ENGINE_PORT_MESSAGE, window.location.origin, event.ports);
});
