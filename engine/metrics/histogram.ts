import type { Histogram, Registry } from 'prom-client';

/** One labelled series of a histogram whose buckets someone else counted. */
export interface CountedSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Count per bucket, not cumulative: bucket i holds values <= bounds[i] and > bounds[i-1]; the last is past every bound. */
  readonly buckets: ArrayLike<number>;
  /** Sum of the values, in the histogram's unit. */
  readonly sum: number;
}

/**
 * A Prometheus histogram read at scrape time from counts kept elsewhere (the gateway counts every
 * I/O in fixed buckets on its hot path; prom-client's own Histogram would cost a label lookup per
 * I/O). prom-client has no histogram whose buckets are set from outside, but its registry only
 * calls get() (and reset()) on a metric, so this is registered beside its own metrics.
 */
export function registerCountedHistogram(registry: Registry, options: {
  name: string; help: string; bounds: readonly number[]; collect: () => Iterable<CountedSeries>;
}): void {
  const { name, help, bounds } = options;
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    reset(): void { /* the counts belong to their owner */ },
    get: () => {
      const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
      for (const series of options.collect()) {
        let cumulative = 0;
        for (let i = 0; i <= bounds.length; i++) {
          cumulative += series.buckets[i] ?? 0;
          values.push({ metricName: `${name}_bucket`, labels: { ...series.labels, le: i < bounds.length ? bounds[i]! : '+Inf' }, value: cumulative });
        }
        values.push({ metricName: `${name}_sum`, labels: { ...series.labels }, value: series.sum });
        values.push({ metricName: `${name}_count`, labels: { ...series.labels }, value: cumulative });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  registry.registerMetric(metric as unknown as Histogram);
}
