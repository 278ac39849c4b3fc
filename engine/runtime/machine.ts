import os from 'node:os';

/** The machine a measurement ran on, or a report was made on. */
export interface MachineDescription {
  os: string;
  arch: string;
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  node: string;
  hostname: string;
}

export function describeMachine(): MachineDescription {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} (${os.platform()})`,
    arch: os.arch(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    hostname: os.hostname(),
  };
}

/** One line for a report or a view: who measured, on what. */
export function machineLine(m: MachineDescription): string {
  return `${m.hostname}: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, ${m.arch}, Node.js ${m.node}`;
}
