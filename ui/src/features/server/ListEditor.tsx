import { useId } from 'react';

interface Props {
  label: string;
  /** What one entry is, for the buttons: "host", "origin". */
  item: string;
  values: string[];
  onChange: (values: string[]) => void;
  placeholder?: string;
  /** The server's problems for `<path>[i]`, by index. */
  problemsFor: (i: number) => string[];
  max: number;
}

/** An editable list of strings: one input per entry, with remove and add. */
export function ListEditor({ label, item, values, onChange, placeholder, problemsFor, max }: Props) {
  const id = useId();
  const set = (i: number, v: string) => onChange(values.map((x, j) => (j === i ? v : x)));
  return (
    <div className="list-editor" role="group" aria-label={label}>
      {values.length === 0 && <p className="small muted note">No entries.</p>}
      {values.map((v, i) => {
        const problems = problemsFor(i);
        return (
          <div key={i} className={`list-row${problems.length ? ' field-invalid' : ''}`}>
            <label htmlFor={`${id}-${i}`} className="sr-only">{`${label} ${i + 1}`}</label>
            <input id={`${id}-${i}`} value={v} placeholder={placeholder} onChange={(e) => set(i, e.target.value)} />
            <button type="button" className="btn btn-small btn-ghost" aria-label={`Remove ${item} ${i + 1}`}
              onClick={() => onChange(values.filter((_, j) => j !== i))}>
              Remove
            </button>
            {problems.map((p, k) => <div key={k} className="field-problem">{p}</div>)}
          </div>
        );
      })}
      <button type="button" className="btn btn-small" disabled={values.length >= max} onClick={() => onChange([...values, ''])}>
        Add {item}
      </button>
    </div>
  );
}
