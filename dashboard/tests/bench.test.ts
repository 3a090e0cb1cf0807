import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('server-only', () => ({})); // the guard only matters to Next's bundler

describe('readBenchRuns', () => {
  it('reads result files oldest first and skips what is not a result', async () => {
    const { readBenchRuns } = await import('@/lib/bench');
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-'));
    const run = (at: string, sha: string) => ({
      benchmark: 'vector_index',
      figures: { 'usearch.qps': 100, note: 'text' },
      git_sha: sha,
      finished_at: at,
      machine: { node: 'vm', cpu: 'x86_64', cores: 2, gpu: null },
    });
    writeFileSync(path.join(dir, 'b.json'), JSON.stringify(run('2026-11-25T01:00:00+00:00', 'bbb')));
    writeFileSync(path.join(dir, 'a.json'), JSON.stringify(run('2026-11-24T01:00:00+00:00', 'aaa')));
    writeFileSync(path.join(dir, 'junk.json'), '{"not": "a result"}');
    writeFileSync(path.join(dir, 'broken.json'), '{');
    const runs = await readBenchRuns(dir);
    expect(runs.map((r) => r.gitSha)).toEqual(['aaa', 'bbb']);
    expect(runs[0].figures).toEqual({ 'usearch.qps': 100 });
    expect(runs[0].machine).toBe('vm, x86_64, 2 cores');
    expect(await readBenchRuns(path.join(dir, 'missing'))).toEqual([]);
  });
});
