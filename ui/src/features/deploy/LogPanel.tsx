import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useLogStream, type StreamState } from './useLogStream';

const SOURCES = ['deploy', 'runtime'] as const;

function StreamBadge({ stream, onRetry }: { stream: StreamState; onRetry: () => void }) {
  const [, tick] = useState(0);
  useEffect(() => {
    if (stream.state !== 'reconnecting') return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [stream.state]);
  if (stream.state === 'open') return <span className="badge badge-ok" data-stream="open">live</span>;
  if (stream.state === 'connecting') return <span className="badge" data-stream="connecting">connecting…</span>;
  const left = Math.max(0, Math.ceil((stream.retryAt - Date.now()) / 1000));
  return (
    <span className="stream-reconnecting" data-stream="reconnecting">
      <span className="badge badge-warn">reconnecting{left > 0 ? ` in ${left} s` : '…'} (attempt {stream.attempt})</span>
      <button type="button" className="btn btn-small btn-ghost" onClick={onRetry}>
        Reconnect now
      </button>
    </span>
  );
}

const time = (at: string) => {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : d.toLocaleTimeString(undefined, { hour12: false });
};

/** The live deploy and runtime log: follow (auto-scroll), pause, filter by source or text. */
export function LogPanel() {
  const [paused, setPaused] = useState(false);
  const [follow, setFollow] = useState(true);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [text, setText] = useState('');
  const { lines, pending, stream, clear, reconnect } = useLogStream(paused);
  const view = useRef<HTMLDivElement>(null);
  const id = useId();

  const shown = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return lines.filter((l) => (l.notice || !hidden.has(l.source)) && (!needle || l.line.toLowerCase().includes(needle)));
  }, [lines, hidden, text]);

  useEffect(() => {
    if (follow && view.current) view.current.scrollTop = view.current.scrollHeight;
  }, [shown, follow]);

  const toggle = (source: string) =>
    setHidden((h) => {
      const next = new Set(h);
      if (next.has(source)) next.delete(source);
      else next.add(source);
      return next;
    });

  return (
    <section className="card log-panel" aria-labelledby={`${id}-title`}>
      <div className="log-head">
        <h2 id={`${id}-title`}>Logs</h2>
        <StreamBadge stream={stream} onRetry={reconnect} />
      </div>
      <div className="log-controls" role="group" aria-label="Log controls">
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <button type="button" className="btn btn-small" aria-pressed={paused} onClick={() => setPaused((p) => !p)}>
          {paused ? `Resume${pending ? ` (${pending} new)` : ''}` : 'Pause'}
        </button>
        <fieldset className="log-sources">
          <legend className="sr-only">Sources</legend>
          {SOURCES.map((s) => (
            <label key={s} className="check">
              <input type="checkbox" checked={!hidden.has(s)} onChange={() => toggle(s)} /> {s}
            </label>
          ))}
        </fieldset>
        <label className="log-search">
          <span className="sr-only">Filter lines</span>
          <input type="search" placeholder="Filter lines" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        <button type="button" className="btn btn-small btn-ghost" onClick={clear}>
          Clear
        </button>
      </div>
      {paused && (
        <p className="muted small" role="status">
          Paused: {pending} new line{pending === 1 ? '' : 's'} waiting.
        </p>
      )}
      <div ref={view} className="log-view" role="log" aria-label="Log lines" tabIndex={0}>
        {shown.length === 0 && <p className="muted">{lines.length ? 'No line matches the filter.' : 'No log lines yet.'}</p>}
        {shown.map((l) => (
          <div key={l.key} className={`log-line${l.notice ? ' log-notice' : ''}`} data-source={l.source}>
            <time dateTime={l.at}>{time(l.at)}</time>
            <span className={`log-source log-source-${l.source}`}>{l.source}</span>
            <span className="log-text">{l.line}</span>
          </div>
        ))}
      </div>
    </section>
  );
}
