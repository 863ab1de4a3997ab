import { useState, type FormEvent } from 'react';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ErrorPanel, problemsAt } from '../../components/ErrorPanel';
import { Field } from '../../components/Field';
import { useCreateToken, useRevokeToken, type CreatedToken, type TokenInfo } from './api';
import { LastUsed, SecretValue, ShownOnce } from '../../components/Credentials';

interface Props {
  tokens: TokenInfo[];
  /** The token created on this page, the only time it is known. */
  created: CreatedToken | null;
  onCreated: (token: CreatedToken | null) => void;
}

/** MCP bearer tokens: create (shown once), list, revoke. */
export function TokensCard({ tokens, created, onCreated }: Props) {
  const create = useCreateToken();
  const revoke = useRevokeToken();
  const [name, setName] = useState('');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(name.trim(), {
      onSuccess: (t) => {
        onCreated(t);
        setName('');
      },
    });
  };

  const revokeToken = (t: TokenInfo) =>
    revoke.mutate(t.id, { onSuccess: () => { if (created?.id === t.id) onCreated(null); } });

  return (
    <section className="card stack" aria-labelledby="tokens-title">
      <div className="section-head">
        <h2 id="tokens-title">MCP tokens</h2>
        <span className="small muted">Used when authentication is “Bearer token”; running runtimes accept a new token and refuse a revoked one within seconds, without a deploy.</span>
      </div>

      {created && (
        <ShownOnce label="New token" title={<>Token “{created.name}” created. Copy it now: you will not see it again.</>}
          onHide={() => onCreated(null)}>
          <p className="small note">Quarry keeps only a keyed hash of it. If you lose it, revoke it and create another.</p>
          <SecretValue value={created.token} what="token" testId="new-token" />
        </ShownOnce>
      )}

      <form className="token-form" onSubmit={submit} aria-label="Create a token">
        <Field label="Token name" htmlFor="token-name" problems={problemsAt(create.error, 'name')}
          hint="A label to recognise it by, such as the client or person using it.">
          <input id="token-name" value={name} maxLength={100} required placeholder="claude-desktop-anna"
            onChange={(e) => setName(e.target.value)} />
        </Field>
        <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim()}>
          {create.isPending ? 'Creating…' : 'Create token'}
        </button>
      </form>
      {!problemsAt(create.error, 'name').length && <ErrorPanel error={create.error} />}
      <ErrorPanel error={revoke.error} />

      {tokens.length === 0 ? (
        <p className="muted note">No tokens yet.</p>
      ) : (
        <div className="table-card">
          <table className="table" aria-label="MCP tokens">
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Starts with</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td><code>{t.prefix}…</code></td>
                  <td>{new Date(t.created_at).toLocaleString()}</td>
                  <td><LastUsed at={t.last_used_at} from={t.last_used_from} /></td>
                  <td className="actions">
                    <ConfirmButton label="Revoke" confirmLabel={`Yes, revoke ${t.name}`} disabled={revoke.isPending}
                      onConfirm={() => revokeToken(t)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
