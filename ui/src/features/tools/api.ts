import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';

export type Tool = Schema<'Tool'>;
export type ToolFields = Schema<'ToolFields'>;

const KEY = ['tools'] as const;

export function useTools(skip: number, limit: number) {
  return useQuery({
    queryKey: [...KEY, 'page', skip, limit],
    queryFn: () => unwrap(api.GET('/api/v1/tools', { params: { query: { skip, limit } } })),
  });
}

export function useTool(id: string) {
  return useQuery({
    queryKey: [...KEY, 'one', id],
    queryFn: () => unwrap(api.GET('/api/v1/tools/{id}', { params: { path: { id } } })),
  });
}

export function useSaveTool(id?: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ToolFields & { version?: number }) =>
      id
        ? unwrap(api.PATCH('/api/v1/tools/{id}', { params: { path: { id } }, body }))
        : unwrap(api.POST('/api/v1/tools', { body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEY }),
  });
}

export function useDuplicateTool() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/tools/{id}/duplicate', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEY }),
  });
}

export function useDeleteTool() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/tools/{id}', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEY }),
  });
}
