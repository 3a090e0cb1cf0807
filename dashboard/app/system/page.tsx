import { connection } from 'next/server';
import { LiveMetrics } from '@/components/LiveMetrics';
import { getReady } from '@/lib/api';

// /readyz per component (backend, degraded or not, device, probes with latency), then the live /metrics.
export default async function SystemPage() {
  await connection(); // rendered per request: the service's state now
  const ready = await getReady();
  const llm = ready.capabilities.llm;
  return (
    <>
      <h1>System</h1>
      <section className="panel" data-testid="readiness">
        <h2>
          {ready.ready ? 'Ready' : 'Warming up'}
          {ready.degraded.length > 0 && (
            <span className="warn"> · degraded: {ready.degraded.join(', ')}</span>
          )}
        </h2>
        {ready.warm_up_error && <p className="error">warm-up failed: {ready.warm_up_error}</p>}
        {llm && (
          <p data-testid="model">
            Model: <strong>{llm.detail || llm.backend}</strong> · provider <strong>{llm.backend}</strong> ·
            device <strong>{llm.device ?? 'n/a'}</strong>
          </p>
        )}
        <div className="table-wrap">
          <table data-testid="capabilities">
            <thead>
              <tr>
                <th>Component</th>
                <th>Backend</th>
                <th>Degraded</th>
                <th>Device</th>
                <th>Detail</th>
                <th>Probes (latency)</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(ready.capabilities).map(([name, c]) => (
                <tr key={name} className={c.degraded ? 'degraded' : undefined}>
                  <td>{name}</td>
                  <td>
                    <strong>{c.backend}</strong>
                  </td>
                  <td>{c.degraded ? 'yes' : 'no'}</td>
                  <td>{c.device ?? '–'}</td>
                  <td>{c.detail}</td>
                  <td>
                    {c.probes.length === 0
                      ? '–'
                      : c.probes.map((p) => (
                          <div key={p.backend}>
                            {p.ok ? '✓' : '✗'} {p.backend}
                            {p.latency_ms != null && ` ${p.latency_ms.toFixed(1)} ms`}
                            {!p.configured && ' (not configured)'}
                          </div>
                        ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <LiveMetrics />
    </>
  );
}
