'use client';

import { useEffect, useState } from 'react';
import type { MetricsSnapshot } from '@/lib/prometheus';
import { LineChart, type Point } from './LineChart';

const POLL_MS = 5000;
const KEEP = 120; // ten minutes of history

/** Rates between consecutive snapshots of the cumulative counters. */
export function rates(history: MetricsSnapshot[]) {
  const latency: Point[] = [];
  const tokens: Point[] = [];
  const errors: Point[] = [];
  const requests: Point[] = [];
  for (let i = 1; i < history.length; i++) {
    const [a, b] = [history[i - 1], history[i]];
    const dt = (b.at - a.at) / 1000;
    const dn = b.requests - a.requests;
    const x = b.at;
    latency.push({ x, y: dn > 0 ? ((b.latencySeconds - a.latencySeconds) / dn) * 1000 : 0 });
    tokens.push({ x, y: b.promptTokens + b.completionTokens - a.promptTokens - a.completionTokens });
    errors.push({ x, y: b.errors - a.errors });
    requests.push({ x, y: dt > 0 ? dn / dt : 0 });
  }
  return { latency, tokens, errors, requests };
}

/** The service's /metrics, polled every few seconds, as charts (since this page was opened). */
export function LiveMetrics() {
  const [history, setHistory] = useState<MetricsSnapshot[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    async function poll() {
      try {
        const r = await fetch('/api/metrics', { cache: 'no-store' });
        const body = await r.json();
        if (!r.ok) throw new Error(body.detail ?? r.statusText);
        if (live) {
          setHistory((h) => [...h, body as MetricsSnapshot].slice(-KEEP));
          setError(null);
        }
      } catch (err) {
        if (live) setError((err as Error).message);
      }
    }
    poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  const last = history.at(-1);
  const r = rates(history);
  return (
    <section className="panel" data-testid="live-metrics">
      <h2>Live metrics</h2>
      {error && <p className="error">metrics unavailable: {error}</p>}
      {last && (
        <p className="muted" data-testid="metrics-totals">
          since start: {last.requests} requests, {last.errors} errors (5xx), {last.turns} turns,{' '}
          {last.promptTokens + last.completionTokens} tokens, mean latency{' '}
          {last.requests ? ((last.latencySeconds / last.requests) * 1000).toFixed(1) : '–'} ms
        </p>
      )}
      <div className="charts">
        <LineChart title="Mean latency per interval" points={r.latency} unit=" ms" />
        <LineChart title="Requests per second" points={r.requests} unit="/s" />
        <LineChart title="Tokens per interval" points={r.tokens} />
        <LineChart title="Errors (5xx) per interval" points={r.errors} />
      </div>
    </section>
  );
}
