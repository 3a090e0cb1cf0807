import Link from 'next/link';
import { ConfirmButton } from '@/components/ConfirmButton';
import {
  getSession,
  listSessions,
  searchMemories,
  ServiceError,
  type MemoryFilter,
  type MemoryItem,
} from '@/lib/api';
import { deleteSessionAction, deleteUserAction } from './actions';

type Params = {
  user?: string;
  session?: string;
  q?: string;
  deleted?: string;
  kind?: string; // turn | fact | summary; empty: all
  since?: string; // a date (UTC)
  until?: string;
  scope?: string; // 'session': only the open session's items
};

const KINDS = ['turn', 'fact', 'summary'] as const;

/** The memories, or the service's reason when it refuses the filter (e.g. `since` not before `until`). */
async function memoriesOrReason(
  user: string,
  q: string | undefined,
  filter: MemoryFilter,
): Promise<MemoryItem[] | string> {
  try {
    return await searchMemories(user, q, 20, filter);
  } catch (e) {
    if (e instanceof ServiceError && e.status === 422) return e.message;
    throw e;
  }
}

function when(t?: string | null): string {
  return t ? new Date(t).toISOString().replace('T', ' ').slice(0, 19) : '–';
}

// Users → sessions → turns and summaries; search a user's long-term memory; erase a session or the user.
export default async function SessionsPage({ searchParams }: { searchParams: Promise<Params> }) {
  const { user = 'me', session, q, deleted, kind, since, until, scope } = await searchParams;
  const filter: MemoryFilter = {
    session: scope === 'session' && session ? session : undefined,
    kind: KINDS.find((k) => k === kind) ? [kind as MemoryItem['kind']] : undefined,
    since: since || undefined,
    until: until || undefined,
  };
  const [sessions, detail, found] = await Promise.all([
    listSessions(user),
    session ? getSession(user, session) : Promise.resolve(null),
    memoriesOrReason(user, q, filter),
  ]);
  const memories = typeof found === 'string' ? [] : found;
  const link = (extra: Record<string, string>) => `/sessions?${new URLSearchParams({ user, ...extra })}`;
  return (
    <>
      <h1>Sessions and memory</h1>
      <form className="row panel" action="/sessions">
        <label>
          User <input name="user" defaultValue={user} required />
        </label>
        <button type="submit">Open</button>
      </form>
      {deleted && (
        <p className="notice" role="status">
          {deleted === 'all' ? `Erased everything stored about ${user}.` : `Deleted session ${deleted}.`}
        </p>
      )}
      <div className="two-col">
        <section className="panel" aria-label="Sessions">
          <h2>
            Sessions of {user} <span className="muted">({sessions.length})</span>
          </h2>
          {sessions.length === 0 ? (
            <p className="muted" data-testid="no-sessions">
              No sessions.
            </p>
          ) : (
            <ul className="sessions" data-testid="sessions">
              {sessions.map((s) => (
                <li key={s.session} aria-current={s.session === session ? 'true' : undefined}>
                  <Link href={link({ session: s.session })}>{s.session}</Link>{' '}
                  <span className="muted">
                    {s.turns} turns · last {when(s.last_at)}
                  </span>
                </li>
              ))}
            </ul>
          )}
          <form action={deleteUserAction} className="row">
            <input type="hidden" name="user" value={user} />
            <ConfirmButton
              label={`Delete all memory of ${user}`}
              confirm="Every session, summary and fact goes."
            />
          </form>
        </section>
        <section className="panel" aria-label="Session">
          {!session ? (
            <p className="muted">Pick a session to read its turns and summary.</p>
          ) : !detail ? (
            <p className="muted">
              {user} has no session {session}.
            </p>
          ) : (
            <>
              <h2>Session {detail.session}</h2>
              <p className="muted">
                {detail.turns} turns · started {when(detail.started_at)} · last {when(detail.last_at)}
              </p>
              <h3>Summary</h3>
              <p data-testid="summary">{detail.summary || <span className="muted">none yet</span>}</p>
              <h3>Turns</h3>
              <ol className="turns" data-testid="session-turns">
                {detail.messages.map((m) => (
                  <li key={m.id} className={`turn ${m.role}`}>
                    <span className="who">{m.role}</span>
                    <span className="text">{m.content}</span>
                  </li>
                ))}
              </ol>
              <form action={deleteSessionAction} className="row">
                <input type="hidden" name="user" value={user} />
                <input type="hidden" name="session" value={detail.session} />
                <ConfirmButton label="Delete session" confirm={`Erase ${detail.session} from every tier?`} />
              </form>
            </>
          )}
        </section>
      </div>
      <section className="panel" aria-label="Long-term memory">
        <h2>Long-term memory</h2>
        <form className="row" action="/sessions">
          <input type="hidden" name="user" value={user} />
          {session && <input type="hidden" name="session" value={session} />}
          <input name="q" defaultValue={q} placeholder="Search by meaning…" aria-label="Search memory" />
          <select name="kind" defaultValue={kind ?? ''} aria-label="Kind">
            <option value="">all kinds</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}s
              </option>
            ))}
          </select>
          <label>
            from <input type="date" name="since" defaultValue={since} aria-label="Since" />
          </label>
          <label>
            before <input type="date" name="until" defaultValue={until} aria-label="Until" />
          </label>
          {session && (
            <label>
              <input type="checkbox" name="scope" value="session" defaultChecked={scope === 'session'} /> only{' '}
              {session}
            </label>
          )}
          <button type="submit">Search</button>
        </form>
        {typeof found === 'string' && (
          <p className="notice" role="alert" data-testid="memory-filter-error">
            {found}
          </p>
        )}
        {memories.length === 0 ? (
          <p className="muted">
            Nothing {q ? 'found' : 'stored yet (facts and summaries appear as sessions grow)'}.
          </p>
        ) : (
          <ul data-testid="memories">
            {memories.map((m) => (
              <li key={m.id}>
                <span className="tag">
                  {m.tier}/{m.kind}
                </span>
                {m.invalidated_at && <span className="tag">superseded</span>}
                {m.score != null && <span className="score">{m.score.toFixed(3)}</span>}{' '}
                {m.role && <span className="muted">{m.role}:</span>} {m.text}{' '}
                {m.session && <span className="muted">({m.session})</span>}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
