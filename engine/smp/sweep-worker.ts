import { parentPort } from 'node:worker_threads';
import { evaluatePoint } from './sweep-point.js';
import type { Scenario } from './scenario-schema.js';

export interface PointRequest {
  index: number;
  /** Already validated by the main thread. */
  scenario: Scenario;
  assignment: [string, number][];
}

export type PointReply = { index: number; row: Record<string, number | string | null> } | { index: number; error: string };

parentPort!.on('message', (req: PointRequest) => {
  let reply: PointReply;
  try {
    reply = { index: req.index, row: evaluatePoint(req.scenario, req.assignment) };
  } catch (err) {
    reply = { index: req.index, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
