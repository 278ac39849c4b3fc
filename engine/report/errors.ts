/**
 * Report problems a user can cause or fix, as values with a message naming the place (the
 * workspace file, the `--only` name, the output path). The CLI prints the message, never a stack.
 */
export class ReportError extends Error {
  constructor(
    message: string,
    readonly code: 'selection' | 'refused' | 'cancelled' | 'print' | 'output',
  ) {
    super(message);
    this.name = 'ReportError';
  }
}

/** No Chromium to print with; the caller writes the HTML instead and says so. */
export class NoChromiumError extends Error {
  constructor(readonly tried: readonly string[]) {
    super(`no Chromium found (tried ${tried.length > 0 ? tried.join(', ') : 'nothing'}); set CHROMIUM or pass --chromium PATH`);
    this.name = 'NoChromiumError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ReportError('report cancelled', 'cancelled');
}
