import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../lib/api/client';

export type ConnectionOption = Pick<Schema<'Connection'>, 'id' | 'name' | 'db_type' | 'is_active'>;

/** Every connection (all pages), for selects and for naming a tool's connection in lists. */
export function useConnectionOptions() {
  return useQuery({
    queryKey: ['connections', 'options'],
    queryFn: async (): Promise<ConnectionOption[]> => {
      const all: ConnectionOption[] = [];
      for (let skip = 0; ; skip += 100) {
        const page = await unwrap(api.GET('/api/v1/connections', { params: { query: { skip, limit: 100 } } }));
        all.push(...page.items.map(({ id, name, db_type, is_active }) => ({ id, name, db_type, is_active })));
        if (page.items.length === 0 || all.length >= page.total) return all;
      }
    },
  });
}
