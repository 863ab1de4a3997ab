import { useState, type FormEvent } from 'react';
import { FormActions, FormShell, useSaveFlow } from '../../components/EntityForm';
import { Checkbox, Field } from '../../components/Field';
import { ScopesField, parseScopes } from '../../components/ScopesField';
import { TagsInput, parseTags } from '../../components/TagsInput';
import type { Schema } from '../../lib/api/client';
import { promptTemplateArgs } from '../../lib/placeholders';
import { prompts, type Prompt, type PromptFields } from './api';

type PromptArgument = Schema<'PromptArgument'>;
interface ArgRow { name: string; description: string; required: boolean; default: string; enum: string }

const toArgRow = (a: PromptArgument): ArgRow => ({
  name: a.name, description: a.description ?? '', required: a.required ?? false, default: a.default ?? '', enum: (a.enum ?? []).join(', '),
});
const fromArgRow = (r: ArgRow): PromptArgument => ({
  name: r.name.trim(),
  description: r.description.trim(),
  required: r.required,
  default: r.default === '' ? null : r.default,
  enum: r.enum.split(',').map((v) => v.trim()).filter(Boolean),
});
const emptyArg = (name = ''): ArgRow => ({ name, description: '', required: true, default: '', enum: '' });

/** Fills `{arg}` with the example values (or the argument's default) for the preview. */
function render(template: string, args: ArgRow[]): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
    const a = args.find((r) => r.name.trim() === name);
    return a ? (a.default || `‹${name}›`) : whole;
  });
}

export function PromptForm({ prompt, onReload }: { prompt?: Prompt; onReload?: () => void }) {
  const save = prompts.useSave(prompt?.id);
  const [name, setName] = useState(prompt?.name ?? '');
  const [title, setTitle] = useState(prompt?.title ?? '');
  const [description, setDescription] = useState(prompt?.description ?? '');
  const [template, setTemplate] = useState(prompt?.template ?? '');
  const [args, setArgs] = useState<ArgRow[]>((prompt?.arguments ?? []).map(toArgRow));
  const [tags, setTags] = useState((prompt?.tags ?? []).join(', '));
  const [enabled, setEnabled] = useState(prompt?.is_enabled ?? true);
  const [scopes, setScopes] = useState((prompt?.scopes ?? []).join(' '));
  const flow = useSaveFlow({ what: 'prompt', listPath: '/prompts', save, state: [name, title, description, template, args, tags, enabled, scopes] });
  const err = save.error;
  const at = flow.at;
  const update = (i: number, patch: Partial<ArgRow>) => setArgs(args.map((a, j) => (j === i ? { ...a, ...patch } : a)));

  const detect = () => {
    const names = promptTemplateArgs(template);
    const byName = new Map(args.map((a) => [a.name.trim(), a]));
    setArgs(names.map((n) => byName.get(n) ?? emptyArg(n)));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: PromptFields = {
      name: name.trim(),
      title: title.trim() || null,
      description: description.trim(),
      template,
      arguments: args.map(fromArgRow),
      tags: parseTags(tags),
      is_enabled: enabled,
      scopes: parseScopes(scopes),
    };
    flow.send(body, prompt?.version);
  };

  return (
    <FormShell label="Prompt" onSubmit={submit} flow={flow} error={err} onReload={onReload}>
      <div className="grid-2">
        <Field label="Name" htmlFor="prompt-name" problems={at('name')}>
          <input id="prompt-name" className="mono" required value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Title" htmlFor="prompt-title" hint="Optional, human-readable." problems={at('title')}>
          <input id="prompt-title" value={title} onChange={(e) => setTitle(e.target.value)} />
        </Field>
      </div>
      <Field label="Description" htmlFor="prompt-description" wide problems={at('description')}>
        <textarea id="prompt-description" rows={2} required value={description} onChange={(e) => setDescription(e.target.value)} />
      </Field>
      <Field label="Template" htmlFor="prompt-template" wide hint={<>Each <code>{'{arg}'}</code> is replaced by that argument's value.</>}
        problems={at('template')}>
        <textarea id="prompt-template" className="mono" rows={8} required value={template} onChange={(e) => setTemplate(e.target.value)} />
      </Field>

      <div className="section-head">
        <h2>Arguments</h2>
        <button type="button" className="btn btn-small" onClick={detect}>Detect from template</button>
      </div>
      <div className="params">
        {args.length === 0 && <p className="muted">No arguments.</p>}
        {args.map((a, i) => {
          const problems = at(`arguments[${i}]`);
          return (
            <fieldset key={i} className={`param-row${problems.length ? ' field-invalid' : ''}`}>
              <div className="param-main">
                <input aria-label={`Argument ${i + 1} name`} className="mono" placeholder="name" value={a.name}
                  onChange={(e) => update(i, { name: e.target.value })} />
                <label className="check">
                  <input type="checkbox" aria-label={`Argument ${i + 1} required`} checked={a.required}
                    onChange={(e) => update(i, { required: e.target.checked })} />
                  <span>required</span>
                </label>
                <span className="spacer" />
                <button type="button" className="btn btn-small btn-danger-ghost" aria-label={`Remove argument ${i + 1}`}
                  onClick={() => setArgs(args.filter((_, j) => j !== i))}>✕</button>
              </div>
              <input aria-label={`Argument ${i + 1} description`} placeholder="Description" value={a.description}
                onChange={(e) => update(i, { description: e.target.value })} />
              <div className="param-extra">
                <input aria-label={`Argument ${i + 1} default`} placeholder="default" value={a.default}
                  onChange={(e) => update(i, { default: e.target.value })} />
                <input aria-label={`Argument ${i + 1} suggestions`} placeholder="suggested values, comma-separated" value={a.enum}
                  onChange={(e) => update(i, { enum: e.target.value })} />
              </div>
              {problems.map((p, k) => <div key={k} className="field-problem">{p}</div>)}
            </fieldset>
          );
        })}
        <button type="button" className="btn btn-small btn-ghost" onClick={() => setArgs([...args, emptyArg()])}>+ Add argument</button>
      </div>

      {template && (
        <div className="section">
          <h2>Preview</h2>
          <pre className="preview">{render(template, args)}</pre>
        </div>
      )}

      <ScopesField id="prompt-scopes" value={scopes} onChange={setScopes} problems={at('scopes')} what="list and get the prompt" />
      <div className="grid-2">
        <Field label="Tags" htmlFor="prompt-tags" problems={at('tags')}>
          <TagsInput id="prompt-tags" value={tags} onChange={setTags} />
        </Field>
        <Checkbox label="Enabled" checked={enabled} onChange={setEnabled} hint="Disabled prompts are not deployed." />
      </div>
      <FormActions what="prompt" editing={Boolean(prompt)} pending={save.isPending} onCancel={flow.cancel} />
    </FormShell>
  );
}
