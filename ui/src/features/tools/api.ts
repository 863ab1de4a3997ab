import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';
import { defineCrud } from '../../lib/crud';
import type { paths } from '../../lib/api/schema';

export type Tool = Schema<'Tool'>;
export type ToolFields = Schema<'ToolFields'>;
export type ToolQuery = NonNullable<paths['/api/v1/tools']['get']['parameters']['query']>;

export const tools = defineCrud({
  key: 'tools',
  list: (query: ToolQuery) => api.GET('/api/v1/tools', { params: { query } }),
  get: (id) => api.GET('/api/v1/tools/{id}', { params: { path: { id } } }),
  create: (body: ToolFields) => api.POST('/api/v1/tools', { body }),
  update: (id, body: Schema<'ToolPatch'>) => api.PATCH('/api/v1/tools/{id}', { params: { path: { id } }, body }),
  remove: (id) => api.DELETE('/api/v1/tools/{id}', { params: { path: { id } } }),
});

export function useDuplicateTool() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/tools/{id}/duplicate', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: tools.key }),
  });
}
