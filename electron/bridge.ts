/**
 * What the preload script exposes to the renderer as `window.headroomShell`. Types only:
 * the renderer imports them, the preload implements them. The engine is not reached through
 * here: the renderer gets a MessagePort to it and speaks the RPC contract directly.
 */
export type MenuCommand =
  | { command: 'new' }
  | { command: 'open' }
  | { command: 'open-recent'; path: string }
  | { command: 'save' }
  | { command: 'save-as' }
  | { command: 'export' }
  | { command: 'close-requested' };

export interface DocumentState {
  path: string | null;
  title: string;
  dirty: boolean;
}

export interface ShellBridge {
  readonly kind: 'electron';
  showOpenDialog(): Promise<string | null>;
  showSaveDialog(defaultPath: string | null): Promise<string | null>;
  noteRecent(path: string): void;
  recentFiles(): Promise<string[]>;
  setDocumentState(state: DocumentState): void;
  /** Answer to 'close-requested': true closes the window (after the renderer saved or the user discarded). */
  confirmClose(close: boolean): void;
  onMenuCommand(listener: (command: MenuCommand) => void): () => void;
  /**
   * Print the report's HTML with Electron's printToPDF (the same page settings the engine gives
   * Chromium). Main asks the user where to save it; null when they cancel.
   */
  printReport(request: ReportPrintRequest): Promise<{ path: string; pages: number | null } | null>;
}

export interface ReportPrintRequest {
  html: string;
  paper: 'A4' | 'Letter';
  title: string;
  /** Only a suggestion for the save dialog: the PDF goes where the user chooses there. */
  defaultPath?: string;
}

/** Channel names shared by main and preload; main checks every sender against the app:// origin. */
export const IPC = {
  openDialog: 'headroom:dialog-open',
  saveDialog: 'headroom:dialog-save',
  noteRecent: 'headroom:recent-add',
  recentFiles: 'headroom:recent-list',
  documentState: 'headroom:document-state',
  confirmClose: 'headroom:confirm-close',
  menuCommand: 'headroom:menu-command',
  enginePort: 'headroom:engine-port',
  reportPrint: 'headroom:report-print',
} as const;

/** The message the preload posts to the page, carrying the engine's MessagePort. */
export const ENGINE_PORT_MESSAGE = 'headroom:engine-port';
