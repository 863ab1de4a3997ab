import type { Schema } from '../../lib/api/client';
import { restCrud } from '../../lib/crud';

export type Prompt = Schema<'Prompt'>;
export type PromptFields = Schema<'PromptFields'>;

export const prompts = restCrud('prompts');
