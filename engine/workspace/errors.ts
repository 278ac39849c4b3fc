/** A problem with a workspace file that the user can fix; the message names the file and the place. */
export class WorkspaceError extends Error {
  constructor(
    readonly file: string,
    readonly where: string,
    readonly detail: string,
    readonly code: 'unreadable' | 'parse' | 'invalid' | 'newer-version' | 'conflict' | 'refused',
  ) {
    super(`${file}${where ? ` at ${where}` : ''}: ${detail}`);
    this.name = 'WorkspaceError';
  }
}
