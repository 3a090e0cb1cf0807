// The benchmark history: the JSON files `make bench` writes to bench-results/, read on the server.
import 'server-only';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export type BenchRun = {
  file: string;
  benchmark: string;
  finishedAt: string;
  gitSha: string;
  machine: string;
  figures: Record<string, number>;
};

/** Where the results are: BENCH_RESULTS_DIR, else the repository's bench-results/ beside dashboard/. */
export function benchDir(): string {
  return process.env.BENCH_RESULTS_DIR ?? path.resolve(process.cwd(), '..', 'bench-results');
}

function describeMachine(m: unknown): string {
  if (!m || typeof m !== 'object') return 'unknown';
  const o = m as Record<string, unknown>;
  const parts = [o.node, o.cpu, o.cores != null ? `${o.cores} cores` : null, o.gpu ? `GPU ${o.gpu}` : null];
  return parts.filter(Boolean).join(', ') || 'unknown';
}

/** Every readable run, oldest first; files that are not benchmark results are skipped. */
export async function readBenchRuns(dir = benchDir()): Promise<BenchRun[]> {
  let names: string[];
  try {
    names = (await readdir(/*turbopackIgnore: true*/ dir)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const runs: BenchRun[] = [];
  for (const file of names) {
    try {
      const d = JSON.parse(
        await readFile(/*turbopackIgnore: true*/ path.join(/*turbopackIgnore: true*/ dir, file), 'utf8'),
      );
      if (typeof d.benchmark !== 'string' || typeof d.figures !== 'object') continue;
      const figures = Object.fromEntries(
        Object.entries(d.figures as Record<string, unknown>).filter(([, v]) => typeof v === 'number'),
      ) as Record<string, number>;
      runs.push({
        file,
        benchmark: d.benchmark,
        finishedAt: String(d.finished_at ?? ''),
        gitSha: String(d.git_sha ?? '?'),
        machine: describeMachine(d.machine),
        figures,
      });
    } catch {
      continue;
    }
  }
  return runs.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
}
