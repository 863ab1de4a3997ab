import type { Scope } from './api';
import { BUILDER, READ_ONLY, SCOPES } from './scopes';

interface Props {
  /** Names the group for assistive technology, e.g. "Token scopes". */
  legend: string;
  value: Scope[];
  onChange: (scopes: Scope[]) => void;
  problems?: string[];
}

/** Checkboxes for the agent scopes, with presets; a native fieldset, so it is one group to keyboard and screen reader. */
export function ScopePicker({ legend, value, onChange, problems = [] }: Props) {
  const toggle = (scope: Scope, on: boolean) =>
    onChange(on ? SCOPES.map((s) => s.scope).filter((s) => s === scope || value.includes(s)) : value.filter((s) => s !== scope));
  return (
    <fieldset className={`scope-picker${problems.length ? ' field-invalid' : ''}`}>
      <legend>{legend}</legend>
      <div className="scope-presets" role="group" aria-label="Presets">
        <button type="button" className="btn btn-small btn-ghost" onClick={() => onChange(READ_ONLY)}>Read-only</button>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => onChange(BUILDER)}>Build and deploy tools</button>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => onChange(SCOPES.map((s) => s.scope))}>Everything</button>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => onChange([])}>None</button>
      </div>
      <div className="scope-grid">
        {SCOPES.map((s) => (
          <label key={s.scope} className="check">
            <input type="checkbox" name="scope" value={s.scope} checked={value.includes(s.scope)}
              onChange={(e) => toggle(s.scope, e.target.checked)} />
            <span><code>{s.scope}</code> <small className="muted">{s.what}</small></span>
          </label>
        ))}
      </div>
      {problems.map((p, i) => <div key={i} className="field-problem">{p}</div>)}
    </fieldset>
  );
}

/** Scopes as small badges in a table cell. */
export function ScopeList({ scopes }: { scopes: readonly string[] }) {
  return (
    <span className="scope-list">
      {scopes.map((s) => <code key={s} className="badge">{s}</code>)}
    </span>
  );
}
