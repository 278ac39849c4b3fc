import { readFileSync } from 'node:fs';
import path from 'node:path';
import { app, screen, type BrowserWindow, type Rectangle } from 'electron';
import { writeJsonAtomic } from './recent.js';

export interface WindowState { bounds: Rectangle; maximized: boolean }

const DEFAULT: WindowState = { bounds: { x: 0, y: 0, width: 1400, height: 900 }, maximized: false };

function stateFile(): string {
  return path.join(app.getPath('userData'), 'window-state.json');
}

function isRectangle(value: unknown): value is Rectangle {
  const r = value as Record<string, unknown> | null;
  return !!r && ['x', 'y', 'width', 'height'].every((k) => typeof r[k] === 'number' && Number.isFinite(r[k]));
}

/** The last window placement, if it is still on a connected display; otherwise a centred default. */
export function loadWindowState(): WindowState & { centre: boolean } {
  try {
    const parsed = JSON.parse(readFileSync(stateFile(), 'utf8')) as { bounds?: unknown; maximized?: unknown };
    if (isRectangle(parsed.bounds) && parsed.bounds.width >= 400 && parsed.bounds.height >= 300) {
      const b = parsed.bounds;
      const visible = screen.getAllDisplays().some(({ workArea: a }) =>
        b.x < a.x + a.width - 50 && b.x + b.width > a.x + 50 && b.y >= a.y - 10 && b.y < a.y + a.height - 50);
      if (visible) return { bounds: b, maximized: parsed.maximized === true, centre: false };
    }
  } catch { /* first run or unreadable: use the default */ }
  return { ...DEFAULT, centre: true };
}

export function trackWindowState(window: BrowserWindow): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const save = (): void => {
    if (window.isDestroyed()) return;
    const state: WindowState = { bounds: window.isMaximized() ? window.getNormalBounds() : window.getBounds(), maximized: window.isMaximized() };
    try { writeJsonAtomic(stateFile(), state); } catch { /* a read-only profile must not stop the app */ }
  };
  const later = (): void => { clearTimeout(timer); timer = setTimeout(save, 400); };
  window.on('resize', later);
  window.on('move', later);
  window.on('close', () => { clearTimeout(timer); save(); });
}
