import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ConnectionSelect } from '../../components/ConnectionSelect';
import { FormActions, useSaveFlow } from '../../components/EntityForm';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Checkbox, Field } from '../../components/Field';
import { ParamsEditor } from '../../components/ParamsEditor';
import { ScopesField, parseScopes } from '../../components/ScopesField';
import { SqlField } from '../../components/SqlField';
import { TagsInput, parseTags } from '../../components/TagsInput';
import { useConnectionOptions } from '../../hooks/useConnectionOptions';
import { fromRows, syncRows, toRow, type ParamRow } from '../../lib/params';
import { detectPlaceholders, type Dialect } from '../../lib/placeholders';
import { tools, type Tool, type ToolFields } from './api';
import { PreviewPanel } from './PreviewPanel';
import { ResultColumns } from './ResultColumns';

type Annotations = NonNullable<ToolFields['annotations']>;
const HINTS: { key: keyof Annotations; label: string; hint: string }[] = [
  { key: 'read_only', label: 'Read-only', hint: 'Does not modify data; the engine enforces read-only execution.' },
  { key: 'destructive', label: 'Destructive', hint: 'May delete or overwrite data.' },
  { key: 'idempotent', label: 'Idempotent', hint: 'Repeating a call with the same arguments has no further effect.' },
  { key: 'open_world', label: 'Open world', hint: 'Talks to an open world of external entities.' },
];

interface FormState {
  connection_id: string;
  name: string;
  description: string;
  sql_query: string;
  parameters: ParamRow[];
  return_type: string;
  annotations: Required<Annotations>;
  cache_ttl: string;
  is_enabled: boolean;
  pageable: boolean;
  tags: string;
  transform_template: string;
  scopes: string;
}

function initial(t?: Tool): FormState {
  return {
    connection_id: t?.connection_id ?? '',
    name: t?.name ?? '',
    description: t?.description ?? '',
    sql_query: t?.sql_query ?? '',
    parameters: (t?.parameters ?? []).map(toRow),
    return_type: t?.return_type ?? 'rows',
    annotations: {
      read_only: t?.annotations?.read_only ?? true,
      destructive: t?.annotations?.destructive ?? false,
      idempotent: t?.annotations?.idempotent ?? false,
      open_world: t?.annotations?.open_world ?? false,
    },
    cache_ttl: String(t?.cache_ttl ?? 0),
    is_enabled: t?.is_enabled ?? true,
    pageable: t?.pageable ?? false,
    tags: (t?.tags ?? []).join(', '),
    transform_template: t?.transform_template ?? '',
    scopes: (t?.scopes ?? []).join(' '),
  };
}

