import { Field } from './Field';

/** Scopes as typed: separated by spaces or commas, each once. */
export function parseScopes(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];
}

interface Props {
  id: string;
  value: string;
  onChange: (v: string) => void;
  /** The server's problems for `scopes` and `scopes[i]`. */
  problems: string[];
  /** What requires them: "call the tool", "read the resource". */
  what: string;
}

/** The OAuth scopes an entity requires when the server's auth mode is `oauth`. */
export function ScopesField({ id, value, onChange, problems, what }: Props) {
  return (
    <Field label="OAuth scopes" htmlFor={id} problems={problems}
      hint={<>Scopes a client&apos;s access token needs to {what} when authentication is OAuth (at most 10, separated by spaces). Empty: the server&apos;s default scope (<code>mcp:tools</code> unless changed).</>}>
      <input id={id} className="mono" placeholder="e.g. orders.read" value={value} onChange={(e) => onChange(e.target.value)} />
    </Field>
  );
}
