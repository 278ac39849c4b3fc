import { parentPort } from 'node:worker_threads';
import { buildReport, renderReportHtml, ReportError } from '../report/index.js';
import { storageHeadroomView } from '../storage/index.js';
import { checkPolicy, policyCompletionsAt, policyHoverAt } from '../sla/index.js';
import { validateWorkspace, WorkspaceError } from '../workspace/index.js';
import type { OffloadReply, OffloadRequest, OffloadTask } from './offload-tasks.js';
import type { RpcErrorBody } from './wire.js';

/** Problems the user can fix keep their place; anything else is internal. */
export function taskErrorBody(err: unknown, task: OffloadTask['kind']): RpcErrorBody {
  if (err instanceof WorkspaceError) return { code: 'invalid-input', message: err.detail, where: err.where ? `${err.file} at ${err.where}` : err.file };
  if (err instanceof ReportError) return { code: err.code === 'cancelled' ? 'cancelled' : err.code === 'refused' ? 'conflict' : 'invalid-input', message: err.message };
  return { code: 'internal', message: `${task} failed: ${err instanceof Error ? err.message : String(err)}` };
}

async function run(task: OffloadTask, progress: (p: { done: number; total: number; label: string }) => void): Promise<unknown> {
  switch (task.kind) {
    case 'policy.check': {
      const result = checkPolicy(task.text);
      return { ok: !result.diagnostics.some((d) => d.severity === 'error'), diagnostics: result.diagnostics };
    }
    case 'policy.hover': return policyHoverAt(task.text, task.line, task.column);
    case 'policy.complete': return policyCompletionsAt(task.text, task.line, task.column);
    case 'report.build': {
      const workspace = validateWorkspace(task.workspacePath ?? 'the open workspace', task.workspace);
      const model = await buildReport({ workspace, path: task.workspacePath }, {
        ...(task.only && task.only.length ? { only: task.only } : {}),
        onProgress: progress,
      });
      return { model, html: task.html ? renderReportHtml(model, { paper: task.html.paper }) : null };
    }
    case 'storage.headroom':
      return storageHeadroomView(validateWorkspace(task.workspacePath ?? 'the open workspace', task.workspace), task.dbFile);
  }
}

const port = parentPort;
if (port) {
  port.on('message', (request: OffloadRequest) => {
    const post = (reply: OffloadReply): void => port.postMessage(reply);
    void run(request.task, (progress) => post({ kind: 'progress', id: request.id, progress }))
      .then((result) => post({ kind: 'done', id: request.id, result }))
      .catch((err: unknown) => post({ kind: 'failed', id: request.id, error: taskErrorBody(err, request.task.kind) }));
  });
}
