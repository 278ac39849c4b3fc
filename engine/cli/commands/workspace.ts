import type { Command } from 'commander';

export function registerWorkspace(program: Command): void {
  const workspace = program.command('workspace').description('create and check workspace files (*.headroom.json)');
  workspace
    .command('new <file>')
    .description('create a new, empty workspace file (refuses to replace an existing file)')
    .option('--name <title>', 'title of the study', 'Untitled study')
    .action(async (file: string, opts: { name: string }) => {
      // Loaded here, not at start: the workspace schema (TypeBox, Ajv) would slow every other command.
      const { newWorkspace, saveWorkspace, WORKSPACE_FILE_SUFFIX } = await import('../../workspace/index.js');
      if (!file.endsWith(WORKSPACE_FILE_SUFFIX)) throw new Error(`${file}: workspace files end in ${WORKSPACE_FILE_SUFFIX}`);
      const saved = await saveWorkspace(file, newWorkspace(opts.name));
      process.stdout.write(`created ${saved.path}\n`);
    });
  workspace
    .command('check <files...>')
    .description('validate workspace files; exits 1 if any is invalid, naming the file and JSON path')
    .option('--all', 'list every problem of an invalid file, not only the first')
    .action(async (files: string[], opts: { all?: boolean }) => {
      const { openWorkspace, WorkspaceError } = await import('../../workspace/index.js');
      let bad = 0;
      for (const file of files) {
        try {
          const opened = await openWorkspace(file);
          process.stdout.write(`ok ${opened.path} (${opened.workspace.name})\n`);
        } catch (err) {
          bad++;
          const message = err instanceof Error ? err.message : String(err);
          const problems = err instanceof WorkspaceError ? err.problems : [];
          if (opts.all && problems.length > 0) {
            process.stdout.write(`invalid ${err instanceof WorkspaceError ? err.file : file}: ${problems.length} problems\n${problems.map((p) => `  ${p}\n`).join('')}`);
          } else {
            process.stdout.write(`invalid ${message}${problems.length > 0 ? ' (--all lists them)' : ''}\n`);
          }
        }
      }
      if (bad > 0) process.exitCode = 1;
    });
}
