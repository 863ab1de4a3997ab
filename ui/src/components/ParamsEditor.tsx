import { PARAM_TYPES, emptyRow, type ParamRow, type ParamType } from '../lib/params';
import { problemsAt } from './ErrorPanel';

interface Props {
  rows: ParamRow[];
  onChange: (rows: ParamRow[]) => void;
  /** The last save error, for problems under `parameters[i]`. */
  error?: unknown;
  /** Extra problems found before sending (e.g. a default that is not a number). */
  localProblems?: { path: string; message: string }[];
}

/**
 * Rows of parameter definitions: name, type, required, sensitive, default, description, enum, min, max, pattern, and
 * the token claim a value comes from.
 */
export function ParamsEditor({ rows, onChange, error, localProblems = [] }: Props) {
  const update = (i: number, patch: Partial<ParamRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const move = (i: number, by: number) => {
    const next = [...rows];
    const [row] = next.splice(i, 1);
    if (row) next.splice(i + by, 0, row);
    onChange(next);
  };
  return (
    <div className="params">
      {rows.length === 0 && <p className="muted">No parameters.</p>}
      {rows.map((r, i) => {
        const label = (f: string) => `Parameter ${i + 1} ${f}`;
        const problems = [
          ...problemsAt(error, `parameters[${i}]`),
          ...localProblems.filter((p) => p.path.startsWith(`parameters[${i}]`)).map((p) => `${p.path.split('.').pop()}: ${p.message}`),
        ];
        return (
          <fieldset key={i} className={`param-row${problems.length ? ' field-invalid' : ''}`} data-testid="param-row">
            <div className="param-main">
              <input aria-label={label('name')} className="mono" placeholder="name" value={r.name}
                onChange={(e) => update(i, { name: e.target.value })} />
              <select aria-label={label('type')} value={r.type} onChange={(e) => update(i, { type: e.target.value as ParamType })}>
                {PARAM_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
              </select>
              {r.type === 'array' && (
                <select aria-label={label('item type')} value={r.item_type} title="Element type"
                  onChange={(e) => update(i, { item_type: e.target.value as ParamType })}>
                  {PARAM_TYPES.filter((t) => t !== 'array').map((t) => <option key={t} value={t}>of {t}</option>)}
                </select>
              )}
              <label className="check">
                <input type="checkbox" aria-label={label('required')} checked={r.required}
                  onChange={(e) => update(i, { required: e.target.checked })} />
                <span>required</span>
              </label>
              <label className="check" title="Kept out of the request log: shown there as [redacted]">
                <input type="checkbox" aria-label={label('sensitive')} checked={r.sensitive}
                  onChange={(e) => update(i, { sensitive: e.target.checked })} />
                <span>sensitive</span>
              </label>
              <span className="spacer" />
              <button type="button" className="btn btn-small btn-ghost" aria-label={`Move parameter ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>↑</button>
              <button type="button" className="btn btn-small btn-ghost" aria-label={`Move parameter ${i + 1} down`} disabled={i === rows.length - 1} onClick={() => move(i, 1)}>↓</button>
              <button type="button" className="btn btn-small btn-danger-ghost" aria-label={`Remove parameter ${i + 1}`}
                onClick={() => onChange(rows.filter((_, j) => j !== i))}>✕</button>
            </div>
            <input aria-label={label('description')} placeholder="Description shown to the model" value={r.description}
              onChange={(e) => update(i, { description: e.target.value })} />
            <div className="param-extra">
              <input aria-label={label('default')} placeholder={r.type === 'array' ? 'default (JSON, e.g. [1,2])' : 'default'}
                value={r.default} onChange={(e) => update(i, { default: e.target.value })} />
              <input aria-label={label('enum')} placeholder="allowed values, comma-separated" value={r.enum}
                onChange={(e) => update(i, { enum: e.target.value })} />
              <input aria-label={label('min')} placeholder={r.type === 'string' || r.type === 'array' ? 'min length' : 'min'}
                inputMode="decimal" value={r.min} onChange={(e) => update(i, { min: e.target.value })} />
              <input aria-label={label('max')} placeholder={r.type === 'string' || r.type === 'array' ? 'max length' : 'max'}
                inputMode="decimal" value={r.max} onChange={(e) => update(i, { max: e.target.value })} />
              <input aria-label={label('value from token claim')} className="mono" value={r.from_claim}
                placeholder="value from token claim (e.g. email)"
                title="Bind to a claim of the caller's OAuth access token: the model cannot set it, and a call whose token lacks the claim is refused."
                onChange={(e) => update(i, { from_claim: e.target.value })} />
              {r.type === 'string' && (
                <input aria-label={label('pattern')} className="mono" placeholder="pattern (regex)" value={r.pattern}
                  onChange={(e) => update(i, { pattern: e.target.value })} />
              )}
            </div>
            {problems.map((p, k) => <div key={k} className="field-problem">{p}</div>)}
          </fieldset>
        );
      })}
      <button type="button" className="btn btn-small btn-ghost" onClick={() => onChange([...rows, emptyRow()])}>
        + Add parameter
      </button>
    </div>
  );
}
