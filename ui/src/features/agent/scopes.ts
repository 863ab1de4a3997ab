// The agent scopes the way the page offers them, with what each lets an agent do.
import type { Scope } from './api';

/** What a scope allows, in a few words, and whether it only reads. */
interface ScopeText {
  what: string;
  readOnly: boolean;
}

// A Record over the generated `Scope` union: a scope the server adds fails the typecheck until it is described here.
const TEXT: Record<Scope, ScopeText> = {
  'connections:read': { what: 'list connections, test them, browse their schema', readOnly: true },
  'connections:write': { what: 'create, change and delete connections', readOnly: false },
  'tools:read': { what: 'read tools, resources and prompts', readOnly: true },
  'tools:write': { what: 'create, change, duplicate and delete tools, resources and prompts', readOnly: false },
  preview: { what: 'run SQL of its own choosing, read-only, to preview', readOnly: true },
  deploy: { what: 'deploy, stop and roll back releases', readOnly: false },
  'server:read': { what: 'read server settings, deploy status and releases', readOnly: true },
  'server:write': { what: 'change server settings', readOnly: false },
  'history:read': { what: 'read the change history', readOnly: true },
  'history:write': { what: 'roll entities back to an earlier version', readOnly: false },
  'metrics:read': { what: 'read metrics, queues and the request log', readOnly: true },
  export: { what: 'export the configuration', readOnly: true },
  import: { what: 'import a configuration (dry runs too)', readOnly: false },
};

/** Every scope, in the order the picker lists them. */
export const SCOPES = (Object.keys(TEXT) as Scope[]).map((scope) => ({ scope, ...TEXT[scope] }));

/** The read-only scopes: an agent that can look at everything and change nothing. */
export const READ_ONLY: Scope[] = SCOPES.filter((s) => s.readOnly).map((s) => s.scope);

/** What a "build and deploy tools" agent needs. */
export const BUILDER: Scope[] = ['connections:read', 'tools:read', 'tools:write', 'preview', 'deploy', 'server:read'];
