import { useState } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading, PageHeader } from '../../components/PageHeader';
import { show } from '../../lib/format';
import { useHistory, useRollback, type HistoryEntry } from './api';

const TYPES = ['connection', 'tool', 'resource', 'prompt', 'server_config', 'token'];
const ACTIONS = ['create', 'update', 'delete', 'rollback'];
const LIMIT = 20;


/** Every change: filter by entity type and action, compare a version with the one before, roll back. */
export function HistoryPage() {
  const [filters, setFilters] = useState({ entity_type: '', action: '' });
  const [skip, setSkip] = useState(0);
  const [selected, setSelected] = useState<HistoryEntry | null>(null);
  const list = useHistory(filters, skip, LIMIT);
  const setFilter = (k: 'entity_type' | 'action', v: string) => {
    setFilters((f) => ({ ...f, [k]: v }));
    setSkip(0);
    setSelected(null);
  };
  return (
    <>
      <PageHeader title="History" subtitle="Every change to connections, tools, resources, prompts, settings and tokens." />
      <div className="card filters" role="search">
        <label>
          Entity type{' '}
          <select value={filters.entity_type} onChange={(e) => setFilter('entity_type', e.target.value)}>
            <option value="">All</option>
            {TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </label>{' '}
        <label>
          Action{' '}
          <select value={filters.action} onChange={(e) => setFilter('action', e.target.value)}>
            <option value="">All</option>
            {ACTIONS.map((a) => <option key={a} value={a}>{a}</option>)}
          </select>
        </label>
      </div>
      <ErrorPanel error={list.error} />
      {list.isLoading && <Loading />}
      {list.data && list.data.total === 0 && <div className="empty card"><p>No changes match.</p></div>}
      {list.data && list.data.items.length > 0 && (
        <div className="card table-card">
          <table className="table" aria-label="History">
            <thead>
              <tr><th>When</th><th>Entity</th><th>Action</th><th>Version</th><th>Who</th><th aria-label="Actions" /></tr>
            </thead>
            <tbody>
              {list.data.items.map((e) => (
                <tr key={e.id} aria-selected={selected?.id === e.id}>
                  <td className="small">{new Date(e.created_at).toLocaleString()}</td>
                  <td><span className="muted small">{e.entity_type}</span> <span className="mono strong">{e.entity_name}</span></td>
                  <td><span className="badge">{e.action}</span></td>
                  <td>{e.version != null ? `v${e.version}` : '—'}</td>
                  <td className="small">{e.actor}{e.actor_address ? <div className="muted">{e.actor_address}</div> : null}</td>
                  <td className="actions">
                    <button type="button" className="btn btn-small btn-ghost" onClick={() => setSelected(e)}
                      aria-label={`Show changes of ${e.entity_name} ${e.version != null ? `v${e.version}` : ''}`.trim()}>
                      Changes
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pagination" aria-label="Pagination">
            <span className="muted">{skip + 1}–{skip + list.data.items.length} of {list.data.total}</span>
            <button type="button" className="btn btn-small btn-ghost" disabled={skip === 0} onClick={() => setSkip(Math.max(0, skip - LIMIT))}>
              ← Newer
            </button>
            <button type="button" className="btn btn-small btn-ghost" disabled={skip + LIMIT >= list.data.total} onClick={() => setSkip(skip + LIMIT)}>
              Older →
            </button>
          </nav>
        </div>
      )}
      {selected && <EntryDetail entry={selected} onClose={() => setSelected(null)} />}
    </>
  );
}

function EntryDetail({ entry, onClose }: { entry: HistoryEntry; onClose: () => void }) {
  const [asking, setAsking] = useState(false);
  const rollback = useRollback();
  const changes = Object.entries((entry.changes ?? {}) as Record<string, { old?: unknown; new?: unknown }>);
  const before = entry.version != null && entry.action !== 'create' ? `v${entry.version - 1}` : 'Before';
  const after = entry.version != null ? `v${entry.version}` : 'After';
  const canRollBack = entry.snapshot != null && entry.entity_type !== 'token';
  return (
    <section className="card" aria-label={`Changes of ${entry.entity_name}`}>
      <h2>
        {entry.entity_type} <span className="mono">{entry.entity_name}</span> — {entry.action} {after}
      </h2>
      {changes.length === 0 ? (
        <p className="muted">No field changed.</p>
      ) : (
        <table className="table diff" aria-label="Differences">
          <thead><tr><th>Field</th><th>{entry.action === 'delete' ? 'Last state' : before}</th><th>{entry.action === 'delete' ? 'After delete' : after}</th></tr></thead>
          <tbody>
            {changes.map(([field, c]) => (
              <tr key={field}>
                <th scope="row" className="mono">{field}</th>
                <td><pre className="diff-old">{show(c.old, { pretty: true })}</pre></td>
                <td><pre className="diff-new">{show(c.new, { pretty: true })}</pre></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorPanel error={rollback.error} />
      {rollback.data && (
        <p role="status">Rolled back: {rollback.data.entity_name} is now v{rollback.data.version ?? '?'}. Deploy to publish it.</p>
      )}
      <div className="actions">
        {canRollBack && (
          <button type="button" className="btn btn-primary" onClick={() => setAsking(true)} disabled={rollback.isPending}>
            Roll back to this version
          </button>
        )}
        <button type="button" className="btn btn-ghost" onClick={onClose}>Close</button>
      </div>
      <ConfirmDialog
        open={asking}
        title={`Roll back ${entry.entity_name}?`}
        confirmLabel="Yes, roll back"
        danger
        busy={rollback.isPending}
        onCancel={() => setAsking(false)}
        onConfirm={() => {
          setAsking(false);
          rollback.mutate(entry);
        }}
      >
        <p>Its state of this entry becomes a new version{entry.action === 'delete' ? ' (it is recreated)' : ''}. Nothing else changes.</p>
      </ConfirmDialog>
    </section>
  );
}
