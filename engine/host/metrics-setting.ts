import { promises as fs } from 'node:fs';
import path from 'node:path';
import { configDir, type Logger } from '../runtime/index.js';
import type { MetricsEndpoint, SlaMetricsSource } from '../metrics/index.js';
import type { MetricsSettingState, MetricsSettingValue } from './contract.js';
import { RpcError } from './wire.js';

export const DEFAULT_METRICS_SETTING: MetricsSettingValue = { enabled: false, address: '127.0.0.1:9464' };

/**
 * The workbench's opt-in for /metrics (what `headroom server --metrics` does on the command line):
 * off until the user turns it on, loopback only, kept in the user's config folder so it survives
 * restarts. While the engine's SLA server runs and the setting is on, Prometheus can scrape it.
 */
export class SlaMetricsSetting {
  private endpoint: MetricsEndpoint | null = null;
  private server: SlaMetricsSource | null = null;
  private problem: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly log: Logger, private readonly file: string = path.join(configDir(), 'metrics.json')) {}

  /** The saved setting; a missing or damaged file reads as the default (off). */
  async read(): Promise<MetricsSettingValue> {
    try {
      const parsed: unknown = JSON.parse(await fs.readFile(this.file, 'utf8'));
      if (parsed !== null && typeof parsed === 'object') {
        const { enabled, address } = parsed as Record<string, unknown>;
        if (typeof enabled === 'boolean' && typeof address === 'string' && address.length <= 300) return { enabled, address };
      }
    } catch { /* default below */ }
    return DEFAULT_METRICS_SETTING;
  }

  async state(): Promise<MetricsSettingState> {
    return { ...(await this.read()), url: this.endpoint?.url ?? null, problem: this.problem };
  }

  /** Check, save, and apply at once to a running server. A loopback address only: the app has no "allow remote". */
  set(value: MetricsSettingValue): Promise<MetricsSettingState> {
    return this.serialised(async () => {
      const { MetricsAddressError, parseMetricsAddress } = await import('../metrics/index.js');
      try {
        parseMetricsAddress('/metrics address', value.address);
      } catch (err) {
        if (err instanceof MetricsAddressError) throw new RpcError({ code: 'invalid-input', message: err.message.replace(/ needs --metrics-allow-remote as well$/, ' is refused in the app (the command line has --metrics-allow-remote)') });
        throw err;
      }
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      await fs.writeFile(temp, JSON.stringify({ enabled: value.enabled, address: value.address.trim() }, null, 2));
      await fs.rename(temp, this.file);
      await this.apply();
      return this.state();
    });
  }

  /** The SLA server started: serve its metrics if the setting is on. Never fails the start; a busy port is reported in the state. */
  attach(server: SlaMetricsSource): Promise<void> {
    return this.serialised(async () => { this.server = server; await this.apply(); });
  }

  /** The SLA server is stopping: /metrics goes with it. */
  detach(): Promise<void> {
    return this.serialised(async () => { this.server = null; await this.apply(); });
  }

  private async apply(): Promise<void> {
    const previous = this.endpoint;
    this.endpoint = null;
    this.problem = null;
    if (previous) await previous.close();
    const setting = await this.read();
    if (!this.server || !setting.enabled) return;
    const { parseMetricsAddress, startSlaServerMetrics } = await import('../metrics/index.js');
    try {
      this.endpoint = await startSlaServerMetrics(parseMetricsAddress('/metrics address', setting.address), this.server, this.log);
    } catch (err) {
      this.problem = `/metrics could not listen on ${setting.address}: ${err instanceof Error ? err.message : String(err)}`;
      this.log.warn({ err }, 'metrics endpoint failed to start');
    }
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
