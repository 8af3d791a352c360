// Messages: browse one partition from an offset or a time, newest or oldest first; keys and
// values as text, pretty JSON or hex, with headers, timestamp and compression; a search that
// filters the loaded window; and a form that produces a record.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Message, type Messages, type TopicSummary } from '../api';
import { bytes, count, fromBase64, render, time, toBase64, type View } from '../format';
import { usePoll } from '../poll';
import { Empty, ErrorBox, href, Loading, Notice } from '../ui';

interface Query {
  order: 'newest' | 'oldest';
  from: 'end' | 'offset' | 'timestamp';
  offset: string;
  timestamp: string;
  limit: string;
}

function Value(props: { b64: string | null; view: View; label: string }) {
  const r = render(props.b64, props.view);
  return (
    <pre class={`value ${r.as}`} aria-label={`${props.label} (${r.as})`}>
      {r.text}
    </pre>
  );
}

function MessageRow(props: { m: Message; view: View }) {
  const { m } = props;
  const key = render(m.key, 'text');
  const value = render(m.value, props.view === 'auto' ? 'text' : props.view);
  return (
    <tr>
      <th scope="row" class="num">{m.offset}</th>
      <td>
        <time dateTime={new Date(m.timestamp).toISOString()}>{time(m.timestamp)}</time>
      </td>
      <td class="preview">{key.as === 'null' ? <em>null</em> : key.text.slice(0, 60)}</td>
      <td>
        <details>
          <summary>
            <span class="preview">{value.as === 'null' ? <em>null (tombstone)</em> : value.text.replace(/\s+/g, ' ').slice(0, 120)}</span>
          </summary>
          <div class="detail">
            <h3>Key</h3>
            <Value b64={m.key} view={props.view} label="Key" />
            <h3>Value</h3>
            <Value b64={m.value} view={props.view} label="Value" />
            <h3>Headers</h3>
            {m.headers.length === 0 ? (
              <p>none</p>
            ) : (
              <dl class="headers">
                {m.headers.map((h, i) => (
                  <div key={i}>
                    <dt>
                      <code>{h.key}</code>
                    </dt>
                    <dd>
                      <Value b64={h.value} view={props.view} label={`Header ${h.key}`} />
                    </dd>
                  </div>
                ))}
              </dl>
            )}
            <p class="meta">
              {m.timestampType} {m.timestamp} · compression {m.compression} · {bytes(m.sizeBytes)}
              {m.transactional ? ' · transactional' : ''}
            </p>
          </div>
        </details>
      </td>
      <td>{m.headers.length || ''}</td>
    </tr>
  );
}

function matches(m: Message, needle: string): boolean {
  if (needle === '') return true;
  const n = needle.toLowerCase();
  const text = (b: string | null) => (b === null ? '' : new TextDecoder().decode(fromBase64(b)).toLowerCase());
  return text(m.key).includes(n) || text(m.value).includes(n) || m.headers.some((h) => h.key.toLowerCase().includes(n) || text(h.value).includes(n)) || String(m.offset) === needle;
}

