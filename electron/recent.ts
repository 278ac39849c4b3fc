import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { app } from 'electron';

const MAX_RECENT = 10;

/** Recently opened workspaces, kept in userData and given to the OS's own recent list too. */
export class RecentFiles {
  private list: string[];
  private readonly file: string;

  constructor(private readonly onChange: (list: readonly string[]) => void) {
    this.file = path.join(app.getPath('userData'), 'recent-workspaces.json');
    this.list = readList(this.file);
  }

  get files(): readonly string[] { return this.list; }

  add(file: string): void {
    this.list = [file, ...this.list.filter((f) => f !== file)].slice(0, MAX_RECENT);
    app.addRecentDocument(file);
    this.persist();
  }

  clear(): void {
    this.list = [];
    app.clearRecentDocuments();
    this.persist();
  }

  private persist(): void {
    writeJsonAtomic(this.file, this.list);
    this.onChange(this.list);
  }
}

function readList(file: string): string[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string').slice(0, MAX_RECENT) : [];
  } catch {
    return [];
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(value, null, 2));
  renameSync(temp, file);
}
