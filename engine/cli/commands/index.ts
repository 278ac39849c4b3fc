import type { Command } from 'commander';
import { registerServe } from './serve.js';
import { registerWorkspace } from './workspace.js';
import { registerSmp } from './smp.js';
import { registerSmpProbe } from './smp-probe.js';
import { registerGateway } from './gateway.js';
import { registerFleet } from './fleet.js';
import { registerSla } from './sla.js';
import { registerServer } from './server.js';
import { registerReport } from './report.js';
import { registerStorage } from './storage.js';

/**
 * Every command of the one `headroom` CLI. Each feature adds its register function here,
 * one line each.
 */
export function registerCommands(program: Command): void {
  registerServe(program);
  registerWorkspace(program);
  registerSmp(program);
  registerSmpProbe(program);
  registerGateway(program);
  registerFleet(program);
  registerSla(program);
  registerServer(program);
  registerReport(program);
  registerStorage(program);
}
