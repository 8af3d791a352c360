// Topics: every topic with partitions, replication factor, size on disk and messages in/out
// per second (of the broker serving the console), and the form that creates one.
import { useState } from 'preact/hooks';
import { api, type ApiError, type TopicDetail } from '../api';
import { loadTopics } from '../data';
import { bytes, rate } from '../format';
import { usePoll } from '../poll';
import { throughput } from '../series';
import { Empty, ErrorBox, href, Loading, Notice } from '../ui';
import { useThroughput } from './overview';

/** "key=value" lines as a config map; throws with the line that is not one. */
export function parseConfigs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split('\n').forEach((line, i) => {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) return;
    const eq = l.indexOf('=');
    if (eq <= 0) throw new Error(`Config line ${i + 1} is not key=value: ${l}`);
    out[l.slice(0, eq).trim()] = l.slice(eq + 1).trim();
  });
  return out;
}

function CreateTopic(props: { onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState('');
  const [rf, setRf] = useState('');
  const [configs, setConfigs] = useState('');
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="card form"
      aria-labelledby="create-topic"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setBusy(true);
        try {
          const body: Record<string, unknown> = { name: name.trim(), configs: parseConfigs(configs) };
          if (partitions !== '') body.partitions = Number(partitions);
          if (rf !== '') body.replicationFactor = Number(rf);
          const t = await api<TopicDetail>('createTopic', { body });
          setName('');
          setConfigs('');
          props.onCreated(t.name);
        } catch (err) {
          setError(err as Error);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="create-topic">Create a topic</h2>
      <div class="row">
        <label>
          Name
          <input name="name" required value={name} pattern="[a-zA-Z0-9._\-]{1,249}" title="1-249 characters of a-z, A-Z, 0-9, . _ -" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Partitions
          <input name="partitions" type="number" min="1" placeholder="broker default" value={partitions} onInput={(e) => setPartitions((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Replication factor
          <input name="replicationFactor" type="number" min="1" placeholder="broker default" value={rf} onInput={(e) => setRf((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <label>
        Configs, one <code>key=value</code> a line (optional)
        <textarea name="configs" rows={3} placeholder={'retention.ms=86400000\ncleanup.policy=compact'} value={configs} onInput={(e) => setConfigs((e.target as HTMLTextAreaElement).value)} />
      </label>
      <button type="submit" disabled={busy || name.trim() === ''}>
        {busy ? 'Creating…' : 'Create topic'}
      </button>
      <ErrorBox error={error} what="Not created" />
    </form>
  );
}

export function Topics() {
  const topics = usePoll(loadTopics, 5000);
  const version = useThroughput();
  const [showInternal, setShowInternal] = useState(false);
  const [filter, setFilter] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const rows = (topics.data?.summaries ?? []).filter((t) => (showInternal || !t.internal) && t.name.toLowerCase().includes(filter.toLowerCase()));
  void version;
  return (
    <section>
      <h1 tabIndex={-1}>Topics</h1>
      <ErrorBox error={topics.error} what="Topics" />
      <div class="toolbar">
        <label>
          Filter
          <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
        <label class="check">
          <input type="checkbox" checked={showInternal} onChange={(e) => setShowInternal((e.target as HTMLInputElement).checked)} /> Show internal topics
        </label>
      </div>
      {topics.loading && !topics.data ? <Loading /> : null}
      {topics.data && rows.length === 0 ? <Empty>{topics.data.summaries.length === 0 ? 'No topics yet: create one below.' : 'No topic matches.'}</Empty> : null}
      {rows.length > 0 ? (
        <div class="table-wrap">
          <table id="topic-list">
            <caption class="sr-only">Topics</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" class="num">Partitions</th>
                <th scope="col" class="num">RF</th>
                <th scope="col" class="num">Size</th>
                <th scope="col" class="num">Under-replicated</th>
                <th scope="col" class="num">Msgs in</th>
                <th scope="col" class="num">Msgs out</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => {
                const d = topics.data!.details.get(t.name);
                const size = d ? d.partitions.reduce((s, p) => s + Math.max(0, p.sizeBytes), 0) : -1;
                const urp = d ? d.partitions.filter((p) => p.leader < 0 || p.isr.length < p.replicas.length).length : 0;
                const r = throughput.perTopic.get(t.name);
                return (
                  <tr key={t.name}>
                    <th scope="row">
                      <a href={href('topics', t.name)}>{t.name}</a>
                      {t.internal ? <span class="tag">internal</span> : null}
                    </th>
                    <td class="num">{t.partitions}</td>
                    <td class="num">{t.replicationFactor}</td>
                    <td class="num">{bytes(size)}</td>
                    <td class={`num${urp > 0 ? ' bad' : ''}`}>{d ? urp : '—'}</td>
                    <td class="num">{r ? rate(r.messagesIn, 'msg') : '—'}</td>
                    <td class="num">{r ? rate(r.messagesOut, 'msg') : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <Notice text={notice} />
      <CreateTopic
        onCreated={(name) => {
          setNotice(`Topic ${name} created.`);
          topics.refresh();
        }}
      />
    </section>
  );
}
