import type { Command } from 'commander';
import { newWorkspace, openWorkspace, saveWorkspace, WORKSPACE_FILE_SUFFIX } from '../../workspace/index.js';

export function registerWorkspace(program: Command): void {
  const workspace = program.command('workspace').description('create and check workspace files (*.headroom.json)');
  workspace
    .command('new <file>')
    .description('create a new, empty workspace file (refuses to replace an existing file)')
    .option('--name <title>', 'title of the study', 'Untitled study')
    .action(async (file: string, opts: { name: string }) => {
      if (!file.endsWith(WORKSPACE_FILE_SUFFIX)) throw new Error(`${file}: workspace files end in ${WORKSPACE_FILE_SUFFIX}`);
      const saved = await saveWorkspace(file, newWorkspace(opts.name));
      process.stdout.write(`created ${saved.path}\n`);
    });
  workspace
    .command('check <files...>')
    .description('validate workspace files; exits 1 if any is invalid, naming the file and JSON path')
    .action(async (files: string[]) => {
      let bad = 0;
      for (const file of files) {
        try {
          const opened = await openWorkspace(file);
          process.stdout.write(`ok ${opened.path} (${opened.workspace.name})\n`);
        } catch (err) {
          bad++;
          process.stdout.write(`invalid ${err instanceof Error ? err.message : String(err)}\n`);
        }
      }
      if (bad > 0) process.exitCode = 1;
    });
}
