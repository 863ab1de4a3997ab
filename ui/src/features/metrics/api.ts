import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';

export type SubjectStats = Schema<'SubjectStats'>;
export type TimeSeries = Schema<'TimeSeries'>;
export type ConnectionQueue = Schema<'ConnectionQueue'>;
export type LogEntry = Schema<'LogEntry'>;
export type Period = '1h' | '6h' | '24h' | '7d' | '30d';
export const PERIODS: Period[] = ['1h', '6h', '24h', '7d', '30d'];
export type Subject = 'tool' | 'resource' | 'prompt';

const KEY = ['metrics'] as const;
/** Runtimes deliver every ~10 s: refreshing faster shows nothing new. */
const REFRESH = 10_000;

export function useStats(period: Period, limit = 100) {
  return useQuery({
    queryKey: [...KEY, 'stats', period, limit],
    queryFn: () => unwrap(api.GET('/api/v1/metrics/stats', { params: { query: { period, limit } } })),
    refetchInterval: REFRESH,
  });
}

/** Calls per step over `period`: all calls, or those of one tool, resource or prompt. */
export function useSeries(period: Period, tool?: string, subject?: Subject) {
  return useQuery({
    queryKey: [...KEY, 'series', period, tool, subject],
    queryFn: () =>
      unwrap(api.GET('/api/v1/metrics/timeseries', { params: { query: { period, tool: tool || undefined, subject } } })),
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

/** Connection names by id, for the queue table (the queues carry only ids). */
export function useConnectionNames() {
  return useQuery({
    queryKey: ['connections', 'names'],
    queryFn: async () => {
      const page = await unwrap(api.GET('/api/v1/connections', { params: { query: { limit: 100 } } }));
      return new Map(page.items.map((c) => [c.id, c.name]));
    },
  });
}

export interface LogFilters {
  tool: string;
  outcome: string;
  client: string;
  search: string;
  /** `datetime-local` values (local time), empty for open. */
  since: string;
  until: string;
}

export const NO_FILTERS: LogFilters = { tool: '', outcome: '', client: '', search: '', since: '', until: '' };

/** A `datetime-local` value as the RFC 3339 instant the API takes. */
const instant = (local: string) => {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
};

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
              since: instant(f.since),
              until: instant(f.until),
            },
          },
        }),
      ),
    refetchInterval: REFRESH,
    placeholderData: (prev) => prev,
  });
}
