export interface ToggleItem {
  id: string;
  name: string;
  version: number;
  is_enabled?: boolean;
}

/** A kind's `usePatch()` (method syntax: any kind's wider patch type fits). */
export interface TogglePatch {
  mutate(vars: { id: string; patch: { is_enabled: boolean; version: number } }): void;
  isPending: boolean;
  variables?: { id: string };
}

/** A switch in a list row: PATCHes `is_enabled` with the version shown, so a stale row is a conflict, not an overwrite. */
export function EnabledToggle({ item, patch }: { item: ToggleItem; patch: TogglePatch }) {
  const on = item.is_enabled !== false;
  const busy = patch.isPending && patch.variables?.id === item.id;
  return (
    <button type="button" role="switch" aria-checked={on} aria-label={`Enabled: ${item.name}`} disabled={busy}
      className={`switch${on ? ' on' : ''}`} onClick={() => patch.mutate({ id: item.id, patch: { is_enabled: !on, version: item.version } })}>
      <span className="switch-knob" aria-hidden="true" />
      <span className="switch-text">{on ? 'enabled' : 'disabled'}</span>
    </button>
  );
}
