/** A problem with a workspace file that the user can fix; the message names the file and the place. */
export class WorkspaceError extends Error {
  constructor(
    readonly file: string,
    readonly where: string,
    readonly detail: string,
    readonly code: 'unreadable' | 'parse' | 'invalid' | 'newer-version' | 'conflict' | 'refused',
    /** Every problem found, each naming its place, when there is more than the one in the message. */
    readonly problems: readonly string[] = [],
  ) {
    super(`${file}${where ? ` at ${where}` : ''}: ${detail}`);
    this.name = 'WorkspaceError';
  }
}
