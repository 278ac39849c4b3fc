import { promises as fs } from 'node:fs';
import path from 'node:path';
import { configDir } from '../runtime/index.js';

const MAX_RECENT = 10;

/**
 * Recently opened workspaces for browser mode, kept by the engine: the page's own storage is
 * per origin, and the origin's port changes with every launch.
 */
export class RecentWorkspaces {
  private queue: Promise<unknown> = Promise.resolve();
  constructor(private readonly file: string = path.join(configDir(), 'recent-workspaces.json')) {}

  async list(): Promise<string[]> {
    try {
      const parsed: unknown = JSON.parse(await fs.readFile(this.file, 'utf8'));
      return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string').slice(0, MAX_RECENT) : [];
    } catch {
      return [];
    }
  }

  add(file: string): Promise<string[]> {
    // Serialised so two quick saves cannot interleave their read-modify-write.
    const next = this.queue.then(async () => {
      const list = [file, ...(await this.list()).filter((f) => f !== file)].slice(0, MAX_RECENT);
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      await fs.writeFile(temp, JSON.stringify(list, null, 2));
      await fs.rename(temp, this.file);
      return list;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
