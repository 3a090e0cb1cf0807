import { connection } from 'next/server';
import { LineChart } from '@/components/LineChart';
import { readBenchRuns } from '@/lib/bench';

// Each benchmark's figures over time, one chart per metric; each point names its git SHA and machine.
export default async function BenchmarksPage() {
  await connection(); // the results folder grows with every `make bench`
  const runs = await readBenchRuns();
  const byBench = new Map<string, typeof runs>();
  for (const r of runs) byBench.set(r.benchmark, [...(byBench.get(r.benchmark) ?? []), r]);
  return (
    <>
      <h1>Benchmarks</h1>
      {runs.length === 0 && <p className="muted">No results yet: run `make bench`.</p>}
      {[...byBench].map(([bench, rs]) => {
        const metrics = [...new Set(rs.flatMap((r) => Object.keys(r.figures)))];
        return (
          <section key={bench} className="panel" data-testid={`bench-${bench}`}>
            <h2>
              {bench} <span className="muted">({rs.length} runs)</span>
            </h2>
            <div className="charts">
              {metrics.map((m) => (
                <LineChart
                  key={m}
                  title={m}
                  points={rs
                    .filter((r) => m in r.figures)
                    .map((r) => ({
                      x: Date.parse(r.finishedAt),
                      y: r.figures[m],
                      label: `${r.gitSha} on ${r.machine} at ${r.finishedAt}`,
                    }))}
                />
              ))}
            </div>
            <details>
              <summary>Runs</summary>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>Finished</th>
                      <th>Git SHA</th>
                      <th>Machine</th>
                      <th>File</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rs.map((r) => (
                      <tr key={r.file}>
                        <td>{r.finishedAt}</td>
                        <td>
                          <code>{r.gitSha}</code>
                        </td>
                        <td>{r.machine}</td>
                        <td>{r.file}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          </section>
        );
      })}
    </>
  );
}
