/** One sample of Prometheus' text format: metric name, labels, value. */
export type Sample = { name: string; labels: Record<string, string>; value: number };

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL)) labels[k] = v.replace(/\\(.)/g, '$1');
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** What the System page charts: cumulative counters at one moment. */
export type MetricsSnapshot = {
  at: number; // ms since the epoch
  requests: number;
  errors: number; // 5xx answers but /readyz's
  latencySeconds: number; // summed over every request
  promptTokens: number;
  completionTokens: number;
  turns: number;
};

export function summarize(samples: Sample[], at: number): MetricsSnapshot {
  const sum = (name: string, keep: (l: Record<string, string>) => boolean = () => true) =>
    samples.filter((s) => s.name === name && keep(s.labels)).reduce((a, s) => a + s.value, 0);
  return {
    at,
    requests: sum('http_request_duration_seconds_count'),
    // 5xx answers, except /readyz's 503 while the model loads (a readiness signal, not a failure)
    errors: sum(
      'http_request_duration_seconds_count',
      (l) => (l.status ?? '').startsWith('5') && l.route !== '/readyz',
    ),
    latencySeconds: sum('http_request_duration_seconds_sum'),
    promptTokens: sum('agent_tokens_total', (l) => l.kind === 'prompt'),
    completionTokens: sum('agent_tokens_total', (l) => l.kind === 'completion'),
    turns: sum('agent_turns_total'),
  };
}
