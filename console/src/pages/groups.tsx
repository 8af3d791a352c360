// Consumer groups: the list with state and protocol type; one group with its members and
// their assignments, committed offset and lag per partition and in total, its lag over time
// (kept in this tab), and offset reset (earliest, latest, a time, an offset) and delete,
// offered only while the group is Empty (the API refuses otherwise, 409).
import { useState } from 'preact/hooks';
import { api, ApiError, type GroupDetail, type GroupSummary } from '../api';
import { Chart } from '../chart';
import { count } from '../format';
import { usePoll } from '../poll';
import { lagOf } from '../series';
import { ConfirmByName, Empty, ErrorBox, href, Loading, Notice } from '../ui';

export function Groups() {
  const groups = usePoll(() => api<{ groups: GroupSummary[] }>('listGroups'), 5000);
  return (
    <section>
      <h1 tabIndex={-1}>Consumer groups</h1>
      <ErrorBox error={groups.error} what="Groups" />
      {groups.loading && !groups.data ? <Loading /> : null}
      {groups.data && groups.data.groups.length === 0 ? <Empty>No consumer groups: a group appears when a consumer joins or commits offsets.</Empty> : null}
      {groups.data && groups.data.groups.length > 0 ? (
        <div class="table-wrap">
          <table id="group-list">
            <caption class="sr-only">Consumer groups</caption>
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">State</th>
                <th scope="col">Protocol type</th>
              </tr>
            </thead>
            <tbody>
              {groups.data.groups.map((g) => (
                <tr key={g.groupId}>
                  <th scope="row">
                    <a href={href('groups', g.groupId)}>{g.groupId}</a>
                  </th>
                  <td>{g.state}</td>
                  <td>{g.protocolType || '(offsets only)'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function Reset(props: { group: GroupDetail; onDone: () => void }) {
  const topics = [...new Set(props.group.offsets.map((o) => o.topic))];
  const [topic, setTopic] = useState('');
  const [to, setTo] = useState<'earliest' | 'latest' | 'timestamp' | 'offset'>('earliest');
  const [at, setAt] = useState('');
  const [dryRun, setDryRun] = useState(false);
  const [result, setResult] = useState<{ dryRun: boolean; offsets: { topic: string; partition: number; previousOffset: number | null; newOffset: number }[] } | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const empty = props.group.state === 'Empty';
  return (
    <form
      class="card form"
      aria-labelledby="reset"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setResult(null);
        try {
          let target: unknown = to;
          if (to === 'timestamp') {
            const ms = new Date(at).getTime();
            if (!Number.isFinite(ms)) throw new Error('Choose a time.');
            target = { timestamp: ms };
          }
          if (to === 'offset') target = { offset: Number(at) };
          const r = await api<NonNullable<typeof result>>('resetGroupOffsets', { params: { id: props.group.groupId }, body: { ...(topic ? { topic } : {}), to: target, dryRun } });
          setResult(r);
          props.onDone();
        } catch (err) {
          setError(err as Error);
        }
      }}
    >
      <h2 id="reset">Reset offsets</h2>
      {!empty ? <p class="hint">Only while the group is Empty: stop its consumers first (it is {props.group.state}).</p> : null}
      <fieldset disabled={!empty}>
        <legend class="sr-only">Reset target</legend>
        <div class="row">
          <label>
            Topic
            <select value={topic} onChange={(e) => setTopic((e.target as HTMLSelectElement).value)}>
              <option value="">every topic with committed offsets</option>
              {topics.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
          <label>
            To
            <select value={to} onChange={(e) => setTo((e.target as HTMLSelectElement).value as typeof to)}>
              <option value="earliest">earliest (log start)</option>
              <option value="latest">latest (high watermark)</option>
              <option value="timestamp">a time</option>
              <option value="offset">an exact offset</option>
            </select>
          </label>
          {to === 'timestamp' ? (
            <label>
              Time (local)
              <input type="datetime-local" step="1" required value={at} onInput={(e) => setAt((e.target as HTMLInputElement).value)} />
            </label>
          ) : null}
          {to === 'offset' ? (
            <label>
              Offset
              <input type="number" min="0" required value={at} onInput={(e) => setAt((e.target as HTMLInputElement).value)} />
            </label>
          ) : null}
          <label class="check">
            <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun((e.target as HTMLInputElement).checked)} /> Dry run
          </label>
        </div>
        <button type="submit">{dryRun ? 'Preview reset' : 'Reset offsets'}</button>
      </fieldset>
      <ErrorBox error={error} what="Not reset" />
      {result ? (
        <div role="status">
          <p>{result.dryRun ? 'Would reset:' : 'Reset:'}</p>
          <ul>
            {result.offsets.map((o) => (
              <li key={`${o.topic}-${o.partition}`}>
                {o.topic}-{o.partition}: {o.previousOffset ?? 'none'} → {o.newOffset}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </form>
  );
}

export function GroupPage(props: { id: string }) {
  const [version, setVersion] = useState(0);
  const series = lagOf(props.id);
  const group = usePoll(
    async () => {
      const g = await api<GroupDetail>('describeGroup', { params: { id: props.id } });
      series.push(Date.now() / 1000, [g.offsets.reduce((s, o) => s + (o.lag ?? 0), 0)]);
      setVersion((v) => v + 1);
      return g;
    },
    3000,
    [props.id],
  );
  const [deleted, setDeleted] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  if (deleted || (group.error instanceof ApiError && group.error.notFound)) {
    return (
      <section>
        <h1 tabIndex={-1}>{props.id}</h1>
        <div class="error" role="alert">
          {deleted ? `Group ${props.id} was deleted.` : `Group ${props.id} does not exist (any more).`} <a href={href('groups')}>Back to the groups</a>.
        </div>
      </section>
    );
  }
  const g = group.data;
  const total = g ? g.offsets.reduce((s, o) => s + (o.lag ?? 0), 0) : 0;
  return (
    <section>
      <p class="crumbs">
        <a href={href('groups')}>Consumer groups</a> /
      </p>
      <h1 tabIndex={-1}>{props.id}</h1>
      <ErrorBox error={group.error} what="Group" />
      {!g ? <Loading /> : null}
      {g ? (
        <>
          <dl class="stats">
            <div class="stat">
              <dt>State</dt>
              <dd>{g.state}</dd>
            </div>
            <div class="stat">
              <dt>Protocol</dt>
              <dd>{g.protocol || '—'}</dd>
            </div>
            <div class="stat">
              <dt>Members</dt>
              <dd>{g.members.length}</dd>
            </div>
            <div class={`stat${total > 0 ? ' warn' : ''}`}>
              <dt>Total lag</dt>
              <dd id="total-lag">{count(total)}</dd>
            </div>
          </dl>
          <div class="charts">
            <Chart series={series} version={version} label="Total lag (records)" summary={`total lag ${count(total)}`} format={(v) => Math.round(v).toLocaleString()} />
          </div>
          <h2>Members</h2>
          {g.members.length === 0 ? (
            <Empty>No members: the group is {g.state}.</Empty>
          ) : (
            <div class="table-wrap">
              <table>
                <caption class="sr-only">Members</caption>
                <thead>
                  <tr>
                    <th scope="col">Member</th>
                    <th scope="col">Client</th>
                    <th scope="col">Host</th>
                    <th scope="col">Assignment</th>
                  </tr>
                </thead>
                <tbody>
                  {g.members.map((m) => (
                    <tr key={m.memberId}>
                      <th scope="row">
                        <code>{m.memberId}</code>
                        {m.groupInstanceId ? ` (static: ${m.groupInstanceId})` : ''}
                      </th>
                      <td>{m.clientId}</td>
                      <td>{m.clientHost}</td>
                      <td>{m.assignment.map((a) => `${a.topic}: ${a.partitions.join(', ')}`).join('; ') || '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <h2>Offsets and lag</h2>
          {g.offsets.length === 0 ? (
            <Empty>No committed offsets.</Empty>
          ) : (
            <div class="table-wrap">
              <table id="group-offsets">
                <caption class="sr-only">Committed offsets and lag per partition</caption>
                <thead>
                  <tr>
                    <th scope="col">Topic</th>
                    <th scope="col" class="num">Partition</th>
                    <th scope="col" class="num">Committed</th>
                    <th scope="col" class="num">End</th>
                    <th scope="col" class="num">Lag</th>
                    <th scope="col">Member</th>
                  </tr>
                </thead>
                <tbody>
                  {g.offsets.map((o) => (
                    <tr key={`${o.topic}-${o.partition}`}>
                      <th scope="row">
                        <a href={href('topics', o.topic)}>{o.topic}</a>
                      </th>
                      <td class="num">{o.partition}</td>
                      <td class="num">{count(o.committedOffset)}</td>
                      <td class="num">{o.logEndOffset < 0 ? 'deleted' : count(o.logEndOffset)}</td>
                      <td class="num">{count(o.lag)}</td>
                      <td>{o.memberId ? <code>{o.memberId}</code> : '—'}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row" colSpan={4}>
                      Total
                    </th>
                    <td class="num">{count(total)}</td>
                    <td></td>
                  </tr>
                </tfoot>
              </table>
            </div>
          )}
          <Reset group={g} onDone={group.refresh} />
          <section class="card" aria-labelledby="delete-group">
            <h2 id="delete-group">Delete</h2>
            <p>Deletes the group and its committed offsets.</p>
            <Notice text={notice} />
            <ConfirmByName
              name={g.groupId}
              action="Delete group"
              disabled={g.state !== 'Empty'}
              disabledReason={`Only an Empty group can be deleted; it is ${g.state}.`}
              onConfirm={async () => {
                await api('deleteGroup', { params: { id: g.groupId } });
                setNotice(`Group ${g.groupId} deleted.`);
                setDeleted(true);
              }}
            />
          </section>
        </>
      ) : null}
    </section>
  );
}
