import { BrowserWindow, shell, type BrowserWindowConstructorOptions, type Session, type WebContents } from 'electron';

export const APP_SCHEME = 'app';
export const APP_HOST = 'headroom';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The project's documentation: the only place the app sends the user's browser. */
export const DOCS_URL = 'https://github.com/headroom-planning/headroom#readme';
const DOCS_ORIGIN = 'https://github.com';
const DOCS_PATH = '/headroom-planning/headroom';

/**
 * Every window of the app is made here, with settings written out literally so Electronegativity
 * can check them: the page is a web page with no Node and no way out but the preload's bridge (when
 * it has one); Auxclick is off so a middle click cannot open anything either.
 */
export function createSecureWindow(options: Omit<BrowserWindowConstructorOptions, 'webPreferences'>, page: { preload: string | null; javascript: boolean }): BrowserWindow {
  return new BrowserWindow({
    ...options,
    webPreferences: {
      ...(page.preload !== null ? { preload: page.preload } : {}),
      javascript: page.javascript,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
      disableBlinkFeatures: 'Auxclick',
    },
  });
}

export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/**
 * True only for pages of the project's documentation on its https origin (no other host, port,
 * user info or look-alike path such as /headroom-planning/headroom-evil).
 */
export function isDocsUrl(url: string): boolean {
  let parsed: URL;
  try { parsed = new URL(url); } catch { return false; }
  if (parsed.origin !== DOCS_ORIGIN || parsed.username !== '' || parsed.password !== '') return false;
  return parsed.pathname === DOCS_PATH || parsed.pathname.startsWith(`${DOCS_PATH}/`);
}

/** Opens the URL in the user's browser if it is on the allowlist; says whether it did. */
export function openDocs(url: string): boolean {
  if (!isDocsUrl(url)) return false;
  void shell.openExternal(url);
  return true;
}

/** No permission is ever granted or reported as granted (camera, notifications, clipboard, …). */
export function denyAllPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/**
 * No navigation away from the app, no new windows, no webviews, no permissions. Links to the
 * project's documentation open in the user's browser; every other link goes nowhere.
 */
export function hardenWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openDocs(url);
    return { action: 'deny' };
  });
  denyAllPermissions(contents.session);
}
