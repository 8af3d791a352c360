// ApiHistogram against prom-client's own Histogram: the same observations must print the same
// exposition lines (what Prometheus scrapes) and the same JSON (the cluster aggregation), and a
// reset must empty both.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { ApiHistogram } from '../../src/metrics/api-histogram.js';

const BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.1, 1];
const NAMES: Record<number, string> = { 0: 'Produce', 1: 'Fetch', 18: 'ApiVersions' };

function sorted(text: string): string[] {
  // prom-client lists label sets in the order first observed, ApiHistogram by API key.
  return text.split('\n').sort();
}

describe('ApiHistogram', () => {
  it('prints what prom-client prints for the same observations, and resets', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new ApiHistogram('t_request_seconds', 'Time per API.', BUCKETS, (k) => NAMES[k] ?? String(k), ours);
    const reference = new Histogram({ name: 't_request_seconds', help: 'Time per API.', labelNames: ['api'], buckets: BUCKETS, registers: [theirs] });
    const observations: [number, number][] = [
      [1, 0.0004],
      [0, 0.0005],
      [0, 0.00051],
      [18, 0.2],
      [1, 3],
      [0, 0.01],
      [1, 0],
      [0, 1],
    ];
    for (const [key, value] of observations) {
      fast.observe(key, value);
      reference.labels(NAMES[key]!).observe(value);
    }
    assert.deepEqual(sorted(await ours.metrics()), sorted(await theirs.metrics()));
    const json = (await ours.getMetricsAsJSON())[0]!;
    const expected = (await theirs.getMetricsAsJSON())[0]!;
    const byKey = (v: { metricName?: string; labels: object; value: number }) => JSON.stringify([v.metricName, v.labels, v.value]);
    assert.deepEqual(json.values.map(byKey).sort(), expected.values.map(byKey).sort());
    assert.equal(json.type, 'histogram');
    assert.equal(json.aggregator, 'sum');
    ours.resetMetrics();
    theirs.resetMetrics();
    assert.deepEqual(sorted(await ours.metrics()), sorted(await theirs.metrics()));
  });
});
