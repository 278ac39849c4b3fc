import { analyzeInterval, initialAnalyzerState, type AnalysisResult, type AnalyzerState, type GatewayStats } from './analyzer.js';
import type { Policy } from '../policy/index.js';

/**
 * The stateful shell around the pure control law: holds the state between intervals.
 * The server calls `runInterval` once per poll cycle and sends `result.changes` as throttle requests.
 */
export class PerformanceAnalyzer {
  private current: AnalyzerState;

  constructor(state: AnalyzerState = initialAnalyzerState()) {
    this.current = state;
  }

  runInterval(policy: Policy, gateways: readonly GatewayStats[], at: number): AnalysisResult {
    const { state, result } = analyzeInterval(this.current, { policy, gateways, at });
    this.current = state;
    return result;
  }

  state(): AnalyzerState {
    return this.current;
  }
}
