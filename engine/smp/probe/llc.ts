import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** What the probe assumes when the kernel does not say: larger than any common last-level cache but the biggest. */
export const DEFAULT_LLC_BYTES = 64 * 2 ** 20;

export interface LastLevelCache {
  bytes: number;
  level: number | null;
  source: 'sysfs' | 'default';
}

/** "32768K", "1M", "512" (bytes) as sysfs writes cache sizes; null when unreadable. */
export function parseCacheSize(text: string): number | null {
  const m = /^\s*(\d+)\s*([KMG]?)\s*$/i.exec(text);
  if (!m) return null;
  const scale = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  const bytes = Number(m[1]) * scale;
  return bytes > 0 ? bytes : null;
}

/**
 * The last-level cache of cpu0, from /sys/devices/system/cpu/cpu0/cache/index*: the highest-level
 * data or unified cache. Any other OS, or a container that hides sysfs, gets the default.
 */
export function lastLevelCache(dir = '/sys/devices/system/cpu/cpu0/cache'): LastLevelCache {
  let best: { bytes: number; level: number } | null = null;
  let entries: string[];
  try { entries = readdirSync(dir).filter((n) => /^index\d+$/.test(n)); } catch { entries = []; }
  for (const entry of entries) {
    try {
      const read = (f: string): string => readFileSync(path.join(dir, entry, f), 'utf8').trim();
      if (read('type') === 'Instruction') continue;
      const level = Number(read('level'));
      const bytes = parseCacheSize(read('size'));
      if (!Number.isInteger(level) || bytes === null) continue;
      if (!best || level > best.level || (level === best.level && bytes > best.bytes)) best = { bytes, level };
    } catch { /* an unreadable index is skipped */ }
  }
  return best ? { ...best, source: 'sysfs' } : { bytes: DEFAULT_LLC_BYTES, level: null, source: 'default' };
}
