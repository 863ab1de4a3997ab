import type { ReleaseInfo } from './api';

const ACTION_BADGE: Record<string, string> = { added: 'badge-ok', removed: 'badge-danger', changed: 'badge-warn' };

/** A release's changes as compact badges: `+ tool orders`, `~ server`. */
export function ChangeList({ changes }: { changes: ReleaseInfo['changes'] }) {
  if (changes.length === 0) return <span className="muted small">no content changes</span>;
  return (
    <ul className="change-list">
      {changes.map((c, i) => (
        <li key={i}>
          <span className={`badge ${ACTION_BADGE[c.action] ?? ''}`}>{c.action}</span> {c.kind}
          {c.name && <> <code>{c.name}</code></>}
        </li>
      ))}
    </ul>
  );
}