function Produce(props: { topic: string; partition: number; onProduced: () => void }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [headers, setHeaders] = useState('');
  const [compression, setCompression] = useState('none');
  const [toPartition, setToPartition] = useState<'this' | 'key'>('this');
  const [hex, setHex] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const enc = (s: string): string => {
    if (!hex) return s;
    const clean = s.replace(/\s+/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error('Hex must be pairs of 0-9a-f.');
    return toBase64(new Uint8Array(clean.match(/../g)?.map((x) => parseInt(x, 16)) ?? []));
  };
  return (
    <form
      class="card form"
      aria-labelledby="produce"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          const hs = headers
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((l) => {
              const i = l.indexOf(':');
              if (i <= 0) throw new Error(`Header line is not name: value: ${l}`);
              return { key: l.slice(0, i).trim(), value: enc(l.slice(i + 1).trim()) };
            });
          const r = await api<{ partition: number; offset: number }>('produceMessage', {
            params: { name: props.topic },
            body: {
              ...(toPartition === 'this' ? { partition: props.partition } : {}),
              key: key === '' ? null : enc(key),
              value: enc(value),
              headers: hs,
              compression,
              encoding: hex ? 'base64' : 'text',
            },
          });
          setNotice(`Produced to partition ${r.partition} at offset ${r.offset}.`);
          props.onProduced();
        } catch (err) {
          setError(err as Error);
        }
      }}
    >
      <h2 id="produce">Produce a message</h2>
      <div class="row">
        <label>
          Key (empty for none)
          <input value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Partition
          <select value={toPartition} onChange={(e) => setToPartition((e.target as HTMLSelectElement).value as 'this' | 'key')}>
            <option value="this">this one ({props.partition})</option>
            <option value="key">by key (as Kafka's partitioner)</option>
          </select>
        </label>
        <label>
          Compression
          <select value={compression} onChange={(e) => setCompression((e.target as HTMLSelectElement).value)}>
            {['none', 'gzip', 'snappy', 'lz4', 'zstd'].map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label class="check">
          <input type="checkbox" checked={hex} onChange={(e) => setHex((e.target as HTMLInputElement).checked)} /> Key, value and headers are hex
        </label>
      </div>
      <label>
        Value
        <textarea rows={4} value={value} onInput={(e) => setValue((e.target as HTMLTextAreaElement).value)} />
      </label>
      <label>
        Headers, one <code>name: value</code> a line
        <textarea rows={2} value={headers} onInput={(e) => setHeaders((e.target as HTMLTextAreaElement).value)} />
      </label>
      <button type="submit">Produce</button>
      <Notice text={notice} />
      <ErrorBox error={error} what="Not produced" />
    </form>
  );
}

