import { useId } from 'react';
import { MAX_VARS, newRow, VAR_TYPES, type VarRow, type VarType } from './variables';

interface Props {
  rows: VarRow[];
  onChange: (rows: VarRow[]) => void;
  /** Problems for a row: from the form's own checks and the server's `global_variables.<name>`. */
  problemsFor: (row: VarRow) => string[];
}

/** Global variables: one row per variable with its name, type and value. */
export function VariablesEditor({ rows, onChange, problemsFor }: Props) {
  const id = useId();
  const set = (key: number, patch: Partial<VarRow>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const setType = (row: VarRow, type: VarType) =>
    set(row.key, { type, value: type === 'boolean' ? (row.value === 'true' ? 'true' : 'false') : row.value });

  return (
    <div className="vars" role="group" aria-label="Global variables">
      {rows.length > 0 && (
        <div className="var-row var-head" aria-hidden="true">
          <span>Name</span><span>Type</span><span>Value</span><span />
        </div>
      )}
      {rows.map((row, i) => {
        const problems = problemsFor(row);
        const n = i + 1;
        return (
          <div key={row.key} className={`var-row${problems.length ? ' field-invalid' : ''}`}>
            <label htmlFor={`${id}-name-${row.key}`} className="sr-only">{`Variable ${n} name`}</label>
            <input id={`${id}-name-${row.key}`} value={row.name} placeholder="currency" spellCheck={false}
              onChange={(e) => set(row.key, { name: e.target.value })} />
            <label htmlFor={`${id}-type-${row.key}`} className="sr-only">{`Variable ${n} type`}</label>
            <select id={`${id}-type-${row.key}`} value={row.type} onChange={(e) => setType(row, e.target.value as VarType)}>
              {VAR_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
            </select>
            <label htmlFor={`${id}-value-${row.key}`} className="sr-only">{`Variable ${n} value`}</label>
            {row.type === 'boolean' ? (
              <select id={`${id}-value-${row.key}`} value={row.value} onChange={(e) => set(row.key, { value: e.target.value })}>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : (
              <input id={`${id}-value-${row.key}`} value={row.value} spellCheck={false}
                inputMode={row.type === 'string' ? undefined : 'decimal'}
                placeholder={row.type === 'string' ? 'EUR' : row.type === 'integer' ? '100' : '0.2'}
                onChange={(e) => set(row.key, { value: e.target.value })} />
            )}
            <button type="button" className="btn btn-small btn-ghost" aria-label={`Remove variable ${n}`}
              onClick={() => onChange(rows.filter((r) => r.key !== row.key))}>
              Remove
            </button>
            {problems.map((p, k) => <div key={k} className="field-problem var-problem">{p}</div>)}
          </div>
        );
      })}
      <button type="button" className="btn btn-small" disabled={rows.length >= MAX_VARS} onClick={() => onChange([...rows, newRow()])}>
        Add variable
      </button>
    </div>
  );
}
