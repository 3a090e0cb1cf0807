import { describe, expect, it } from 'vitest';
import { parseSSE } from '@/lib/sse';

describe('parseSSE', () => {
  it('splits complete events and keeps the unfinished rest', () => {
    const { events, rest } = parseSSE('event: delta\ndata: {"text":"Hel"}\n\nevent: delta\ndata: {"te');
    expect(events).toEqual([{ event: 'delta', data: '{"text":"Hel"}' }]);
    expect(rest).toBe('event: delta\ndata: {"te');
    const next = parseSSE(rest + 'xt":"lo"}\n\nevent: done\ndata: {}\n\n');
    expect(next.events.map((e) => e.event)).toEqual(['delta', 'done']);
    expect(JSON.parse(next.events[0].data)).toEqual({ text: 'lo' });
    expect(next.rest).toBe('');
  });

  it('handles CRLF, comments, multi-line data and the default event name', () => {
    const { events } = parseSSE(': keep-alive\r\n\r\ndata: a\r\ndata: b\r\n\r\n');
    expect(events).toEqual([{ event: 'message', data: 'a\nb' }]);
  });
});
