import type { DiffEntry } from './api';
import { show } from '../../lib/format';
import { fieldChanges } from './fields';
import { TextDiff } from './TextDiff';

const ACTION_BADGE: Record<string, string> = { added: 'badge-ok', removed: 'badge-danger', changed: 'badge-warn' };
const KIND_LABEL: Record<string, string> = {
  server: 'Server settings',
  auth: 'Authentication',
  connection: 'Connection',
  tool: 'Tool',
  resource: 'Resource',
  prompt: 'Prompt',
};

/** One entity of a release diff: its text fields as line diffs, the other fields before → after. */
export function DiffEntryCard({ entry }: { entry: DiffEntry }) {
  const fields = fieldChanges(entry.before, entry.after);
  const texts = fields.filter((f) => f.text);
  const others = fields.filter((f) => !f.text);
  const title = `${KIND_LABEL[entry.kind] ?? entry.kind}${entry.name ? ` ${entry.name}` : ''}`;
  return (
    <section className="card diff-entry" aria-label={title} data-kind={entry.kind} data-name={entry.name}>
      <h3>
        <span className={`badge ${ACTION_BADGE[entry.action] ?? ''}`}>{entry.action}</span> {KIND_LABEL[entry.kind] ?? entry.kind}
        {entry.name && <> <code>{entry.name}</code></>}
      </h3>
      {texts.map((f) => (
        <div key={f.path} className="diff-field">
          <h4 className="mono small">{f.path}</h4>
          <TextDiff before={typeof f.before === 'string' ? f.before : ''} after={typeof f.after === 'string' ? f.after : ''} label={`${f.path} of ${title}`} />
        </div>
      ))}
      {others.length > 0 && (
        <table className="table diff-fields" aria-label={`Fields of ${title}`}>
          <thead>
            <tr><th>Field</th><th>Before</th><th>After</th></tr>
          </thead>
          <tbody>
            {others.map((f) => (
              <tr key={f.path}>
                <td className="mono small">{f.path}</td>
                <td className="mono small diff-before">{show(f.before)}</td>
                <td className="mono small diff-after">{show(f.after)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
