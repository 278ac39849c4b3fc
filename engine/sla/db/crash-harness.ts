import { spawn } from 'node:child_process';

/**
 * The kill -9 tests' harness: run `node SCRIPT ...args`, a child that writes to a database and
 * prints one line per unit it saw committed, and SIGKILL it as soon as `killAfter` lines are in,
 * so the kill lands while the next unit is being written. Resolves with the lines printed before
 * the kill and how the child ended (the signal, or its exit code if it ended on its own first);
 * rejects when fewer lines come within `timeoutMs`.
 */
export async function killAfterReports(script: string, args: readonly string[], killAfter: number, timeoutMs = 30_000): Promise<{ lines: string[]; ended: NodeJS.Signals | number | null }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  await new Promise<void>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child reported ${lines.length} of ${killAfter} lines in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const complete = buffer.split('\n');
      buffer = complete.pop()!;
      lines.push(...complete);
      if (lines.length >= killAfter) { clearTimeout(timer); child.kill('SIGKILL'); resolve(); }
    });
    child.on('exit', () => { clearTimeout(timer); resolve(); });
  });
  return { lines, ended: await exited };
}
