import { useSearchParams } from 'react-router';

export const PAGE_SIZE = 20;

/** The current page from `?page=` (1-based) and its `skip`. */
export function usePage(): { page: number; skip: number; limit: number } {
  const [params] = useSearchParams();
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  return { page, skip: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE };
}

/** Previous/next links over a `{items, total}` list; the page lives in the URL. */
export function Pagination({ total, shown }: { total: number; shown: number }) {
  const { page, skip } = usePage();
  const [, setParams] = useSearchParams();
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const go = (p: number) => setParams(p === 1 ? {} : { page: String(p) });
  if (total === 0) return null;
  return (
    <nav className="pagination" aria-label="Pagination">
      <span className="muted">
        {skip + 1}–{skip + shown} of {total}
      </span>
      <button type="button" className="btn btn-small btn-ghost" disabled={page <= 1} onClick={() => go(page - 1)}>
        ← Previous
      </button>
      <span>
        Page {page} of {pages}
      </span>
      <button type="button" className="btn btn-small btn-ghost" disabled={page >= pages} onClick={() => go(page + 1)}>
        Next →
      </button>
    </nav>
  );
}

/**
 * Newer/older links over a newest-first `{items, total}` list whose offset lives in the component's state (a log
 * that refreshes while open, where the URL's page would go stale).
 */
export function OffsetPager({ label, skip, shown, total, limit, onSkip }: {
  label: string; skip: number; shown: number; total: number; limit: number; onSkip: (skip: number) => void;
}) {
  return (
    <nav className="pagination" aria-label={label}>
      <span className="muted">{total === 0 ? 0 : skip + 1}–{skip + shown} of {total}</span>
      <button type="button" className="btn btn-small btn-ghost" disabled={skip === 0} onClick={() => onSkip(Math.max(0, skip - limit))}>← Newer</button>
      <button type="button" className="btn btn-small btn-ghost" disabled={skip + limit >= total} onClick={() => onSkip(skip + limit)}>Older →</button>
    </nav>
  );
}
