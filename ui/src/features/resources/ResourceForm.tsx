import { useState, type FormEvent } from 'react';
import { ConnectionSelect } from '../../components/ConnectionSelect';
import { FormActions, FormShell, useSaveFlow } from '../../components/EntityForm';
import { Checkbox, Field } from '../../components/Field';
import { ParamsEditor } from '../../components/ParamsEditor';
import { SqlField } from '../../components/SqlField';
import { useConnectionOptions } from '../../hooks/useConnectionOptions';
import { ScopesField, parseScopes } from '../../components/ScopesField';
import { TagsInput, parseTags } from '../../components/TagsInput';
import { fromRows, syncRows, toRow, type ParamRow } from '../../lib/params';
import { uriTemplateParams, type Dialect } from '../../lib/placeholders';
import { resources, type Resource, type ResourceFields } from './api';

interface FormState {
  name: string;
  description: string;
  uri_template: string;
  source: 'sql' | 'static';
  connection_id: string;
  sql_query: string;
  static_content: string;
  mime_type: string;
  parameters: ParamRow[];
  tags: string;
  is_enabled: boolean;
  scopes: string;
}

function initial(r?: Resource): FormState {
  return {
    name: r?.name ?? '',
    description: r?.description ?? '',
    uri_template: r?.uri_template ?? '',
    source: r && !r.sql_query ? 'static' : 'sql',
    connection_id: r?.connection_id ?? '',
    sql_query: r?.sql_query ?? '',
    static_content: r?.static_content ?? '',
    mime_type: r?.mime_type ?? 'application/json',
    parameters: (r?.parameters ?? []).map(toRow),
    tags: (r?.tags ?? []).join(', '),
    is_enabled: r?.is_enabled ?? true,
    scopes: (r?.scopes ?? []).join(' '),
  };
}

/** Create or edit a resource; a SQL resource's `{name}` URI variables are its `:name` parameters. */
export function ResourceForm({ resource, onReload }: { resource?: Resource; onReload?: () => void }) {
  const save = resources.useSave(resource?.id);
  const connections = useConnectionOptions();
  const [f, setF] = useState(() => initial(resource));
  const flow = useSaveFlow({ what: 'resource', listPath: '/resources', save, state: f });
  const dialect = (connections.data?.find((c) => c.id === f.connection_id)?.db_type ?? 'postgresql') as Dialect;
  const [localProblems, setLocalProblems] = useState<{ path: string; message: string }[]>([]);
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setF((s) => ({ ...s, [k]: v }));
  const err = save.error;
  const at = flow.at;
  const sql = f.source === 'sql';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { params, problems } = fromRows(f.parameters);
    setLocalProblems(problems);
    if (problems.length) return;
    const body: ResourceFields = {
      name: f.name.trim(),
      description: f.description.trim(),
      uri_template: f.uri_template.trim(),
      connection_id: sql ? f.connection_id || null : null,
      sql_query: sql ? f.sql_query : null,
      static_content: sql ? null : f.static_content,
      mime_type: f.mime_type.trim() || 'application/json',
      parameters: params,
      tags: parseTags(f.tags),
      is_enabled: f.is_enabled,
      scopes: parseScopes(f.scopes),
    };
    flow.send(body, resource?.version);
  };

  return (
    <FormShell label="Resource" onSubmit={submit} flow={flow} error={err} onReload={onReload}>
      <div className="grid-2">
        <Field label="Name" htmlFor="res-name" problems={at('name')}>
          <input id="res-name" className="mono" required value={f.name} onChange={(e) => set('name', e.target.value)} />
        </Field>
        <Field label="URI template" htmlFor="res-uri" hint={<>E.g. <code>users://{'{user_id}'}/profile</code>; each <code>{'{var}'}</code> is a parameter.</>}
          problems={at('uri_template')}>
          <input id="res-uri" className="mono" required value={f.uri_template} placeholder="users://{user_id}/profile"
            onChange={(e) => set('uri_template', e.target.value)} />
        </Field>
      </div>
      <Field label="Description" htmlFor="res-description" wide problems={at('description')}>
        <textarea id="res-description" rows={2} required value={f.description} onChange={(e) => set('description', e.target.value)} />
      </Field>

      <fieldset className="section">
        <legend>Content</legend>
        <div className="segmented" role="radiogroup" aria-label="Content source">
          <label><input type="radio" name="source" checked={sql} onChange={() => set('source', 'sql')} /> SQL query</label>
          <label><input type="radio" name="source" checked={!sql} onChange={() => set('source', 'static')} /> Static content</label>
        </div>
        {sql ? (
          <>
            <Field label="Connection" htmlFor="res-connection" problems={at('connection_id')}>
              <ConnectionSelect id="res-connection" value={f.connection_id} onChange={(v) => set('connection_id', v)} />
            </Field>
            <SqlField id="res-sql" value={f.sql_query} onChange={(v) => set('sql_query', v)} connectionId={f.connection_id}
              dialect={dialect} problems={at('sql_query')} hint={<>Use <code>:var</code> for each URI variable.</>} />
          </>
        ) : (
          <Field label="Static content" htmlFor="res-static" wide problems={at('static_content')}>
            <textarea id="res-static" className="mono" rows={8} value={f.static_content} onChange={(e) => set('static_content', e.target.value)} />
          </Field>
        )}
        <Field label="MIME type" htmlFor="res-mime" problems={at('mime_type')}>
          <input id="res-mime" list="mime-types" value={f.mime_type} onChange={(e) => set('mime_type', e.target.value)} />
          <datalist id="mime-types">
            {['application/json', 'text/plain', 'text/markdown', 'text/csv'].map((m) => <option key={m} value={m} />)}
          </datalist>
        </Field>
      </fieldset>

      <div className="section-head">
        <h2>Parameters</h2>
        <button type="button" className="btn btn-small"
          onClick={() => set('parameters', syncRows(f.parameters, uriTemplateParams(f.uri_template)).rows)}>
          Detect from URI template
        </button>
      </div>
      <ParamsEditor rows={f.parameters} onChange={(rows) => set('parameters', rows)} error={err} localProblems={localProblems} />

      <ScopesField id="res-scopes" value={f.scopes} onChange={(v) => set('scopes', v)} problems={at('scopes')} what="list and read the resource" />
      <div className="grid-2">
        <Field label="Tags" htmlFor="res-tags" problems={at('tags')}>
          <TagsInput id="res-tags" value={f.tags} onChange={(v) => set('tags', v)} />
        </Field>
        <Checkbox label="Enabled" checked={f.is_enabled} onChange={(v) => set('is_enabled', v)} hint="Disabled resources are not deployed." />
      </div>
      <FormActions what="resource" editing={Boolean(resource)} pending={save.isPending} onCancel={flow.cancel} />
    </FormShell>
  );
}
