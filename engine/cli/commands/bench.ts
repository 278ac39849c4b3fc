import type { Command } from 'commander';

/**
 * The one `bench` parent command. Benchmarks print JSON and are never tests; each feature
 * attaches its subcommand with `benchCommand(program).command('name')`.
 */
export function benchCommand(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'bench');
  if (existing) return existing;
  return program.command('bench').description('benchmarks: measure on this machine and print JSON (side by side with a baseline)');
}
