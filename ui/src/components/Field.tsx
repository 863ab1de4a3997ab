import type { ReactNode } from 'react';

interface Props {
  label: string;
  /** The id of the control inside, so the label points at it. */
  htmlFor?: string;
  hint?: ReactNode;
  problems?: string[];
  children: ReactNode;
  wide?: boolean;
}

/** A labelled form control with an optional hint and the server's problems for it. */
export function Field({ label, htmlFor, hint, problems = [], children, wide }: Props) {
  return (
    <div className={`field${wide ? ' field-wide' : ''}${problems.length ? ' field-invalid' : ''}`}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {hint && <div className="hint">{hint}</div>}
      {problems.map((p, i) => (
        <div key={i} className="field-problem">
          {p}
        </div>
      ))}
    </div>
  );
}

interface CheckProps {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: string;
  name?: string;
}

export function Checkbox({ label, checked, onChange, hint, name }: CheckProps) {
  return (
    <label className="check" title={hint}>
      <input type="checkbox" name={name} checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <span>{label}</span>
      {hint && <small className="muted">{hint}</small>}
    </label>
  );
}
