import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from './bridge.js';

export interface MenuActions {
  send(command: MenuCommand): void;
  clearRecent(): void;
  showAbout(): void;
  openDocs(): void;
}

/** The application menu. Commands that need the document go to the renderer, which owns it. */
export function buildMenuTemplate(recent: readonly string[], actions: MenuActions, platform: NodeJS.Platform, dev: boolean): MenuItemConstructorOptions[] {
  const isMac = platform === 'darwin';
  const recentItems: MenuItemConstructorOptions[] = recent.length
    ? [
        ...recent.map((file): MenuItemConstructorOptions => ({ label: file, click: () => actions.send({ command: 'open-recent', path: file }) })),
        { type: 'separator' },
        { label: 'Clear Recent', click: () => actions.clearRecent() },
      ]
    : [{ label: 'No recent workspaces', enabled: false }];
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { label: 'New', accelerator: 'CmdOrCtrl+N', click: () => actions.send({ command: 'new' }) },
      { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: () => actions.send({ command: 'open' }) },
      { label: 'Open Recent', submenu: recentItems },
      { type: 'separator' },
      { label: 'Save', accelerator: 'CmdOrCtrl+S', click: () => actions.send({ command: 'save' }) },
      { label: 'Save As…', accelerator: 'CmdOrCtrl+Shift+S', click: () => actions.send({ command: 'save-as' }) },
      { type: 'separator' },
      { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => actions.send({ command: 'export' }) },
      { type: 'separator' },
      isMac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const edit: MenuItemConstructorOptions = {
    label: '&Edit',
    submenu: [
      { role: 'undo' }, { role: 'redo' }, { type: 'separator' },
      { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      { role: 'reload' },
      ...(dev ? [{ role: 'toggleDevTools' } as MenuItemConstructorOptions] : []),
      { type: 'separator' },
      { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const help: MenuItemConstructorOptions = {
    label: '&Help',
    submenu: [
      { label: 'Headroom Documentation', click: () => actions.openDocs() },
      { label: 'About Headroom', click: () => actions.showAbout() },
    ],
  };
  return [...(isMac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []), file, edit, view, help];
}
