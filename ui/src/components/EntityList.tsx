import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { ListPage } from '../lib/crud';
import { ConfirmButton } from './ConfirmButton';
import { EnabledToggle, type ToggleItem, type TogglePatch } from './EnabledToggle';
import { ErrorPanel } from './ErrorPanel';
import { Flash } from './Flash';
import { Loading, PageHeader } from './PageHeader';
import { Pagination } from './Pagination';

interface Props<Item> {
  title: string;
  subtitle: ReactNode;
  /** Where "New …" goes, and what it says. */
  newPath: string;
  newLabel: string;
  list: UseQueryResult<ListPage<Item>>;
  /** Errors of the list's actions (delete, duplicate, toggle). */
  errors?: unknown[];
  /** Above the table: filters, a notice. */
  before?: ReactNode;
  /** Shown when nothing exists yet; with filters on, "no matches" instead. */
  empty: ReactNode;
  filtered?: boolean;
  columns: string[];
  row: (item: Item) => ReactNode;
}

/** A list page: header with the "New" action, flash, errors, loading, empty state, table and pagination. */
export function EntityList<Item>({ title, subtitle, newPath, newLabel, list, errors = [], before, empty, filtered, columns, row }: Props<Item>) {
  const data = list.data;
  return (
    <>
      <PageHeader title={title} subtitle={subtitle} actions={<Link className="btn btn-primary" to={newPath}>{newLabel}</Link>} />
      <Flash />
      <ErrorPanel error={list.error ?? errors.find(Boolean)} onReload={() => void list.refetch()} />
      {before}
      {list.isLoading && <Loading />}
      {data && data.total === 0 && (filtered
        ? <p className="empty card muted" role="status">Nothing matches these filters.</p>
        : <div className="empty card">{empty}</div>)}
      {data && data.items.length > 0 && (
        <div className="card table-card" aria-busy={list.isFetching}>
          <table className="table" aria-label={title}>
            <thead>
              <tr>{columns.map((c) => <th key={c}>{c}</th>)}<th aria-label="Actions" /></tr>
            </thead>
            <tbody>{data.items.map(row)}</tbody>
          </table>
          <Pagination total={data.total} shown={data.items.length} />
        </div>
      )}
    </>
  );
}

interface RowEndProps {
  item: ToggleItem;
  /** The edit page of the item. */
  editPath: string;
  onDelete: () => void;
  deleteConfirm?: string;
  /** With a kind's `usePatch()`, an "Enabled" cell with the switch comes first. */
  toggle?: TogglePatch;
  /** More actions, between Edit and Delete. */
  children?: ReactNode;
}

/** A row's last cells: the enabled switch (when given), then Edit, the extra actions and Delete. */
export function RowEnd({ item, editPath, onDelete, deleteConfirm, toggle, children }: RowEndProps) {
  return (
    <>
      {toggle && <td><EnabledToggle item={item} patch={toggle} /></td>}
      <td className="actions">
        <Link className="btn btn-small btn-ghost" to={editPath}>Edit</Link>
        {children}
        <ConfirmButton label="Delete" confirmLabel={deleteConfirm} onConfirm={onDelete} />
      </td>
    </>
  );
}
