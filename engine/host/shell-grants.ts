import { Type, type Static } from '@sinclair/typebox';
import { compileSchema } from '../runtime/index.js';
import { FilePurposeSchema } from './contract.js';
import type { FileAccess } from './file-access.js';
import { RpcError, type RpcErrorBody } from './wire.js';

/**
 * How Electron's main process tells the engine "the user chose this path" after a native
 * dialog. It travels over the utility process's parent port (never over a renderer's
 * MessagePort, so a page cannot forge one), and main waits for the reply before it hands the
 * path to the renderer, which then names it in workspace.open / policy.read / report.export.
 *
 *   main → engine: { kind: 'grant-path', requestId, path, purpose, mode }   a file (or CSV folder) from a dialog
 *                  { kind: 'grant-root', requestId, path }                  a folder the user added as a root
 *   engine → main: { kind: 'grant-result', requestId, ok: true, path }     the path to use (resolved)
 *                  { kind: 'grant-result', requestId, ok: false, error }   refused: wrong kind, missing folder
 */
export const ShellGrantRequestSchema = Type.Union([
  Type.Object({
    kind: Type.Literal('grant-path'),
    requestId: Type.Integer({ minimum: 0 }),
    path: Type.String({ minLength: 1, maxLength: 4096 }),
    purpose: FilePurposeSchema,
    mode: Type.Union([Type.Literal('open'), Type.Literal('save')]),
  }, { additionalProperties: false }),
  Type.Object({
    kind: Type.Literal('grant-root'),
    requestId: Type.Integer({ minimum: 0 }),
    path: Type.String({ minLength: 1, maxLength: 4096 }),
  }, { additionalProperties: false }),
]);
export type ShellGrantRequest = Static<typeof ShellGrantRequestSchema>;
export type ShellGrantReply =
  | { kind: 'grant-result'; requestId: number; ok: true; path: string }
  | { kind: 'grant-result'; requestId: number; ok: false; error: RpcErrorBody };

const isShellGrantRequest = compileSchema(ShellGrantRequestSchema);

/** Whether a parent-port message is a grant request (other kinds, such as 'connect', pass by). */
export function isGrantMessage(message: unknown): boolean {
  const kind = typeof message === 'object' && message !== null ? (message as { kind?: unknown }).kind : undefined;
  return kind === 'grant-path' || kind === 'grant-root';
}

export async function handleShellGrant(files: FileAccess, message: unknown): Promise<ShellGrantReply> {
  const requestId = typeof message === 'object' && message !== null && typeof (message as { requestId?: unknown }).requestId === 'number' ? (message as { requestId: number }).requestId : -1;
  if (!isShellGrantRequest(message)) {
    return { kind: 'grant-result', requestId, ok: false, error: { code: 'bad-request', message: 'malformed grant: expected {kind:"grant-path",requestId,path,purpose,mode} or {kind:"grant-root",requestId,path}' } };
  }
  try {
    const granted = message.kind === 'grant-path'
      ? await files.grantChosen(message.path, message.purpose, message.mode)
      : await files.addRoot(message.path, 'user');
    return { kind: 'grant-result', requestId: message.requestId, ok: true, path: granted };
  } catch (err) {
    const error = err instanceof RpcError ? err.toBody() : { code: 'internal' as const, message: err instanceof Error ? err.message : String(err) };
    return { kind: 'grant-result', requestId: message.requestId, ok: false, error };
  }
}
