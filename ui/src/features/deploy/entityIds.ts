import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api/client';
import type { ProblemTarget } from './problemLinks';

type EntityKind = Exclude<ProblemTarget['kind'], 'server'>;

const PAGE = 100;
/** Most entities read per kind to find names; beyond it, problems link to the list. */
const MAX_PAGES = 20;

async function page(kind: EntityKind, skip: number): Promise<{ items: { id: string; name: string }[]; total: number }> {
  const query = { params: { query: { skip, limit: PAGE } } };
  switch (kind) {
    case 'tool':
      return unwrap(api.GET('/api/v1/tools', query));
    case 'connection':
      return unwrap(api.GET('/api/v1/connections', query));
    case 'resource':
      return unwrap(api.GET('/api/v1/resources', query));
    case 'prompt':
      return unwrap(api.GET('/api/v1/prompts', query));
  }
}

/**
 * Ids by name for the kinds that `kinds` lists (only those are fetched), so a
 * deploy problem such as `tools.orders.sql` links to the tool's edit page.
 * Keys are `kind:name`.
 */
export function useEntityIds(kinds: EntityKind[]) {
  const wanted = [...new Set(kinds)].sort();
  return useQuery({
    queryKey: ['deploy', 'entity-ids', wanted],
    enabled: wanted.length > 0,
    queryFn: async () => {
      const ids = new Map<string, string>();
      for (const kind of wanted) {
        for (let n = 0, seen = 0; n < MAX_PAGES; n++) {
          const p = await page(kind, n * PAGE);
          p.items.forEach((i) => ids.set(`${kind}:${i.name}`, i.id));
          seen += p.items.length;
          if (p.items.length === 0 || seen >= p.total) break;
        }
      }
      return ids;
    },
  });
}
