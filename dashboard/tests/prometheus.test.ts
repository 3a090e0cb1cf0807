import { describe, expect, it } from 'vitest';
import { parsePrometheus, summarize } from '@/lib/prometheus';
import { rates } from '@/components/LiveMetrics';

const TEXT = `# HELP http_request_duration_seconds Time to serve a request
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.005",method="GET",route="/readyz",status="200"} 3.0
http_request_duration_seconds_count{method="GET",route="/readyz",status="200"} 3.0
http_request_duration_seconds_sum{method="GET",route="/readyz",status="200"} 0.006
http_request_duration_seconds_count{method="POST",route="/v1/chat",status="503"} 1.0
http_request_duration_seconds_count{method="GET",route="/readyz",status="503"} 5.0
http_request_duration_seconds_sum{method="POST",route="/v1/chat",status="503"} 0.5
agent_tokens_total{kind="prompt",provider="local"} 120.0
agent_tokens_total{kind="completion",provider="local"} 16.0
agent_turns_total{degraded="false",provider="local"} 2.0
agent_ready 1.0
`;

describe('prometheus', () => {
  it('parses samples with labels', () => {
    const s = parsePrometheus(TEXT);
    expect(s.find((x) => x.name === 'agent_ready')).toEqual({ name: 'agent_ready', labels: {}, value: 1 });
    expect(s.filter((x) => x.name === 'agent_tokens_total').map((x) => x.labels.kind)).toEqual([
      'prompt',
      'completion',
    ]);
  });

  it('summarizes requests, 5xx errors (not /readyz warming up), latency and tokens', () => {
    expect(summarize(parsePrometheus(TEXT), 1000)).toEqual({
      at: 1000,
      requests: 9,
      errors: 1, // /readyz's 503s while warming up are not errors
      latencySeconds: 0.506,
      promptTokens: 120,
      completionTokens: 16,
      turns: 2,
    });
  });

  it('turns consecutive snapshots into per-interval rates', () => {
    const a = summarize(parsePrometheus(TEXT), 0);
    const b = {
      ...a,
      at: 2000,
      requests: a.requests + 2,
      latencySeconds: a.latencySeconds + 0.1,
      promptTokens: 150,
    };
    const r = rates([a, b]);
    expect(r.requests).toEqual([{ x: 2000, y: 1 }]);
    expect(r.latency[0].y).toBeCloseTo(50);
    expect(r.tokens[0].y).toBe(30);
    expect(r.errors[0].y).toBe(0);
  });
});
