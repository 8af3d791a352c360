// ApiHistogram: a Prometheus histogram with one label, `api`, whose children are looked up by
// Kafka API key and observed with a bucket search over numbers. The broker observes seven of
// these per request; prom-client's Histogram builds a label hash string, validates the labels
// and indexes its buckets by number-named properties on every observe, which on the replicated
// acks=all path cost more than the rest of the metrics together (BENCHMARKS.md, "Replicated").
// It registers in a prom-client Registry as a metric of its own and exports what prom-client's
// Histogram would, line for line (`_bucket` with `le` then `api`, `_sum`, `_count`).
import type { Registry } from 'prom-client';

interface Child {
  readonly api: string;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  readonly labels: Record<string, string | number>;
  readonly sharedLabels: Record<string, string>;
  readonly value: number;
  readonly metricName: string;
}

export class ApiHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: Float64Array;
  private children: (Child | undefined)[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
    /** The `api` label of a key (its name); called once per key. */
    private readonly apiName: (apiKey: number) => string,
    registry: Registry,
  ) {
    this.bounds = Float64Array.from([...buckets].sort((a, b) => a - b));
    // prom-client's Registry takes any object with name, help, type, get() and reset().
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  observe(apiKey: number, value: number): void {
    const child = this.children[apiKey] ?? this.newChild(apiKey);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    child.counts[i]!++;
    child.sum += value;
    child.count++;
  }

  private newChild(apiKey: number): Child {
    const child: Child = { api: this.apiName(apiKey), counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
    this.children[apiKey] = child;
    return child;
  }

  /** What Registry.metrics() prints (prom-client's getForPromString shape). */
  getForPromString(): { name: string; help: string; type: string; aggregator: string; values: ExportedValue[] } {
    const values: ExportedValue[] = [];
    for (const child of this.children) {
      if (!child) continue;
      const sharedLabels = { api: child.api };
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += child.counts[i]!;
        values.push({ labels: { le: bound }, sharedLabels, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels, value: child.count, metricName: `${this.name}_bucket` });
      values.push({ labels: {}, sharedLabels, value: child.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels, value: child.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Registry.getMetricsAsJSON(): the labels of each value in one object, as prom-client's get(). */
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] }> {
    const data = this.getForPromString();
    return Promise.resolve({ ...data, values: data.values.map(({ labels, sharedLabels, value, metricName }) => ({ labels: { ...labels, ...sharedLabels }, value, metricName })) });
  }

  reset(): void {
    this.children = [];
  }
}
