// Pieces every credential list shares: a secret shown the one time it is known, and when a credential was last used.
import type { ReactNode } from 'react';
import { CopyButton } from './CopyButton';

interface ShownOnceProps {
  /** The accessible name of the notice, e.g. "New token". */
  label: string;
  /** What was created and that it must be copied now. */
  title: ReactNode;
  /** The secret values and what to do with them. */
  children: ReactNode;
  /** Offers "I have saved it, hide it" when given. */
  onHide?: () => void;
}

/** A notice around a credential just created: the only time its secret is shown. */
export function ShownOnce({ label, title, children, onHide }: ShownOnceProps) {
  return (
    <div className="alert alert-success token-once stack" role="status" aria-label={label}>
      <strong>{title}</strong>
      {children}
      {onHide && (
        <div className="alert-actions">
          <button type="button" className="btn btn-small btn-ghost" onClick={onHide}>I have saved it, hide it</button>
        </div>
      )}
    </div>
  );
}

/** A secret value with its copy button. */
export function SecretValue({ value, what, testId }: { value: string; what: string; testId: string }) {
  return (
    <div className="token-value">
      <code data-testid={testId}>{value}</code>
      <CopyButton text={value} what={what} />
    </div>
  );
}

/** When and from where a credential was last used, or "not seen". */
export function LastUsed({ at, from }: { at?: string | null; from?: string | null }) {
  if (!at) return <span className="muted">not seen</span>;
  return <>{`${new Date(at).toLocaleString()}${from ? ` from ${from}` : ''}`}</>;
}
