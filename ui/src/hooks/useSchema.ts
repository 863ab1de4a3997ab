import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../lib/api/client';

export type TableInfo = Schema<'TableInfo'>;
export type ColumnInfo = Schema<'ColumnInfo'>;

// A connection's schema changes rarely; fetched when first needed, then cached a while.
const FRESH_FOR = 5 * 60_000;
const columnsKey = (connectionId: string, table: string) => ['schema', connectionId, 'columns', table];

/** The tables and views a connection sees (none asked for without a connection). */
export function useTables(connectionId: string) {
  return useQuery({
    queryKey: ['schema', connectionId, 'tables'],
    queryFn: () => unwrap(api.GET('/api/v1/schema/{connection_id}/tables', { params: { path: { connection_id: connectionId } } })),
    enabled: connectionId !== '',
    staleTime: FRESH_FOR,
  });
}

/** The columns of one table, when `enabled` (e.g. once its row is expanded). */
export function useColumns(connectionId: string, table: string, enabled: boolean) {
  return useQuery({
    queryKey: columnsKey(connectionId, table),
    queryFn: () => fetchColumns(connectionId, table),
    enabled: enabled && connectionId !== '',
    staleTime: FRESH_FOR,
  });
}

/** A function that fetches a table's columns once and then answers from the same cache (for completion). */
export function useColumnsFetcher(connectionId: string): (table: string) => Promise<ColumnInfo[]> {
  const qc = useQueryClient();
  return (table) =>
    qc.fetchQuery({ queryKey: columnsKey(connectionId, table), queryFn: () => fetchColumns(connectionId, table), staleTime: FRESH_FOR });
}

function fetchColumns(connectionId: string, table: string) {
  return unwrap(
    api.GET('/api/v1/schema/{connection_id}/tables/{table}/columns', { params: { path: { connection_id: connectionId, table } } }),
  );
}
