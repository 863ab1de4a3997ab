import { api, type Schema } from '../../lib/api/client';
import type { paths } from '../../lib/api/schema';
import { defineCrud } from '../../lib/crud';

export type Resource = Schema<'Resource'>;
export type ResourceFields = Schema<'ResourceFields'>;
export type ResourceQuery = NonNullable<paths['/api/v1/resources']['get']['parameters']['query']>;

export const resources = defineCrud({
  key: 'resources',
  list: (query: ResourceQuery) => api.GET('/api/v1/resources', { params: { query } }),
  get: (id) => api.GET('/api/v1/resources/{id}', { params: { path: { id } } }),
  create: (body: ResourceFields) => api.POST('/api/v1/resources', { body }),
  update: (id, body: Schema<'ResourcePatch'>) => api.PATCH('/api/v1/resources/{id}', { params: { path: { id } }, body }),
  remove: (id) => api.DELETE('/api/v1/resources/{id}', { params: { path: { id } } }),
});
