import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { MenuCommand, ShellBridge } from '../../electron/bridge.js';
import type { EngineInfo, SampleEntry } from '../../engine/host/contract.js';
import { RpcError } from '../../engine/host/wire.js';
import { FileDialog, type FileDialogRequest } from './components/FileDialog.js';
import { MenuBar, type Menu } from './components/MenuBar.js';
import { ConfirmDialog, type ConfirmRequest } from './components/Modal.js';
import { StatusBar } from './components/StatusBar.js';
import type { EngineConnection } from './engine/connection.js';
import { useDocument, useEngineStatus } from './hooks.js';
import type { RecentList, WorkspaceStore } from './state/workspace-store.js';
import { VIEWS, viewById, type BrowseRequest } from './views/registry.js';
import { WelcomeView } from './views/WelcomeView.js';

/** 'welcome' or the id of a view in the registry. */
type ViewId = string;
const titleOf = (view: ViewId): string => (view === 'welcome' ? 'Start' : viewById(view)?.title ?? view);

interface Notice { id: number; kind: 'error' | 'info'; text: string }

/** The project's documentation: the README, which also says how to run every command. */
const DOCS_URL = 'https://github.com/headroom-planning/headroom#readme';

export function App({ connection, store, shell, recentList }: { connection: EngineConnection; store: WorkspaceStore; shell: ShellBridge | null; recentList: RecentList }) {
  const status = useEngineStatus(connection);
  const doc = useDocument(store);
  const dirty = store.dirty;
  const [info, setInfo] = useState<EngineInfo | null>(null);
  const [samples, setSamples] = useState<SampleEntry[]>([]);
  const [recent, setRecent] = useState<string[]>([]);
  const [tabs, setTabs] = useState<ViewId[]>(['welcome']);
  const [active, setActive] = useState<ViewId>('welcome');
  const [notices, setNotices] = useState<Notice[]>([]);
  const [confirmRequest, setConfirmRequest] = useState<ConfirmRequest | null>(null);
  const [fileRequest, setFileRequest] = useState<FileDialogRequest | null>(null);
  const noticeId = useRef(0);
  // The in-app dialog starts where the user last chose a file, as native dialogs do.
  const lastDir = useRef<string | null>(null);

  const notify = useCallback((kind: Notice['kind'], text: string) => {
    const id = ++noticeId.current;
    setNotices((n) => [...n, { id, kind, text }]);
    if (kind === 'info') setTimeout(() => setNotices((n) => n.filter((x) => x.id !== id)), 4000);
  }, []);

  useEffect(() => {
    if (status.state !== 'connected') return;
    connection.engine.call('engine.info', {}).then(setInfo).catch(() => setInfo(null));
    connection.engine.call('samples.list', {}).then(setSamples).catch(() => setSamples([]));
  }, [status.state, connection]);

  useEffect(() => {
    if (status.state !== 'connected') return;
    const refresh = (): void => { recentList.list().then(setRecent).catch(() => setRecent([])); };
    refresh();
    window.addEventListener('headroom:recent-changed', refresh);
    return () => window.removeEventListener('headroom:recent-changed', refresh);
  }, [recentList, status.state]);

  const openTab = useCallback((view: ViewId) => {
    setTabs((t) => (t.includes(view) ? t : [...t, view]));
    setActive(view);
  }, []);
  const closeTab = (view: ViewId): void => {
    setTabs((t) => {
      const next = t.filter((v) => v !== view);
      if (active === view) setActive(next[next.length - 1] ?? 'welcome');
      return next.length ? next : ['welcome'];
    });
  };

  const ask = (request: Omit<ConfirmRequest, 'resolve'>): Promise<'confirm' | 'alternative' | 'cancel'> =>
    new Promise((resolve) => setConfirmRequest({ ...request, resolve: (answer) => { setConfirmRequest(null); resolve(answer); } }));
  const browse = (mode: 'open' | 'save'): Promise<string | null> => {
    const current = store.getState().path;
    const startDir = lastDir.current ?? (current ? dirOf(current) : info?.samplesDir ?? null);
    if (shell) return mode === 'open' ? shell.showOpenDialog() : shell.showSaveDialog(current);
    return new Promise((resolve) => setFileRequest({
      mode, purpose: 'workspace', startDir, suggestedName: mode === 'save' ? suggestedFileName(store.getState().workspace?.name) : '',
      resolve: (path) => { setFileRequest(null); if (path) lastDir.current = dirOf(path); resolve(path); },
    }));
  };

  const guarded = useCallback(async (what: string, action: () => Promise<void>) => {
    try { await action(); } catch (err) {
      notify('error', `${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }, [notify]);

  const saveAs = async (): Promise<boolean> => {
    const path = await browse('save');
    if (!path) return false;
    try {
      await store.saveAs(path, shell !== null); // a native save dialog has already confirmed replacing
    } catch (err) {
      if (err instanceof RpcError && err.code === 'conflict' && /already exists/.test(err.message)) {
        if ((await ask({ title: 'Replace file?', message: `${path} already exists. Replace it?`, confirm: 'Replace' })) !== 'confirm') return false;
        await store.saveAs(path, true);
      } else throw err;
    }
    notify('info', `Saved ${store.getState().path}`);
    return true;
  };
  const save = async (): Promise<boolean> => {
    if (!store.getState().workspace) return false;
    if (!(await store.save())) return saveAs();
    notify('info', `Saved ${store.getState().path}`);
    return true;
  };
  const discardOk = async (): Promise<boolean> => {
    if (!dirtyRef.current) return true;
    const name = store.getState().workspace?.name ?? 'this study';
    const answer = await ask({ title: 'Unsaved changes', message: `Save your changes to "${name}" first?`, confirm: 'Save', alternative: "Don't save" });
    if (answer === 'cancel') return false;
    if (answer === 'confirm') return save();
    return true;
  };
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty;

  const openPath = (path: string): Promise<void> => guarded('Open', async () => {
    if (!(await discardOk())) return;
    await store.open(path);
    openTab('overview');
  });
  const commands = {
    new: () => guarded('New', async () => { if (!(await discardOk())) return; await store.createNew(); openTab('overview'); }),
    open: () => guarded('Open', async () => {
      if (!(await discardOk())) return;
      const path = await browse('open');
      if (path) { await store.open(path); openTab('overview'); }
    }),
    save: () => guarded('Save', async () => { await save(); }),
    saveAs: () => guarded('Save As', async () => { await saveAs(); }),
  };
  const commandsRef = useRef(commands);
  commandsRef.current = commands;

  // Electron: the native menu sends commands; browser mode: keyboard shortcuts and the page's menu bar.
  useEffect(() => {
    if (shell) {
      return shell.onMenuCommand((message: MenuCommand) => {
        const c = commandsRef.current;
        switch (message.command) {
          case 'new': void c.new(); break;
          case 'open': void c.open(); break;
          case 'open-recent': void openPathRef.current(message.path); break;
          case 'save': void c.save(); break;
          case 'save-as': void c.saveAs(); break;
          case 'export': if (store.getState().workspace) openTabRef.current('reports'); else notify('info', 'Open a study to export its report.'); break;
          case 'close-requested': void discardOkRef.current().then((ok) => shell.confirmClose(ok)); break;
        }
      });
    }
    const onKey = (e: KeyboardEvent): void => {
      if (!(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      const c = commandsRef.current;
      if (key === 's' && e.shiftKey) { e.preventDefault(); void c.saveAs(); }
      else if (key === 's') { e.preventDefault(); void c.save(); }
      else if (key === 'o') { e.preventDefault(); void c.open(); }
    };
    const onUnload = (e: BeforeUnloadEvent): void => { if (dirtyRef.current) e.preventDefault(); };
    window.addEventListener('keydown', onKey);
    window.addEventListener('beforeunload', onUnload);
    return () => { window.removeEventListener('keydown', onKey); window.removeEventListener('beforeunload', onUnload); };
  }, [shell, notify]);
  const openTabRef = useRef(openTab);
  openTabRef.current = openTab;
  const openPathRef = useRef(openPath);
  openPathRef.current = openPath;
  const discardOkRef = useRef(discardOk);
  discardOkRef.current = discardOk;

  useEffect(() => {
    const title = doc.workspace ? `${dirty ? '● ' : ''}${doc.workspace.name} — Headroom` : 'Headroom';
    document.title = title;
    shell?.setDocumentState({ path: doc.path, title, dirty });
  }, [doc.workspace, doc.path, dirty, shell]);

  const menus: Menu[] = useMemo(() => [
    {
      label: 'File',
      items: [
        { label: 'New', shortcut: 'Ctrl+N', run: () => void commands.new(), testId: 'cmd-new' },
        { label: 'Open…', shortcut: 'Ctrl+O', run: () => void commands.open(), testId: 'cmd-open' },
        { label: 'Open Recent', submenu: recent.map((p) => ({ label: p, run: () => void openPath(p) })) },
        { label: 'Save', shortcut: 'Ctrl+S', run: () => void commands.save(), disabled: !doc.workspace, testId: 'cmd-save' },
        { label: 'Save As…', shortcut: 'Ctrl+Shift+S', run: () => void commands.saveAs(), disabled: !doc.workspace, testId: 'cmd-save-as' },
        { label: 'Export…', run: () => openTab('reports'), disabled: !doc.workspace, testId: 'cmd-export' },
      ],
    },
    { label: 'View', items: [{ label: 'Start', run: () => openTab('welcome') }, ...VIEWS.map((v) => ({ label: v.title, run: () => openTab(v.id), disabled: v.section === 'study' && !doc.workspace }))] },
    { label: 'Help', items: [
      // In Electron the shell opens it in the system browser (the docs are on its allowlist).
      { label: 'Documentation', run: () => { window.open(DOCS_URL, '_blank', 'noopener'); }, testId: 'cmd-docs' },
      { label: `Headroom ${info?.version ?? ''}`, run: () => openTab('engine') },
    ] },
  // eslint-disable-next-line react-hooks/exhaustive-deps
  ], [recent, doc.workspace, info]);

  const renderView = (id: ViewId) => {
    const view = viewById(id);
    if (!view) return null;
    const ctx = {
      connection, store, workspace: doc.workspace, info, openPath: (p: string) => void openPath(p),
      workspacePath: doc.path, shell,
      browse: (r: BrowseRequest) =>
        new Promise<string | null>((resolve) => setFileRequest({
          mode: r.mode, purpose: r.purpose, suffix: r.suffix, title: r.title, suggestedName: r.suggestedName ?? '',
          startDir: r.startDir ?? lastDir.current ?? info?.samplesDir ?? null,
          resolve: (chosen) => { setFileRequest(null); if (chosen) lastDir.current = dirOf(chosen); resolve(chosen); },
        })),
    };
    if (doc.workspace) return view.render({ ...ctx, workspace: doc.workspace });
    return view.renderTool ? view.renderTool(ctx) : null;
  };
  const visibleTabs = tabs.filter((t) => t === 'welcome' || viewById(t)?.section === 'tools' || doc.workspace);
  const shown: ViewId = visibleTabs.includes(active) ? active : visibleTabs[0] ?? 'welcome';

  return (
    <div className={`workbench${shell ? ' in-electron' : ''}`}>
      {!shell && <MenuBar menus={menus} />}
      <div className="main-area">
        <aside className="explorer" data-testid="explorer">
          <h3>Study</h3>
          {doc.workspace ? (
            <ul className="tree">
              <li><button className={shown === 'overview' ? 'selected' : ''} onClick={() => openTab('overview')} data-testid="explorer-overview">
                {doc.workspace.name}{dirty ? ' ●' : ''}
              </button></li>
              {VIEWS.filter((v) => v.section === 'study' && v.id !== 'overview').map((v) => (
                <li key={v.id}><button className={`indent${shown === v.id ? ' selected' : ''}`} onClick={() => openTab(v.id)} data-testid={`explorer-${v.id}`}>{v.title}</button></li>
              ))}
            </ul>
          ) : <p className="muted">No study open.</p>}
          <h3>Samples</h3>
          <ul className="tree">
            {samples.map((s) => (
              <li key={s.path}><button title={s.description} onClick={() => void openPath(s.path)} data-testid={`explorer-sample-${s.name}`}>{s.title}</button></li>
            ))}
          </ul>
          <h3>Tools</h3>
          <ul className="tree">
            {VIEWS.filter((v) => v.section === 'tools').map((v) => (
              <li key={v.id}><button className={shown === v.id ? 'selected' : ''} onClick={() => openTab(v.id)} data-testid={`explorer-${v.id}`}>{v.title}</button></li>
            ))}
          </ul>
        </aside>
        <main className="editor-area">
          <div className="tabs" role="tablist">
            {visibleTabs.map((view) => (
              <div key={view} className={`tab${view === shown ? ' active' : ''}`} role="tab" aria-selected={view === shown}>
                <button className="tab-label" onClick={() => setActive(view)} data-testid={`tab-${view}`}>
                  {titleOf(view)}{view === 'overview' && dirty ? ' ●' : ''}
                </button>
                <button className="tab-close" aria-label={`Close ${titleOf(view)}`} onClick={() => closeTab(view)}>×</button>
              </div>
            ))}
          </div>
          <div className="view-host">
            {shown === 'welcome' && <WelcomeView samples={samples} recent={recent} onNew={() => void commands.new()} onOpen={() => void commands.open()} onOpenPath={(p) => void openPath(p)} />}
            {shown !== 'welcome' && renderView(shown)}
          </div>
        </main>
      </div>
      <div className="notices" aria-live="polite">
        {notices.map((n) => (
          <div key={n.id} className={`notice ${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'} data-testid={`notice-${n.kind}`}>
            <span>{n.text}</span>
            <button aria-label="Dismiss" onClick={() => setNotices((all) => all.filter((x) => x.id !== n.id))}>×</button>
          </div>
        ))}
      </div>
      <StatusBar status={status} path={doc.path} dirty={dirty} hasWorkspace={doc.workspace !== null} version={info?.version ?? null} />
      {confirmRequest && <ConfirmDialog request={confirmRequest} />}
      {fileRequest && <FileDialog request={fileRequest} connection={connection} />}
    </div>
  );
}

function dirOf(path: string): string {
  return path.replace(/[\\/][^\\/]*$/, '') || '/';
}

function suggestedFileName(name: string | undefined): string {
  const base = (name ?? 'study').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'study';
  return `${base}.headroom.json`;
}
