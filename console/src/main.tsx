// The web console's shell: a hash router (#/topics/orders, so / and /console serve the same
// page and reloads need nothing from the server), the navigation, and a banner when the
// broker cannot be reached or refuses the console (401). Pages live in pages/.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onHealth, type ApiError } from './api';
import { Overview } from './pages/overview';
import { Topics } from './pages/topics';
import { TopicPage } from './pages/topic';
import { MessagesPage } from './pages/messages';
import { Groups, GroupPage } from './pages/groups';
import { Operations } from './pages/operations';

const NAV = [
  { path: 'overview', label: 'Overview' },
  { path: 'topics', label: 'Topics' },
  { path: 'messages', label: 'Messages' },
  { path: 'groups', label: 'Consumer groups' },
  { path: 'operations', label: 'Operations' },
] as const;

function route(): string[] {
  const h = location.hash.replace(/^#\/?/, '');
  return h === '' ? ['overview'] : h.split('/').map((p) => decodeURIComponent(p));
}

function Page(props: { parts: string[] }) {
  const [section, a, b] = props.parts;
  switch (section) {
    case 'overview':
      return <Overview />;
    case 'topics':
      return a ? <TopicPage key={a} name={a} /> : <Topics />;
    case 'messages':
      return <MessagesPage topic={a ?? null} partition={b === undefined ? null : Number(b)} />;
    case 'groups':
      return a ? <GroupPage key={a} id={a} /> : <Groups />;
    case 'operations':
      return <Operations />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            No page <code>{location.hash}</code>. <a href="#/overview">Go to the overview</a>.
          </p>
        </section>
      );
  }
}

function App() {
  const [parts, setParts] = useState(route());
  const [down, setDown] = useState<ApiError | null>(null);
  useEffect(() => {
    const onHash = () => {
      setParts(route());
      // Move focus to the new page's heading, as a page load would.
      requestAnimationFrame(() => document.querySelector<HTMLElement>('main h1')?.focus());
    };
    addEventListener('hashchange', onHash);
    const off = onHealth((h) => setDown(h.ok ? null : h.error));
    return () => {
      removeEventListener('hashchange', onHash);
      off();
    };
  }, []);
  useEffect(() => {
    const nav = NAV.find((n) => n.path === parts[0]);
    document.title = `${parts[1] ?? nav?.label ?? 'Tidelog'} · Tidelog console`;
  }, [parts]);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/overview">
          Tidelog
        </a>
        <nav aria-label="Sections">
          <ul>
            {NAV.map((n) => (
              <li key={n.path}>
                <a href={`#/${n.path}`} aria-current={parts[0] === n.path ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <a class="docs" href="/docs">
          API docs
        </a>
      </header>
      {down ? (
        <div class={`banner${down.status === 401 ? ' auth' : ''}`} role="alert">
          {down.message}
        </div>
      ) : null}
      <main id="main" tabIndex={-1}>
        <Page parts={parts} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
