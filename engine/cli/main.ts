#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
// Not the runtime's front door: that loads the logger and the schema validator, which `--help` does not need.
import { headroomVersion } from '../runtime/version.js';
import { registerCommands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('headroom')
    .description('Headroom: capacity planning for storage SLA control and SMP bus-aware dispatch')
    .version(headroomVersion)
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerCommands(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  // Output piped into `head` and the like: a closed pipe ends the command quietly, not with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); else throw err; });
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    // Errors users can cause arrive here as messages naming the place; no stack trace.
    process.stderr.write(`headroom: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
