import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { ErrorPanel } from './ErrorPanel';
import { Loading, PageHeader } from './PageHeader';

interface Back {
  /** The list to go back to, and its name: `/tools`, `Tools`. */
  listPath: string;
  listTitle: string;
}

/** The "New …" page around a blank form. */
export function NewEntityPage({ title, listPath, listTitle, children }: Back & { title: string; children: ReactNode }) {
  return (
    <>
      <PageHeader title={title} subtitle={<Link to={listPath}>← {listTitle}</Link>} />
      {children}
    </>
  );
}

interface EditProps<Item> extends Back {
  /** `Tool`, `Connection`… */
  what: string;
  useOne: (id: string) => UseQueryResult<Item>;
  actions?: (item: Item) => ReactNode;
  /** The form for the loaded item; `reload` fetches the latest version (after a conflict). */
  form: (item: Item, reload: () => void) => ReactNode;
}

/** An edit page: loads the item named by the URL's `:id` and shows its form, keyed so a reload remounts it. */
export function EditEntityPage<Item extends { id: string; name: string; version: number }>({ what, listPath, listTitle, useOne, actions, form }: EditProps<Item>) {
  const { id = '' } = useParams();
  const q = useOne(id);
  return (
    <>
      <PageHeader title={q.data ? `${what} ${q.data.name}` : what} actions={q.data && actions?.(q.data)}
        subtitle={<><Link to={listPath}>← {listTitle}</Link>{q.data && <span className="muted"> · version {q.data.version}</span>}</>} />
      <ErrorPanel error={q.error} />
      {q.isLoading && <Loading />}
      {q.data && <div key={`${q.data.id}:${q.dataUpdatedAt}`}>{form(q.data, () => void q.refetch())}</div>}
    </>
  );
}
