// Operations: leader elections (preferred or unclean; every partition or one), every
// broker's log dirs with their usage, and a broker's configs with their sources.
import { useState } from 'preact/hooks';
import { api, type ApiError, type Cluster, type ConfigList, type Elections, type LogDirs } from '../api';
import { bytes } from '../format';
import { usePoll } from '../poll';
import { Empty, ErrorBox, Loading } from '../ui';

function Elect() {
  const [type, setType] = useState<'preferred' | 'unclean'>('preferred');
  const [topic, setTopic] = useState('');
  const [partition, setPartition] = useState('0');
  const [result, setResult] = useState<Elections | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="card form"
      aria-labelledby="elect"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setResult(null);
        setBusy(true);
        try {
          setResult(await api<Elections>('electLeaders', { body: { type, ...(topic ? { partitions: [{ topic, partition: Number(partition) }] } : {}) } }));
        } catch (err) {
          setError(err as ApiError);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="elect">Leader election</h2>
      <div class="row">
        <label>
          Kind
          <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value as typeof type)}>
            <option value="preferred">preferred (back to the first replica)</option>
            <option value="unclean">unclean (may lose records)</option>
          </select>
        </label>
        <label>
          Topic (empty: every partition)
          <input value={topic} onInput={(e) => setTopic((e.target as HTMLInputElement).value)} />
        </label>
        {topic ? (
          <label>
            Partition
            <input type="number" min="0" value={partition} onInput={(e) => setPartition((e.target as HTMLInputElement).value)} />
          </label>
        ) : null}
      </div>
      <button type="submit" disabled={busy}>
        {busy ? 'Electing…' : 'Elect leaders'}
      </button>
      <ErrorBox error={error} what="Election" />
      {result ? (
        <div role="status">
          {result.results.length === 0 ? (
            <p>No partition needed an election.</p>
          ) : (
            <ul>
              {result.results.map((r) => (
                <li key={`${r.topic}-${r.partition}`}>
                  {r.topic}-{r.partition}: {r.error ? `${r.error}${r.message ? ` (${r.message})` : ''}` : 'elected'}
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
    </form>
  );
}

function LogDirsView() {
  const dirs = usePoll(() => api<LogDirs>('describeLogDirs'), 15_000);
  return (
    <section aria-labelledby="log-dirs">
      <h2 id="log-dirs">Log dirs</h2>
      <ErrorBox error={dirs.error} what="Log dirs" />
      {dirs.loading && !dirs.data ? <Loading /> : null}
      {dirs.data?.brokers.map((b) => (
        <div key={b.brokerId} class="card">
          <h3>Broker {b.brokerId}</h3>
          {b.error ? <p class="bad">Did not answer: {b.error}</p> : null}
          {b.logDirs.map((d) => {
            const used = d.partitions.reduce((s, p) => s + p.sizeBytes, 0);
            const fsUsed = d.totalBytes > 0 ? d.totalBytes - d.usableBytes : -1;
            return (
              <div key={d.path} class="logdir">
                <p>
                  <code>{d.path}</code>
                  {d.error ? <span class="bad"> {d.error}</span> : null}
                </p>
                <p>
                  {d.partitions.length} partitions, {bytes(used)} of logs · filesystem {bytes(fsUsed)} used of {bytes(d.totalBytes)}, {bytes(d.usableBytes)} free
                </p>
                {d.totalBytes > 0 ? <meter min={0} max={d.totalBytes} value={fsUsed} high={d.totalBytes * 0.85} aria-label={`Filesystem of ${d.path} used`} /> : null}
              </div>
            );
          })}
        </div>
      ))}
    </section>
  );
}

function BrokerConfigs() {
  const cluster = usePoll(() => api<Cluster>('getCluster'), 30_000);
  const [chosen, setChosen] = useState<number | null>(null);
  const id = chosen ?? cluster.data?.brokers[0]?.id ?? null;
  const configs = usePoll(() => (id === null ? Promise.resolve(null) : api<ConfigList>('describeBrokerConfigs', { params: { id } })), 60_000, [id]);
  const [filter, setFilter] = useState('');
  const rows = (configs.data?.configs ?? []).filter((c) => c.name.includes(filter));
  return (
    <section aria-labelledby="broker-configs">
      <h2 id="broker-configs">Broker configs</h2>
      <ErrorBox error={cluster.error ?? configs.error} what="Broker configs" />
      <div class="toolbar">
        <label>
          Broker
          <select value={id ?? ''} onChange={(e) => setChosen(Number((e.target as HTMLSelectElement).value))}>
            {(cluster.data?.brokers ?? []).map((b) => (
              <option key={b.id} value={b.id}>
                {b.id}
                {b.isController ? ' (controller)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Filter configs
          <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      {configs.loading && !configs.data ? <Loading /> : null}
      {configs.data && rows.length === 0 ? <Empty>No config matches.</Empty> : null}
      {rows.length > 0 ? (
        <div class="table-wrap">
          <table class="configs">
            <caption class="sr-only">Configs of broker {id}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Value</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.name}>
                  <th scope="row">
                    <code>{c.name}</code>
                  </th>
                  <td>
                    <code>{c.sensitive ? '(sensitive)' : (c.value ?? 'null')}</code>
                  </td>
                  <td>
                    <span class="tag">{c.source}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

export function Operations() {
  return (
    <section>
      <h1 tabIndex={-1}>Operations</h1>
      <Elect />
      <LogDirsView />
      <BrokerConfigs />
    </section>
  );
}
