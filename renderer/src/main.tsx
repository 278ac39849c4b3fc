import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { ShellBridge } from '../../electron/bridge.js';
import { App } from './App.js';
import { EngineConnection, takeLaunchToken } from './engine/connection.js';
import { engineRecentList, WorkspaceStore, type RecentList } from './state/workspace-store.js';
import './styles.css';

declare global {
  interface Window { headroomShell?: ShellBridge }
}

const root = createRoot(document.getElementById('root')!);
const shell = window.headroomShell ?? null;
const token = shell ? null : takeLaunchToken();

if (!shell && !token) {
  root.render(
    <div className="fatal">
      <h1>Headroom</h1>
      <p>This page needs the launch link that <code>headroom serve</code> printed (it carries this launch's access token).</p>
    </div>,
  );
} else {
  const connection = shell ? EngineConnection.inElectron() : EngineConnection.inBrowser(token!);
  const recentList: RecentList = shell
    ? {
        list: () => shell.recentFiles(),
        add: async (path) => { shell.noteRecent(path); window.dispatchEvent(new Event('headroom:recent-changed')); },
      }
    : engineRecentList(connection);
  const store = new WorkspaceStore(connection, recentList);
  root.render(<StrictMode><App connection={connection} store={store} shell={shell} recentList={recentList} /></StrictMode>);
}
