import { useState, type FormEvent } from 'react';
import { ConfirmButton } from '../../components/ConfirmButton';
import { CopyButton } from '../../components/CopyButton';
import { LastUsed, SecretValue, ShownOnce } from '../../components/Credentials';
import { ErrorPanel, problemsAt } from '../../components/ErrorPanel';
import { Field } from '../../components/Field';
import { useAgentTokens, useCreateAgentToken, useRevokeAgentToken, type CreatedAgentToken, type Scope } from './api';
import { agentClientConfigs } from './clientConfig';
import { ScopeList, ScopePicker } from './ScopePicker';
import { Loading } from '../../components/PageHeader';

/** Expiry choices, in hours; the server caps them at `QUARRY_AGENT_TOKEN_MAX_HOURS`. */
const EXPIRIES = [
  { hours: 1, label: '1 hour' },
  { hours: 8, label: '8 hours' },
  { hours: 24, label: '24 hours' },
  { hours: 24 * 7, label: '7 days' },
  { hours: 24 * 30, label: '30 days' },
];

/** Agent tokens: create with scopes and an expiry (shown once, with client configurations), list, revoke. */
export function AgentTokensCard() {
  const tokens = useAgentTokens();
  const create = useCreateAgentToken();
  const revoke = useRevokeAgentToken();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>([]);
  const [hours, setHours] = useState(24);
  const [created, setCreated] = useState<CreatedAgentToken | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name: name.trim(), scopes, expires_in_hours: hours }, {
      onSuccess: (t) => {
        setCreated(t);
        setName('');
        setScopes([]);
      },
    });
  };

  return (
    <section className="card stack" aria-labelledby="agent-tokens-title">
      <div className="section-head">
        <h2 id="agent-tokens-title">Agent tokens</h2>
        <span className="small muted">A token lets an agent use the agent endpoint with the scopes you pick, until it expires or you revoke it.</span>
      </div>

      {created && <CreatedToken token={created} onHide={() => setCreated(null)} />}

      <form className="stack" onSubmit={submit} aria-label="Create an agent token">
        <div className="agent-row">
          <Field label="Token name" htmlFor="agent-token-name" problems={problemsAt(create.error, 'name')}
            hint="Who or what uses it, such as “claude-code-anna” or “nightly-ci”.">
            <input id="agent-token-name" value={name} maxLength={100} required placeholder="claude-code-anna"
              onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label="Expires after" htmlFor="agent-token-expiry" problems={problemsAt(create.error, 'expires_in_hours')}>
            <select id="agent-token-expiry" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
              {EXPIRIES.map((x) => <option key={x.hours} value={x.hours}>{x.label}</option>)}
            </select>
          </Field>
        </div>
        <ScopePicker legend="What the token may do" value={scopes} onChange={setScopes} problems={problemsAt(create.error, 'scopes')} />
        <div>
          <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim() || scopes.length === 0}>
            {create.isPending ? 'Creating…' : 'Create agent token'}
          </button>
          {scopes.length === 0 && <span className="small muted"> Pick at least one scope.</span>}
        </div>
      </form>
      {!problemsAt(create.error, 'name').length && !problemsAt(create.error, 'scopes').length && <ErrorPanel error={create.error} />}
      <ErrorPanel error={revoke.error} />
      {tokens.isPending && <Loading />}
      <ErrorPanel error={tokens.error} />

      {tokens.data && (tokens.data.items.length === 0 ? (
        <p className="muted note">No agent tokens yet.</p>
      ) : (
        <div className="table-card">
          <table className="table" aria-label="Agent tokens">
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {tokens.data.items.map((t) => {
                const expired = new Date(t.expires_at).getTime() <= Date.now();
                return (
                  <tr key={t.id}>
                    <td>{t.name} <code className="muted small">{t.prefix}…</code></td>
                    <td><ScopeList scopes={t.scopes} /></td>
                    <td>{expired ? <span className="badge badge-danger">expired</span> : new Date(t.expires_at).toLocaleString()}</td>
                    <td><LastUsed at={t.last_used_at} from={t.last_used_from} /></td>
                    <td className="actions">
                      <ConfirmButton label="Revoke" confirmLabel={`Yes, revoke ${t.name}`} disabled={revoke.isPending}
                        onConfirm={() => revoke.mutate(t.id, { onSuccess: () => { if (created?.id === t.id) setCreated(null); } })} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}

/** The token just created, the only time it is known, with ready client configurations. */
function CreatedToken({ token, onHide }: { token: CreatedAgentToken; onHide: () => void }) {
  const configs = agentClientConfigs(token.mcp_url, token.token);
  const [client, setClient] = useState(configs[0]!.client);
  const current = configs.find((c) => c.client === client) ?? configs[0]!;
  return (
    <ShownOnce label="New agent token" title={<>Agent token “{token.name}” created. Copy it now: you will not see it again.</>}
      onHide={onHide}>
      <SecretValue value={token.token} what="token" testId="new-agent-token" />
      <p className="small note">Endpoint <code data-testid="agent-mcp-url">{token.mcp_url}</code>; expires {new Date(token.expires_at).toLocaleString()}.</p>
      <div className="config-pick">
        <label htmlFor="agent-client">Client configuration for</label>
        <select id="agent-client" value={current.client} onChange={(e) => setClient(e.target.value)}>
          {configs.map((c) => <option key={c.client} value={c.client}>{c.label}</option>)}
        </select>
        <CopyButton text={current.text} what="configuration" />
      </div>
      <pre className="mono small config-text" aria-label={`${current.label} configuration`}>{current.text}</pre>
    </ShownOnce>
  );
}
