// One way to read and write an entity: TanStack Query hooks over calls of the
// generated client. A feature names its calls once (`defineCrud`) and gets the
// list, one item, save, patch and remove hooks; caches are keyed by the
// feature's name, so a write refreshes every list and item of that kind.
import { keepPreviousData, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { ApiError, api, unwrap } from './api/client';
import type { paths } from './api/schema';

type Call<T> = Promise<{ data?: T; error?: unknown; response: Response }>;

/** A `{items, total}` page. */
export interface ListPage<Item> {
  items: Item[];
  total: number;
}

/** The calls of one REST resource, each a one-liner over the generated client. */
export interface CrudCalls<Item, Create, Update, Query> {
  /** The query-cache key, e.g. `tools`. */
  key: string;
  list: (query: Query) => Call<ListPage<Item>>;
  get: (id: string) => Call<Item>;
  create: (body: Create) => Call<Item>;
  update: (id: string, body: Update) => Call<Item>;
  remove: (id: string) => Call<unknown>;
  /** Other caches a write can change, e.g. deleting a connection deletes its tools. */
  alsoChanges?: string[];
}

/** The hooks of one entity kind. */
export function defineCrud<Item, Create, Update, Query>(calls: CrudCalls<Item, Create, Update, Query>) {
  const key = [calls.key] as const;
  const refresh = (qc: QueryClient, what: string[] = []) =>
    Promise.all([calls.key, ...what].map((k) => qc.invalidateQueries({ queryKey: [k] })));
  return {
    key,
    /** One page; the previous page stays on screen while the next loads (no flicker while typing a search). */
    useList: (query: Query) =>
      useQuery({
        queryKey: [...key, 'page', query],
        queryFn: () => unwrap(calls.list(query)),
        placeholderData: keepPreviousData,
      }),
    useOne: (id: string) => useQuery({ queryKey: [...key, 'one', id], queryFn: () => unwrap(calls.get(id)) }),
    /** Creates without an id, else updates (send the `version` the edit started from). */
    useSave: (id?: string) => {
      const qc = useQueryClient();
      return useMutation({
        mutationFn: (body: Create & Update) => unwrap(id ? calls.update(id, body) : calls.create(body)),
        onSuccess: () => refresh(qc),
      });
    },
    /** A partial update from a list (e.g. the enabled toggle); refreshes even on a conflict so the list shows the truth. */
    usePatch: () => {
      const qc = useQueryClient();
      return useMutation({
        mutationFn: ({ id, patch }: { id: string; patch: Update }) => unwrap(calls.update(id, patch)),
        onSettled: () => refresh(qc),
      });
    },
    useRemove: () => {
      const qc = useQueryClient();
      return useMutation({
        mutationFn: (id: string) => unwrap(calls.remove(id)),
        onSuccess: () => refresh(qc, calls.alsoChanges),
      });
    },
  };
}

/** The edit was based on a version someone else has since replaced (HTTP 409 `version_conflict`). */
export function isVersionConflict(error: unknown): boolean {
  return error instanceof ApiError && error.status === 409 && error.body.code === 'version_conflict';
}

/** What a conflict says instead of the generic error. */
export const CONFLICT_MESSAGE = 'This item changed elsewhere: reload to get the latest version.';

/** The REST collections that share the `/api/v1/<kind>` and `/api/v1/<kind>/{id}` shape. */
export type Kind = 'connections' | 'tools' | 'resources' | 'prompts';
type One<K extends Kind> = paths[`/api/v1/${K}/{id}`];
type Many<K extends Kind> = paths[`/api/v1/${K}`];
type Json<B> = B extends { content: { 'application/json': infer T } } ? T : never;
/** A kind's item, create body, patch body and list query, as the generated schema has them. */
export type ItemOf<K extends Kind> = Json<One<K>['get']['responses'][200]>;
export type CreateOf<K extends Kind> = Json<NonNullable<Many<K>['post']['requestBody']>>;
export type UpdateOf<K extends Kind> = Json<NonNullable<One<K>['patch']['requestBody']>>;
export type QueryOf<K extends Kind> = NonNullable<Many<K>['get']['parameters']['query']>;

// openapi-fetch types each literal path on its own; the four kinds share one
// shape, so one untyped view of the client serves them all and the kind's
// generated types (above) are put back on what it returns.
type Loose = (path: string, init: { params?: object; body?: unknown }) => Call<never>;
const client = api as unknown as { GET: Loose; POST: Loose; PATCH: Loose; DELETE: Loose };

/** The hooks of one REST kind, e.g. `restCrud('tools')`. */
export function restCrud<K extends Kind>(kind: K, options: { alsoChanges?: Kind[] } = {}) {
  const many = `/api/v1/${kind}`;
  const one = `/api/v1/${kind}/{id}`;
  const path = (id: string) => ({ path: { id } });
  return defineCrud<ItemOf<K>, CreateOf<K>, UpdateOf<K>, QueryOf<K>>({
    key: kind,
    list: (query) => client.GET(many, { params: { query } }),
    get: (id) => client.GET(one, { params: path(id) }),
    create: (body) => client.POST(many, { body }),
    update: (id, body) => client.PATCH(one, { params: path(id), body }),
    remove: (id) => client.DELETE(one, { params: path(id) }),
    alsoChanges: options.alsoChanges,
  });
}
