import type { Schema } from '../../lib/api/client';
import { restCrud } from '../../lib/crud';

export type Resource = Schema<'Resource'>;
export type ResourceFields = Schema<'ResourceFields'>;

export const resources = restCrud('resources');
