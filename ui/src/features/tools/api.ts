import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';
import { restCrud } from '../../lib/crud';

export type Tool = Schema<'Tool'>;
export type ToolFields = Schema<'ToolFields'>;

export const tools = restCrud('tools');

export function useDuplicateTool() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/tools/{id}/duplicate', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: tools.key }),
  });
}
