/** One point of a chart: x (a time in ms), y, and what a hover tells about it. */
export type Point = { x: number; y: number; label?: string };

const W = 320;
const H = 140;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return Number(v.toPrecision(3)).toString();
}

/** A small SVG line chart: one series over time, its last value in the title, each point's label on hover. */
export function LineChart({ title, points, unit = '' }: { title: string; points: Point[]; unit?: string }) {
  const last = points.at(-1);
  if (!points.length) {
    return (
      <figure className="chart" data-testid="chart">
        <figcaption>{title}</figcaption>
        <p className="muted">no data yet</p>
      </figure>
    );
  }
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const y0 = Math.min(0, ...ys);
  const y1 = Math.max(...ys) === y0 ? y0 + 1 : Math.max(...ys);
  const sx = (x: number) => PAD.left + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => PAD.top + (1 - (y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
  return (
    <figure className="chart" data-testid="chart">
      <figcaption>
        {title}{' '}
        <span className="muted">
          {fmt(last!.y)}
          {unit}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
        <line x1={PAD.left} y1={sy(y0)} x2={W - PAD.right} y2={sy(y0)} className="axis" />
        <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} className="axis" />
        <text x={PAD.left - 4} y={sy(y1) + 4} textAnchor="end" className="tick">
          {fmt(y1)}
        </text>
        <text x={PAD.left - 4} y={sy(y0)} textAnchor="end" className="tick">
          {fmt(y0)}
        </text>
        <path d={path} className="line" />
        {points.map((p, i) => (
          <circle key={i} cx={sx(p.x)} cy={sy(p.y)} r={3} className="dot">
            <title>{`${p.label ? p.label + ': ' : ''}${fmt(p.y)}${unit}`}</title>
          </circle>
        ))}
      </svg>
    </figure>
  );
}
