import type { ReactNode } from 'react';
import type { FilePurpose } from '../../../engine/host/contract.js';
import type { ShellBridge } from '../../../electron/bridge.js';
import type { EngineInfo } from '../../../engine/host/contract.js';
import type { Workspace } from '../../../engine/workspace/schema.js';
import type { EngineConnection } from '../engine/connection.js';
import type { WorkspaceStore } from '../state/workspace-store.js';
import { EngineView } from './EngineView.js';
import { OverviewView } from './OverviewView.js';
import { MessagingView } from './messaging/MessagingView.js';
import { ReportsView } from './report/ReportsView.js';
import { MonitorView } from './sla/MonitorView.js';
import { PoliciesView } from './sla/PoliciesView.js';
import { HeadroomView } from './storage/HeadroomView.js';
import { WhatIfView } from './whatif/WhatIfView.js';

/** A file to choose; the engine grants access to it for `purpose` only (engine/host/file-access.ts). */
export interface BrowseRequest {
  mode: 'open' | 'save';
  purpose: FilePurpose;
  suffix: string;
  title: string;
  suggestedName?: string;
  startDir?: string | null;
}

export interface ViewContext {
  connection: EngineConnection;
  store: WorkspaceStore;
  workspace: Workspace | null;
  info: EngineInfo | null;
  /** The open workspace's file, or null before its first save. */
  workspacePath: string | null;
  /** The Electron shell, or null in a browser. */
  shell: ShellBridge | null;
  openPath(path: string): void;
  /** Choose a file through the engine (policies, databases: anything but workspaces). */
  browse(request: BrowseRequest): Promise<string | null>;
}

export interface ViewDefinition {
  id: string;
  title: string;
  /** Study views edit the open workspace; tools work without one. */
  section: 'study' | 'tools';
  render(ctx: ViewContext & { workspace: Workspace }): ReactNode;
  renderTool?(ctx: ViewContext): ReactNode;
}

/** Every view the workbench shows. A feature adds its view here, one entry. */
export const VIEWS: ViewDefinition[] = [
  { id: 'overview', title: 'Study', section: 'study', render: (c) => <OverviewView workspace={c.workspace} store={c.store} /> },
  { id: 'whatif', title: 'What-if', section: 'study', render: (c) => <WhatIfView workspace={c.workspace} store={c.store} connection={c.connection} version={c.info?.version ?? 'unknown'} /> },
  { id: 'messaging', title: 'Messaging', section: 'study', render: (c) => <MessagingView workspace={c.workspace} store={c.store} connection={c.connection} /> },
  { id: 'policies', title: 'Policies', section: 'study', render: (c) => <PoliciesView workspace={c.workspace} store={c.store} connection={c.connection} browse={c.browse} samplesDir={c.info?.samplesDir ?? null} /> },
  { id: 'monitor', title: 'Monitor', section: 'study', render: (c) => <MonitorView workspace={c.workspace} store={c.store} connection={c.connection} browse={c.browse} /> },
  { id: 'headroom', title: 'Headroom', section: 'study', render: (c) => <HeadroomView workspace={c.workspace} workspacePath={c.workspacePath} connection={c.connection} store={c.store} /> },
  { id: 'reports', title: 'Reports', section: 'study', render: (c) => <ReportsView workspace={c.workspace} workspacePath={c.workspacePath} connection={c.connection} browse={c.browse} shell={c.shell} /> },
  { id: 'engine', title: 'Engine', section: 'tools', render: (c) => <EngineView connection={c.connection} info={c.info} onOpen={c.openPath} />, renderTool: (c) => <EngineView connection={c.connection} info={c.info} onOpen={c.openPath} /> },
];

export function viewById(id: string): ViewDefinition | undefined {
  return VIEWS.find((v) => v.id === id);
}
