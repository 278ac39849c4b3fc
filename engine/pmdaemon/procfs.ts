import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessSample {
  cpuMs: number;
  rssMb: number;
  /** OS threads of this process (V8, libuv pool and worker threads included). */
  osThreads: number;
  /** Voluntary + involuntary context switches summed over the live threads, from /proc. */
  contextSwitches: number;
}

function statusField(text: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** One reading of this process's CPU time, memory, threads and context switches (Linux /proc). */
export function sampleProcess(pid: number | 'self' = 'self'): ProcessSample {
  let contextSwitches = 0;
  let osThreads = 0;
  let rssKb = 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    osThreads = statusField(status, 'Threads');
    rssKb = statusField(status, 'VmRSS');
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const t = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
        contextSwitches += statusField(t, 'voluntary_ctxt_switches') + statusField(t, 'nonvoluntary_ctxt_switches');
      } catch {
        /* the thread exited while we read */
      }
    }
  } catch {
    /* not Linux: leave the /proc figures at 0 */
  }
  const cpu = pid === 'self' ? process.cpuUsage() : { user: 0, system: 0 };
  return {
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssMb: rssKb > 0 ? rssKb / 1024 : pid === 'self' ? process.memoryUsage().rss / 2 ** 20 : 0,
    osThreads,
    contextSwitches,
  };
}

/** CPU time (user + system) of another process, from /proc/<pid>/stat; 0 where unreadable. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}
