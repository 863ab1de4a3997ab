import { api, type Schema } from '../../lib/api/client';
import type { paths } from '../../lib/api/schema';
import { defineCrud } from '../../lib/crud';

export type Prompt = Schema<'Prompt'>;
export type PromptFields = Schema<'PromptFields'>;
export type PromptQuery = NonNullable<paths['/api/v1/prompts']['get']['parameters']['query']>;

export const prompts = defineCrud({
  key: 'prompts',
  list: (query: PromptQuery) => api.GET('/api/v1/prompts', { params: { query } }),
  get: (id) => api.GET('/api/v1/prompts/{id}', { params: { path: { id } } }),
  create: (body: PromptFields) => api.POST('/api/v1/prompts', { body }),
  update: (id, body: Schema<'PromptPatch'>) => api.PATCH('/api/v1/prompts/{id}', { params: { path: { id } }, body }),
  remove: (id) => api.DELETE('/api/v1/prompts/{id}', { params: { path: { id } } }),
});
