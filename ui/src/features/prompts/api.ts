import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';

export type Prompt = Schema<'Prompt'>;
export type PromptFields = Schema<'PromptFields'>;

const KEY = ['prompts'] as const;

export function usePrompts(skip: number, limit: number) {
  return useQuery({
    queryKey: [...KEY, 'page', skip, limit],
    queryFn: () => unwrap(api.GET('/api/v1/prompts', { params: { query: { skip, limit } } })),
  });
}

export function usePrompt(id: string) {
  return useQuery({
    queryKey: [...KEY, 'one', id],
    queryFn: () => unwrap(api.GET('/api/v1/prompts/{id}', { params: { path: { id } } })),
  });
}

export function useSavePrompt(id?: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: PromptFields & { version?: number }) =>
      id
        ? unwrap(api.PATCH('/api/v1/prompts/{id}', { params: { path: { id } }, body }))
        : unwrap(api.POST('/api/v1/prompts', { body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEY }),
  });
}

export function useDeletePrompt() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/prompts/{id}', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEY }),
  });
}
