import { validateScenario } from './scenario-schema.js';
import { simulateScenario, type ScenarioResult } from './simulate.js';

/**
 * Entry points shaped for RPC: they take plain JSON values from the renderer, validate them with the
 * same schemas as the files, and throw ScenarioError (message naming the source and JSON path) for
 * anything the user can fix.
 */
export function simulateScenarioValue(value: unknown, source = 'scenario'): ScenarioResult {
  return simulateScenario(validateScenario(value, source));
}
