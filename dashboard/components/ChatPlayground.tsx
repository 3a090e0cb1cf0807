'use client';

import { useRef, useState } from 'react';
import type { components } from '@/lib/api-types';
import { parseSSE } from '@/lib/sse';
import { MemoryPanel } from './MemoryPanel';

type ChatResponse = components['schemas']['ChatResponse'];
type Turn = {
  role: 'user' | 'assistant';
  text: string;
  state?: 'streaming' | 'done' | 'error';
  deltas?: number;
  done?: ChatResponse;
};

/** Chat with the agent token by token (through the dashboard's /api/chat), and show what memory recalled. */
export function ChatPlayground({
  user,
  session,
  history = [],
}: {
  user: string;
  session: string;
  history?: { role: string; content: string }[]; // the session's stored turns, oldest first
}) {
  const [message, setMessage] = useState('');
  const [turns, setTurns] = useState<Turn[]>(() =>
    history
      .filter((m) => m.role === 'user' || m.role === 'assistant')
      .map((m) => ({ role: m.role as Turn['role'], text: m.content })),
  );
  const [busy, setBusy] = useState(false);
  const [selected, setSelected] = useState<number | null>(null);
  const log = useRef<HTMLOListElement>(null);

  const update = (index: number, change: (t: Turn) => Turn) =>
    setTurns((ts) => ts.map((t, i) => (i === index ? change(t) : t)));

  async function send(e: React.FormEvent) {
    e.preventDefault();
    const text = message.trim();
    if (!text || busy) return;
    setBusy(true);
    setMessage('');
    const index = turns.length + 1;
    setTurns((ts) => [
      ...ts,
      { role: 'user', text },
      { role: 'assistant', text: '', state: 'streaming', deltas: 0 },
    ]);
    setSelected(index);
    try {
      const response = await fetch('/api/chat', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user, session, message: text }),
      });
      if (!response.ok || !response.body) {
        const body = await response.text();
        throw new Error(`${response.status}: ${body || response.statusText}`);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const { events, rest } = parseSSE(buffer + value);
        buffer = rest;
        for (const ev of events) {
          const data = JSON.parse(ev.data);
          if (ev.event === 'delta') {
            update(index, (t) => ({ ...t, text: t.text + data.text, deltas: (t.deltas ?? 0) + 1 }));
          } else if (ev.event === 'done') {
            update(index, (t) => ({ ...t, text: data.reply, state: 'done', done: data as ChatResponse }));
          } else if (ev.event === 'error') {
            throw new Error(data.reason);
          }
        }
        log.current?.lastElementChild?.scrollIntoView?.({ block: 'end' });
      }
    } catch (err) {
      update(index, (t) => ({ ...t, state: 'error', text: `${t.text}\n[error] ${(err as Error).message}` }));
    } finally {
      setBusy(false);
    }
  }

  const shown = selected !== null ? turns[selected]?.done : undefined;
  return (
    <div className="chat-layout">
      <section className="panel chat">
        <form className="row" action="/" aria-label="Conversation">
          <label>
            User <input name="user" defaultValue={user} required />
          </label>
          <label>
            Session <input name="session" defaultValue={session} required />
          </label>
          <button type="submit" className="secondary">
            Open
          </button>
        </form>
        <ol className="turns" ref={log} data-testid="turns">
          {turns.map((t, i) => (
            <li
              key={i}
              className={`turn ${t.role}`}
              data-role={t.role}
              data-state={t.state}
              data-deltas={t.deltas}
              onClick={() => t.role === 'assistant' && setSelected(i)}
              aria-current={i === selected ? 'true' : undefined}
            >
              <span className="who">{t.role === 'user' ? user : 'agent'}</span>
              <span className="text">{t.text || (t.state === 'streaming' ? '…' : '')}</span>
              {t.done && (
                <span className="meta">
                  {t.done.provider} · {t.done.model} · {t.done.usage.prompt_tokens}→
                  {t.done.usage.completion_tokens} tokens · {t.done.recalled.length} recalled
                  {t.done.degraded.length > 0 && ` · degraded: ${t.done.degraded.join(', ')}`}
                </span>
              )}
            </li>
          ))}
        </ol>
        <form className="row send" onSubmit={send}>
          <input
            name="message"
            aria-label="Message"
            placeholder="Say something…"
            value={message}
            onChange={(e) => setMessage(e.target.value)}
            autoComplete="off"
          />
          <button type="submit" disabled={busy || !message.trim()}>
            {busy ? 'Answering…' : 'Send'}
          </button>
        </form>
      </section>
      <MemoryPanel recalled={shown ? shown.recalled : null} />
    </div>
  );
}
