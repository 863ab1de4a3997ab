/** What a deploy problem's path names: an entity of a kind, or a server setting. */
export interface ProblemTarget {
  kind: 'tool' | 'connection' | 'resource' | 'prompt' | 'server';
  /** The entity's name; empty for `server`. */
  name: string;
  /** The rest of the path: the field (`sql`, `password`, `auth_mode`…). */
  field: string;
}

const KINDS: Record<string, ProblemTarget['kind']> = {
  tools: 'tool',
  connections: 'connection',
  resources: 'resource',
  prompts: 'prompt',
};

/**
 * Reads a problem path: `tools.<name>.sql`, `connections.<name>.extra_params.<key>`,
 * `server.<field>`, `auth.<field>` (names are identifiers: no dots). Anything else (a top-level
 * or unknown path) is `null`.
 */
export function problemTarget(path: string): ProblemTarget | null {
  const [head, ...rest] = path.split('.');
  if (head === 'server') return { kind: 'server', name: '', field: rest.join('.') };
  // Auth problems come from the server settings' auth mode and tokens.
  if (head === 'auth') return { kind: 'server', name: '', field: path };
  const kind = head ? KINDS[head] : undefined;
  if (!kind || rest.length === 0 || !rest[0]) return null;
  return { kind, name: rest[0], field: rest.slice(1).join('.') };
}

/** The server settings page (built alongside this one: keep in step with its route). */
export const SERVER_SETTINGS_PATH = '/server';

/** The list page of a kind (entities are looked up there by name when no id is known). */
export function listPath(kind: ProblemTarget['kind']): string {
  return kind === 'server' ? SERVER_SETTINGS_PATH : `/${kind}s`;
}
