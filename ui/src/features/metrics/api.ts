import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';

export type SubjectStats = Schema<'SubjectStats'>;
export type TimeSeries = Schema<'TimeSeries'>;
export type ConnectionQueue = Schema<'ConnectionQueue'>;
export type LogEntry = Schema<'LogEntry'>;
export type Period = '1h' | '6h' | '24h' | '7d' | '30d';
export const PERIODS: Period[] = ['1h', '6h', '24h', '7d', '30d'];

const KEY = ['metrics'] as const;
/** Runtimes deliver every ~10 s: refreshing faster shows nothing new. */
const REFRESH = 10_000;

export function useStats(period: Period) {
  return useQuery({
    queryKey: [...KEY, 'stats', period],
    queryFn: () => unwrap(api.GET('/api/v1/metrics/stats', { params: { query: { period, limit: 100 } } })),
    refetchInterval: REFRESH,
  });
}

export function useSeries(period: Period, tool?: string) {
  return useQuery({
    queryKey: [...KEY, 'series', period, tool],
    queryFn: () => unwrap(api.GET('/api/v1/metrics/timeseries', { params: { query: { period, tool: tool || undefined } } })),
    refetchInterval: REFRESH,
  });
}

export function useQueues() {
  return useQuery({
    queryKey: [...KEY, 'queues'],
    queryFn: () => unwrap(api.GET('/api/v1/queue/metrics')),
    refetchInterval: REFRESH,
  });
}

export interface LogFilters {
  tool: string;
  outcome: string;
  client: string;
  search: string;
}

export function useLogs(f: LogFilters, skip: number, limit: number) {
  return useQuery({
    queryKey: [...KEY, 'logs', f, skip, limit],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/logs', {
          params: {
            query: {
              skip,
              limit,
              tool: f.tool || undefined,
              outcome: f.outcome || undefined,
              client: f.client || undefined,
              search: f.search || undefined,
            },
          },
        }),
      ),
    refetchInterval: REFRESH,
  });
}
