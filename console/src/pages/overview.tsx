// Overview: the brokers (id, address, rack, controller, up or down), topic and partition
// counts, under-replicated and offline partitions, and live bytes in/out per second of the
// broker serving the console.
import { useEffect, useState } from 'preact/hooks';
import { api, type Cluster } from '../api';
import { Chart } from '../chart';
import { loadTopics, partitionHealth } from '../data';
import { bytes, rate } from '../format';
import { usePoll } from '../poll';
import { throughput } from '../series';
import { Empty, ErrorBox, href, Loading, Stat } from '../ui';

export function useThroughput(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => throughput.subscribe(() => setVersion((v) => v + 1)), []);
  return version;
}

export function Overview() {
  const cluster = usePoll(() => api<Cluster>('getCluster'), 5000);
  const topics = usePoll(loadTopics, 5000);
  const version = useThroughput();
  const details = topics.data ? [...topics.data.details.values()] : [];
  const health = partitionHealth(details);
  const live = new Set(cluster.data?.brokers.map((b) => b.id) ?? []);
  // Brokers that hold replicas but are not live: down.
  const down = [...new Set(details.flatMap((t) => t.partitions.flatMap((p) => p.replicas)))].filter((id) => !live.has(id)).sort((a, b) => a - b);
  const last = (i: number) => throughput.total.values[i]!.at(-1) ?? 0;

  return (
    <section>
      <h1 tabIndex={-1}>Overview</h1>
      <ErrorBox error={cluster.error} what="Cluster" />
      {cluster.data ? (
        <p class="sub">
          Cluster <code>{cluster.data.clusterId}</code>, controller broker {cluster.data.controllerId}
        </p>
      ) : null}
      <dl class="stats">
        <Stat label="Brokers up" value={cluster.data ? `${cluster.data.brokers.length}${down.length ? ` (${down.length} down)` : ''}` : '…'} warn={down.length > 0} />
        <Stat label="Topics" value={topics.data ? topics.data.summaries.length : '…'} />
        <Stat label="Partitions" value={topics.data ? health.partitions : '…'} />
        <Stat label="Under-replicated" value={topics.data ? health.underReplicated : '…'} warn={health.underReplicated > 0} />
        <Stat label="Offline" value={topics.data ? health.offline : '…'} warn={health.offline > 0} />
        <Stat label="Size on disk" value={topics.data ? bytes(health.sizeBytes) : '…'} />
      </dl>

      <h2>Brokers</h2>
      {cluster.loading && !cluster.data ? <Loading /> : null}
      {cluster.data ? (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Brokers of the cluster</caption>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Address</th>
                <th scope="col">Rack</th>
                <th scope="col">Controller</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {cluster.data.brokers.map((b) => (
                <tr key={b.id}>
                  <td>{b.id}</td>
                  <td>
                    <code>
                      {b.host}:{b.port}
                    </code>
                  </td>
                  <td>{b.rack ?? '—'}</td>
                  <td>{b.isController ? 'yes' : ''}</td>
                  <td>
                    <span class="ok">up</span>
                  </td>
                </tr>
              ))}
              {down.map((id) => (
                <tr key={`down-${id}`}>
                  <td>{id}</td>
                  <td>—</td>
                  <td>—</td>
                  <td></td>
                  <td>
                    <span class="bad">down</span> (holds replicas, not registered)
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      <h2>Throughput</h2>
      <p class="hint">Bytes produced to and fetched from broker {throughput.brokerId ?? '…'} (the one serving this page), sampled every 2 s; the last 10 minutes are kept in this tab.</p>
      <div class="charts">
        <Chart series={throughput.total} version={version} label="Bytes in and out per second" summary={`in ${rate(last(0), 'B')}, out ${rate(last(1), 'B')}`} format={(v) => rate(v, 'B')} />
      </div>
      {topics.data && topics.data.summaries.length === 0 ? (
        <Empty>
          No topics yet. <a href={href('topics')}>Create one</a>.
        </Empty>
      ) : null}
    </section>
  );
}