/** Create or edit a tool: SQL with `:name` placeholders and one parameter per placeholder. */
export function ToolForm({ tool, onReload }: { tool?: Tool; onReload?: () => void }) {
  const save = tools.useSave(tool?.id);
  const connections = useConnectionOptions();
  const [f, setF] = useState(() => initial(tool));
  const flow = useSaveFlow({ what: 'tool', listPath: '/tools', save, state: f });
  const [detected, setDetected] = useState('');
  const [localProblems, setLocalProblems] = useState<{ path: string; message: string }[]>([]);
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setF((s) => ({ ...s, [k]: v }));
  const err = save.error;
  const at = flow.at;
  const form = useRef<HTMLFormElement>(null);
  const runPreview = useRef<(() => void) | null>(null);
  const saveNow = () => form.current?.requestSubmit();
  // Ctrl/Cmd+S and Ctrl/Cmd+Enter anywhere in the form (the editor handles its own first).
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.defaultPrevented || !(e.ctrlKey || e.metaKey)) return;
    if (e.key === 's') { e.preventDefault(); saveNow(); }
    if (e.key === 'Enter') { e.preventDefault(); runPreview.current?.(); }
  };
  const dialect = (connections.data?.find((c) => c.id === f.connection_id)?.db_type ?? 'postgresql') as Dialect;

  const detect = () => {
    const names = detectPlaceholders(f.sql_query, dialect);
    const { rows, added, removed } = syncRows(f.parameters, names);
    set('parameters', rows);
    const parts = [names.length ? `Found ${names.map((n) => `:${n}`).join(', ')}.` : 'No placeholders found.'];
    if (added.length) parts.push(`Added ${added.join(', ')}.`);
    if (removed.length) parts.push(`Removed unused ${removed.filter(Boolean).join(', ') || 'empty rows'}.`);
    setDetected(parts.join(' '));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { params, problems } = fromRows(f.parameters);
    setLocalProblems(problems);
    if (problems.length) return;
    const body: ToolFields = {
      connection_id: f.connection_id,
      name: f.name.trim(),
      description: f.description.trim(),
      sql_query: f.sql_query,
      parameters: params,
      return_type: f.return_type,
      annotations: f.annotations,
      cache_ttl: Number(f.cache_ttl || 0),
      is_enabled: f.is_enabled,
      pageable: f.return_type === 'rows' && f.pageable,
      tags: parseTags(f.tags),
      transform_template: f.transform_template.trim() ? f.transform_template : null,
      scopes: parseScopes(f.scopes),
    };
    flow.send(body, tool?.version);
  };

  return (
    <form ref={form} onSubmit={submit} onKeyDown={onKeyDown} className="form builder" aria-label="Tool">
      {flow.guardDialog}
      <div className="builder-main card">
        <ErrorPanel error={err} onReload={onReload} />
        <SqlField id="tool-sql" value={f.sql_query} onChange={(v) => set('sql_query', v)} connectionId={f.connection_id} dialect={dialect}
          problems={at('sql_query')} placeholder="SELECT id, name, email FROM users WHERE id = :id"
          onRun={() => runPreview.current?.()} onSave={saveNow}
          hint={<>One statement. Use <code>:name</code> for parameters (<code>::type</code> casts are fine). Ctrl+Space completes tables and columns, Ctrl+Enter runs the preview, Ctrl+S saves.</>} />
        <div className="section-head">
          <h2>Parameters</h2>
          <button type="button" className="btn btn-small" onClick={detect}>Detect from SQL</button>
        </div>
        {detected && <p className="muted small note" role="status">{detected}</p>}
        <ParamsEditor rows={f.parameters} onChange={(rows) => set('parameters', rows)} error={err} localProblems={localProblems} />
        <details className="section" open={f.transform_template !== ''}>
          <summary>Transform (minijinja template applied to the rows)</summary>
          <Field label="Template" htmlFor="tool-transform" wide problems={at('transform_template')}>
            <textarea id="tool-transform" className="mono" rows={5} spellCheck={false} value={f.transform_template}
              onChange={(e) => set('transform_template', e.target.value)} />
          </Field>
        </details>
        <PreviewPanel connectionId={f.connection_id} sql={f.sql_query} rows={f.parameters} transform={f.transform_template}
          returnType={f.return_type} pageable={f.pageable} runRef={runPreview} />
        {tool && (
          <ResultColumns tool={tool}
            edited={f.sql_query !== tool.sql_query || f.connection_id !== tool.connection_id} />
        )}
      </div>

      <aside className="builder-side card">
        <Field label="Connection" htmlFor="tool-connection" problems={at('connection_id')}>
          <ConnectionSelect id="tool-connection" value={f.connection_id} onChange={(v) => set('connection_id', v)} />
        </Field>
        <Field label="Name" htmlFor="tool-name" hint="What the model calls; letters, digits, _ and -." problems={at('name')}>
          <input id="tool-name" className="mono" required value={f.name} onChange={(e) => set('name', e.target.value)} />
        </Field>
        <Field label="Description" htmlFor="tool-description" hint="Tell the model when to use it." problems={at('description')}>
          <textarea id="tool-description" rows={3} required value={f.description} onChange={(e) => set('description', e.target.value)} />
        </Field>
        <div className="grid-2">
          <Field label="Returns" htmlFor="tool-return" problems={at('return_type')}>
            <select id="tool-return" value={f.return_type} onChange={(e) => set('return_type', e.target.value)}>
              <option value="rows">rows</option>
              <option value="row">one row</option>
              <option value="scalar">a scalar</option>
            </select>
          </Field>
          <Field label="Cache TTL (s)" htmlFor="tool-cache" hint="0 = off" problems={at('cache_ttl')}>
            <input id="tool-cache" type="number" min={0} max={86400} value={f.cache_ttl} onChange={(e) => set('cache_ttl', e.target.value)} />
          </Field>
        </div>
        {f.return_type === 'rows' && (
          <Checkbox
            label="Pageable"
            checked={f.pageable}
            onChange={(v) => set('pageable', v)}
            hint="A result cut by the row or byte cap carries a cursor the model passes back to get the next rows."
          />
        )}
        {at('pageable').map((p, i) => (
          <div key={i} className="field-problem">
            {p}
          </div>
        ))}
        <fieldset className="section">
          <legend>Annotations</legend>
          {HINTS.map((h) => (
            <Checkbox key={h.key} name={h.key} label={h.label} hint={h.hint} checked={f.annotations[h.key]}
              onChange={(v) => set('annotations', { ...f.annotations, [h.key]: v })} />
          ))}
        </fieldset>
        <ScopesField id="tool-scopes" value={f.scopes} onChange={(v) => set('scopes', v)} problems={at('scopes')} what="list and call the tool" />
        <Field label="Tags" htmlFor="tool-tags" problems={at('tags')}>
          <TagsInput id="tool-tags" value={f.tags} onChange={(v) => set('tags', v)} />
        </Field>
        <Checkbox label="Enabled" checked={f.is_enabled} onChange={(v) => set('is_enabled', v)} hint="Disabled tools are not deployed." />
        <FormActions what="tool" editing={Boolean(tool)} pending={save.isPending} onCancel={flow.cancel} />
      </aside>
    </form>
  );
}
