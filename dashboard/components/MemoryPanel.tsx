import type { components } from '@/lib/api-types';

type MemoryItem = components['schemas']['MemoryItemPublic'];

const GROUPS: { title: string; keep: (i: MemoryItem) => boolean }[] = [
  { title: 'Short-term turns', keep: (i) => i.tier === 'short' },
  { title: 'Summary', keep: (i) => i.tier !== 'short' && i.kind === 'summary' && i.score == null },
  { title: 'Facts', keep: (i) => i.tier !== 'short' && i.kind === 'fact' && i.score == null },
  { title: 'Related long-term', keep: (i) => i.tier !== 'short' && i.score != null },
];

/** What memory contributed to one answer, grouped as the agent's prompt uses it. */
export function MemoryPanel({ recalled }: { recalled: MemoryItem[] | null }) {
  if (recalled === null) {
    return (
      <section className="panel" data-testid="memory-panel" aria-label="Recalled memory">
        <h2>Recalled memory</h2>
        <p className="muted">Send a message to see what memory recalls for the answer.</p>
      </section>
    );
  }
  const leftover = recalled.filter((i) => !GROUPS.some((g) => g.keep(i)));
  const groups = [...GROUPS.map((g) => ({ title: g.title, items: recalled.filter(g.keep) }))];
  if (leftover.length) groups.push({ title: 'Other', items: leftover });
  return (
    <section className="panel" data-testid="memory-panel" aria-label="Recalled memory">
      <h2>
        Recalled memory <span className="muted">({recalled.length})</span>
      </h2>
      {groups.map((g) => (
        <div key={g.title} className="memory-group" data-testid={`group-${g.title}`}>
          <h3>
            {g.title} <span className="muted">{g.items.length}</span>
          </h3>
          {g.items.length === 0 ? (
            <p className="muted">none</p>
          ) : (
            <ul>
              {g.items.map((i) => (
                <li key={i.id} data-testid="recalled-item">
                  <span className="tag">
                    {i.tier}/{i.kind}
                  </span>
                  {i.score != null && <span className="score">{i.score.toFixed(3)}</span>} {i.text}
                </li>
              ))}
            </ul>
          )}
        </div>
      ))}
    </section>
  );
}
