import { ApiError, errorMessage } from '../lib/api/client';
import { CONFLICT_MESSAGE, isVersionConflict } from '../lib/crud';

interface Props {
  error: unknown;
  /** Offered when the edit was based on a stale version: reload the latest data, dropping local edits. */
  onReload?: () => void;
  /** The line above the listed problems, when they come from something other than saving a form. */
  lead?: string;
}

/** An API error next to a form: the detail, each problem with its field path, and a reload action on conflicts. */
export function ErrorPanel({ error, onReload, lead = 'Please fix the following and save again:' }: Props) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  if (isVersionConflict(error)) {
    return (
      <div className="alert alert-error" role="alert">
        <strong>{CONFLICT_MESSAGE}</strong>
        {onReload && (
          <div className="alert-actions">
            <button type="button" className="btn btn-small" onClick={onReload}>Reload latest (discards unsaved edits here)</button>
          </div>
        )}
      </div>
    );
  }
  return (
    <div className="alert alert-error" role="alert">
      {/* With problems listed, the detail (which repeats them) gives way to a plain lead-in. */}
      <strong>{api?.problems.length ? lead : api ? api.body.detail : errorMessage(error)}</strong>
      {api && api.problems.length > 0 && (
        <ul className="problems">
          {api.problems.map((p, i) => (
            <li key={i}>
              {p.path && <code>{p.path}</code>} {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The problems reported for one field path (exact, or nested under it). */
export function problemsAt(error: unknown, path: string): string[] {
  if (!(error instanceof ApiError)) return [];
  return error.problems
    .filter((p) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`))
    .map((p) => p.message);
}
