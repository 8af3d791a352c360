// One topic: per partition leader, replicas, ISR, log start, high watermark and size; its
// configs with value, source and default, each editable (set an override, or remove it to
// fall back to the default); add partitions; delete with typed confirmation. A topic deleted
// while it is shown turns into a clear notice.
import { useState } from 'preact/hooks';
import { api, ApiError, type ConfigList, type TopicDetail } from '../api';
import { bytes, count } from '../format';
import { usePoll } from '../poll';
import { ConfirmByName, ErrorBox, href, Loading, Notice } from '../ui';

function Partitions(props: { topic: TopicDetail }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">Partitions of {props.topic.name}</caption>
        <thead>
          <tr>
            <th scope="col" class="num">Partition</th>
            <th scope="col" class="num">Leader</th>
            <th scope="col">Replicas</th>
            <th scope="col">ISR</th>
            <th scope="col" class="num">Log start</th>
            <th scope="col" class="num">High watermark</th>
            <th scope="col" class="num">Size</th>
            <th scope="col">Messages</th>
          </tr>
        </thead>
        <tbody>
          {props.topic.partitions.map((p) => (
            <tr key={p.partition}>
              <th scope="row" class="num">{p.partition}</th>
              <td class={`num${p.leader < 0 ? ' bad' : ''}`}>{p.leader < 0 ? 'none' : p.leader}</td>
              <td>{p.replicas.join(', ')}</td>
              <td class={p.isr.length < p.replicas.length ? 'bad' : ''}>{p.isr.join(', ') || '—'}</td>
              <td class="num">{count(p.logStartOffset)}</td>
              <td class="num">{count(p.highWatermark)}</td>
              <td class="num">{bytes(p.sizeBytes)}</td>
              <td>
                <a href={href('messages', props.topic.name, p.partition)}>Browse</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Configs(props: { name: string; readOnly: boolean }) {
  const configs = usePoll(() => api<ConfigList>('describeTopicConfigs', { params: { name: props.name } }), 30_000, [props.name]);
  const [editing, setEditing] = useState<string | null>(null);
  const [value, setValue] = useState('');
  const [filter, setFilter] = useState('');
  const [onlyOverrides, setOnlyOverrides] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const alter = async (body: { set?: Record<string, string>; delete?: string[] }, what: string) => {
    setError(null);
    try {
      await api('alterTopicConfigs', { params: { name: props.name }, body });
      setEditing(null);
      setNotice(what);
      configs.refresh();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const rows = (configs.data?.configs ?? []).filter((c) => c.name.includes(filter) && (!onlyOverrides || c.source === 'TOPIC_CONFIG'));
  return (
    <section aria-labelledby="configs">
      <h2 id="configs">Configs</h2>
      <ErrorBox error={configs.error} what="Configs" />
      <div class="toolbar">
        <label>
          Filter configs
          <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
        <label class="check">
          <input type="checkbox" checked={onlyOverrides} onChange={(e) => setOnlyOverrides((e.target as HTMLInputElement).checked)} /> Overrides only
        </label>
      </div>
      <Notice text={notice} />
      <ErrorBox error={error} what="Not changed" />
      {configs.loading && !configs.data ? <Loading /> : null}
      {configs.data ? (
        <div class="table-wrap">
          <table class="configs">
            <caption class="sr-only">Configs of {props.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Value</th>
                <th scope="col">Source</th>
                <th scope="col">Default</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.name} class={c.source === 'TOPIC_CONFIG' ? 'override' : ''}>
                  <th scope="row">
                    <code>{c.name}</code>
                  </th>
                  <td>
                    {editing === c.name ? (
                      <form
                        class="inline"
                        onSubmit={(e) => {
                          e.preventDefault();
                          void alter({ set: { [c.name]: value } }, `${c.name} set to ${value}.`);
                        }}
                      >
                        <label class="sr-only" for={`cfg-${c.name}`}>
                          New value of {c.name}
                        </label>
                        <input id={`cfg-${c.name}`} value={value} autoFocus onInput={(e) => setValue((e.target as HTMLInputElement).value)} onKeyDown={(e) => e.key === 'Escape' && setEditing(null)} />
                        <button type="submit">Save</button>
                        <button type="button" onClick={() => setEditing(null)}>
                          Cancel
                        </button>
                      </form>
                    ) : (
                      <code>{c.sensitive ? '(sensitive)' : (c.value ?? 'null')}</code>
                    )}
                  </td>
                  <td>
                    <span class="tag">{c.source}</span>
                  </td>
                  <td>
                    <code>{c.defaultValue ?? '—'}</code>
                  </td>
                  <td class="actions">
                    {!props.readOnly && !c.readOnly && editing !== c.name ? (
                      <button
                        type="button"
                        aria-label={`Edit ${c.name}`}
                        onClick={() => {
                          setEditing(c.name);
                          setValue(c.value ?? '');
                        }}
                      >
                        Edit
                      </button>
                    ) : null}
                    {!props.readOnly && c.source === 'TOPIC_CONFIG' ? (
                      <button type="button" aria-label={`Reset ${c.name} to its default`} onClick={() => void alter({ delete: [c.name] }, `${c.name} back to its default.`)}>
                        Reset
                      </button>
                    ) : null}
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

function AddPartitions(props: { topic: TopicDetail; onDone: () => void }) {
  const [n, setN] = useState(String(props.topic.partitions.length + 1));
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <form
      class="card form"
      aria-labelledby="add-partitions"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          await api('addPartitions', { params: { name: props.topic.name }, body: { count: Number(n) } });
          setNotice(`${props.topic.name} now has ${n} partitions.`);
          props.onDone();
        } catch (err) {
          setError(err as ApiError);
        }
      }}
    >
      <h2 id="add-partitions">Add partitions</h2>
      <label>
        New partition count (more than {props.topic.partitions.length})
        <input type="number" min={props.topic.partitions.length + 1} value={n} onInput={(e) => setN((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">Add partitions</button>
      <p class="hint">Records with a key may go to another partition afterwards.</p>
      <Notice text={notice} />
      <ErrorBox error={error} what="Not added" />
    </form>
  );
}

export function TopicPage(props: { name: string }) {
  const topic = usePoll(() => api<TopicDetail>('describeTopic', { params: { name: props.name } }), 5000, [props.name]);
  const [deleted, setDeleted] = useState(false);
  const gone = deleted || (topic.error instanceof ApiError && topic.error.notFound);
  if (gone) {
    return (
      <section>
        <h1 tabIndex={-1}>{props.name}</h1>
        <div class="error" role="alert">
          {deleted ? `Topic ${props.name} was deleted.` : `Topic ${props.name} does not exist (any more): it may have been deleted meanwhile.`} <a href={href('topics')}>Back to the topics</a>.
        </div>
      </section>
    );
  }
  const t = topic.data;
  return (
    <section>
      <p class="crumbs">
        <a href={href('topics')}>Topics</a> /
      </p>
      <h1 tabIndex={-1}>{props.name}</h1>
      <ErrorBox error={topic.error} what="Topic" />
      {!t ? <Loading /> : null}
      {t ? (
        <>
          <p class="sub">
            {t.partitions.length} partitions, replication factor {t.replicationFactor}, id <code>{t.topicId}</code>
            {t.internal ? ' (internal)' : ''} · <a href={href('messages', t.name, 0)}>Browse messages</a>
          </p>
          <h2>Partitions</h2>
          <Partitions topic={t} />
          <Configs name={t.name} readOnly={t.internal} />
          {!t.internal ? (
            <>
              <AddPartitions topic={t} onDone={topic.refresh} />
              <section class="card" aria-labelledby="delete-topic">
                <h2 id="delete-topic">Delete</h2>
                <p>Deletes the topic, its logs and the offsets groups committed for it. This cannot be undone.</p>
                <ConfirmByName
                  name={t.name}
                  action="Delete topic"
                  onConfirm={async () => {
                    await api('deleteTopic', { params: { name: t.name } });
                    setDeleted(true);
                  }}
                />
              </section>
            </>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
