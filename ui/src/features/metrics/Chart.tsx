import type { TimeSeries } from './api';

/** Calls per step as bars and p95 latency as a line: a small SVG, no chart library to load. */
export function CallsChart({ series }: { series: TimeSeries }) {
  const w = 600;
  const h = 120;
  const pts = series.points;
  const maxCalls = Math.max(1, ...pts.map((p) => p.calls));
  const maxP95 = Math.max(1, ...pts.map((p) => p.p95_ms ?? 0));
  const bw = w / Math.max(1, pts.length);
  const line = pts
    .map((p, i) => (p.p95_ms == null ? null : `${(i + 0.5) * bw},${h - (p.p95_ms / maxP95) * h}`))
    .filter(Boolean)
    .join(' ');
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${w} ${h}`} width="100%" height={h} role="img"
        aria-label={`Calls per ${series.step_seconds / 60} min, up to ${maxCalls}; p95 up to ${maxP95.toFixed(1)} ms`}>
        {pts.map((p, i) => {
          const bh = (p.calls / maxCalls) * h;
          const errH = (p.errors / maxCalls) * h;
          return (
            <g key={p.at}>
              <rect x={i * bw + 1} y={h - bh} width={Math.max(1, bw - 2)} height={bh} fill="var(--accent, #4a7)" opacity={0.6}>
                <title>{`${new Date(p.at).toLocaleString()}: ${p.calls} calls, ${p.errors} errors, p95 ${p.p95_ms?.toFixed(1) ?? '—'} ms`}</title>
              </rect>
              {p.errors > 0 && <rect x={i * bw + 1} y={h - errH} width={Math.max(1, bw - 2)} height={errH} fill="var(--danger, #c33)" />}
            </g>
          );
        })}
        {line && <polyline points={line} fill="none" stroke="var(--text, #333)" strokeWidth={1.5} />}
      </svg>
      <figcaption className="small muted">Bars: calls (red: errors) · line: p95 latency (max {maxP95.toFixed(1)} ms)</figcaption>
    </figure>
  );
}

/** Calls per step as a tiny inline line (errors as red dots): the per-tool table's sparkline. */
export function Sparkline({ series, label }: { series: TimeSeries; label: string }) {
  const w = 120;
  const h = 24;
  const pts = series.points;
  const max = Math.max(1, ...pts.map((p) => p.calls));
  const total = pts.reduce((n, p) => n + p.calls, 0);
  const step = w / Math.max(1, pts.length - 1);
  const y = (v: number) => h - 1 - (v / max) * (h - 2);
  const line = pts.map((p, i) => `${(i * step).toFixed(1)},${y(p.calls).toFixed(1)}`).join(' ');
  return (
    <svg className="sparkline" viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img"
      aria-label={`${label}: ${total} calls, at most ${max} per ${series.step_seconds / 60} min`}>
      <polyline points={line} fill="none" stroke="var(--accent, #4a7)" strokeWidth={1.5} />
      {pts.map((p, i) => (p.errors > 0 ? <circle key={p.at} cx={i * step} cy={y(p.calls)} r={2} fill="var(--danger, #c33)" /> : null))}
    </svg>
  );
}