export function MessagesPage(props: { topic: string | null; partition: number | null }) {
  const topics = usePoll(() => api<{ topics: TopicSummary[] }>('listTopics'), 10_000);
  const [topic, setTopic] = useState(props.topic ?? '');
  const [partition, setPartition] = useState(props.partition ?? 0);
  const [q, setQ] = useState<Query>({ order: 'newest', from: 'end', offset: '', timestamp: '', limit: '50' });
  const [applied, setApplied] = useState(q);
  const [view, setView] = useState<View>('auto');
  const [search, setSearch] = useState('');
  const [live, setLive] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    setTopic(props.topic ?? '');
    setPartition(props.partition ?? 0);
  }, [props.topic, props.partition]);
  const summary = topics.data?.topics.find((t) => t.name === topic);
  const messages = usePoll<Messages | null>(
    () => {
      if (topic === '') return Promise.resolve(null);
      const query: Record<string, string | number | undefined> = { order: applied.order, limit: applied.limit };
      if (applied.from === 'offset' && applied.offset !== '') query.offset = applied.offset;
      if (applied.from === 'timestamp' && applied.timestamp !== '') query.timestamp = new Date(applied.timestamp).getTime();
      return api<Messages>('readMessages', { params: { name: topic, partition }, query });
    },
    live ? 3000 : 3_600_000,
    [topic, partition, applied, tick, live],
  );
  const shown = (messages.data?.messages ?? []).filter((m) => matches(m, search));
  const set = (patch: Partial<Query>) => setQ({ ...q, ...patch });
  const topicGone = messages.error instanceof ApiError && messages.error.code === 'TIDELOG_ERR_TOPIC_NOT_FOUND';

  return (
    <section>
      <h1 tabIndex={-1}>Messages</h1>
      <form
        class="card form"
        aria-label="Which messages"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(q);
          setTick((t) => t + 1);
          if (topic) location.hash = href('messages', topic, partition);
        }}
      >
        <div class="row">
          <label>
            Topic
            <select
              value={topic}
              onChange={(e) => {
                setTopic((e.target as HTMLSelectElement).value);
                setPartition(0);
              }}
            >
              <option value="">Choose a topic</option>
              {(topics.data?.topics ?? []).map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
              {topic !== '' && topics.data && !summary ? <option value={topic}>{topic} (not found)</option> : null}
            </select>
          </label>
          <label>
            Partition
            <select value={partition} onChange={(e) => setPartition(Number((e.target as HTMLSelectElement).value))}>
              {Array.from({ length: summary?.partitions ?? Math.max(1, partition + 1) }, (_, i) => (
                <option key={i} value={i}>
                  {i}
                </option>
              ))}
            </select>
          </label>
          <label>
            Order
            <select value={q.order} onChange={(e) => set({ order: (e.target as HTMLSelectElement).value as Query['order'] })}>
              <option value="newest">Newest first</option>
              <option value="oldest">Oldest first</option>
            </select>
          </label>
          <label>
            Start at
            <select value={q.from} onChange={(e) => set({ from: (e.target as HTMLSelectElement).value as Query['from'] })}>
              <option value="end">{q.order === 'newest' ? 'the last message' : 'the first message'}</option>
              <option value="offset">an offset</option>
              <option value="timestamp">a time</option>
            </select>
          </label>
          {q.from === 'offset' ? (
            <label>
              Offset
              <input type="number" min="0" value={q.offset} onInput={(e) => set({ offset: (e.target as HTMLInputElement).value })} />
            </label>
          ) : null}
          {q.from === 'timestamp' ? (
            <label>
              Time (local)
              <input type="datetime-local" step="1" value={q.timestamp} onInput={(e) => set({ timestamp: (e.target as HTMLInputElement).value })} />
            </label>
          ) : null}
          <label>
            Limit
            <input type="number" min="1" max="500" value={q.limit} onInput={(e) => set({ limit: (e.target as HTMLInputElement).value })} />
          </label>
        </div>
        <button type="submit" disabled={topic === ''}>
          Load
        </button>
      </form>
      {topic === '' ? <Empty>Choose a topic and a partition to browse its messages.</Empty> : null}
      {topicGone ? (
        <div class="error" role="alert">
          Topic {topic} does not exist (any more): it may have been deleted meanwhile. <a href={href('topics')}>See the topics</a>.
        </div>
      ) : (
        <ErrorBox error={messages.error} what="Messages" />
      )}
      {topic !== '' && messages.loading && !messages.data ? <Loading /> : null}
      {messages.data ? (
        <>
          <div class="toolbar">
            <p class="sub">
              Partition {messages.data.partition}: offsets {count(messages.data.logStartOffset)} to {count(messages.data.highWatermark - 1)} · {messages.data.messages.length} loaded
              {messages.data.truncated ? ' (stopped at the read budget)' : ''}
            </p>
            <label>
              Search loaded messages
              <input type="search" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
            </label>
            <label>
              Show values as
              <select value={view} onChange={(e) => setView((e.target as HTMLSelectElement).value as View)}>
                <option value="auto">auto (JSON when it is)</option>
                <option value="text">text</option>
                <option value="json">JSON</option>
                <option value="hex">hex</option>
              </select>
            </label>
            <label class="check">
              <input type="checkbox" checked={live} onChange={(e) => setLive((e.target as HTMLInputElement).checked)} /> Live (every 3 s)
            </label>
          </div>
          {shown.length === 0 ? (
            <Empty>{messages.data.messages.length === 0 ? 'No messages in this range: the partition is empty here.' : 'No loaded message matches the search.'}</Empty>
          ) : (
            <div class="table-wrap">
              <table class="messages">
                <caption class="sr-only">
                  Messages of {topic} partition {partition}
                </caption>
                <thead>
                  <tr>
                    <th scope="col" class="num">Offset</th>
                    <th scope="col">Timestamp</th>
                    <th scope="col">Key</th>
                    <th scope="col">Value (expand for details)</th>
                    <th scope="col">Headers</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((m) => (
                    <MessageRow key={m.offset} m={m} view={view} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
      {topic !== '' && !topicGone ? <Produce topic={topic} partition={partition} onProduced={() => setTick((t) => t + 1)} /> : null}
    </section>
  );
}
