import { useState, type FormEvent } from 'react';
import { ConfirmButton } from '../../components/ConfirmButton';
import { LastUsed, SecretValue, ShownOnce } from '../../components/Credentials';
import { ErrorPanel, problemsAt } from '../../components/ErrorPanel';
import { Field } from '../../components/Field';
import { Loading } from '../../components/PageHeader';
import {
  useAuthorizationServer, useCreateOAuthClient, useOAuthClients, useRevokeOAuthClient, type CreatedOAuthClient, type Scope,
} from './api';
import { ScopeList, ScopePicker } from './ScopePicker';

/**
 * OAuth clients: an agent platform that speaks OAuth gets a client id and secret (shown once) and asks Quarry's
 * token endpoint for short-lived access tokens with the client-credentials grant; revoking a client stops its
 * tokens at once.
 */
export function OAuthClientsCard() {
  const clients = useOAuthClients();
  const create = useCreateOAuthClient();
  const revoke = useRevokeOAuthClient();
  const server = useAuthorizationServer();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>([]);
  const [created, setCreated] = useState<CreatedOAuthClient | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name: name.trim(), scopes }, {
      onSuccess: (c) => {
        setCreated(c);
        setName('');
        setScopes([]);
      },
    });
  };

  return (
    <section className="card stack" aria-labelledby="oauth-clients-title">
      <div className="section-head">
        <h2 id="oauth-clients-title">OAuth clients</h2>
        <span className="small muted">
          For agents that sign in with OAuth client credentials
          {server.data && <> at <code data-testid="token-endpoint">{server.data.token_endpoint}</code></>}.
        </span>
      </div>

      {created && (
        <ShownOnce label="New OAuth client"
          title={<>OAuth client “{created.name}” created. Copy the secret now: you will not see it again.</>}
          onHide={() => setCreated(null)}>
          <span className="small">Client id</span>
          <SecretValue value={created.client_id} what="client id" testId="new-client-id" />
          <span className="small">Client secret</span>
          <SecretValue value={created.client_secret} what="client secret" testId="new-client-secret" />
          <p className="small note">
            The client authenticates to the token endpoint with HTTP Basic (or in the form body) and asks for
            <code> grant_type=client_credentials</code>; it discovers everything else from the agent endpoint's 401.
          </p>
        </ShownOnce>
      )}

      <form className="stack" onSubmit={submit} aria-label="Create an OAuth client">
        <div className="agent-row">
          <Field label="Client name" htmlFor="oauth-client-name" problems={problemsAt(create.error, 'name')}
            hint="The platform or job that uses it, such as “ci-agents”.">
            <input id="oauth-client-name" value={name} maxLength={100} required placeholder="ci-agents"
              onChange={(e) => setName(e.target.value)} />
          </Field>
        </div>
        <ScopePicker legend="Scopes it may be granted" value={scopes} onChange={setScopes} problems={problemsAt(create.error, 'scopes')} />
        <div>
          <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim() || scopes.length === 0}>
            {create.isPending ? 'Creating…' : 'Create OAuth client'}
          </button>
        </div>
      </form>
      {!problemsAt(create.error, 'name').length && !problemsAt(create.error, 'scopes').length && <ErrorPanel error={create.error} />}
      <ErrorPanel error={revoke.error} />
      {clients.isPending && <Loading />}
      <ErrorPanel error={clients.error} />

      {clients.data && (clients.data.items.length === 0 ? (
        <p className="muted note">No OAuth clients yet.</p>
      ) : (
        <div className="table-card">
          <table className="table" aria-label="OAuth clients">
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Client id</th><th scope="col">Scopes</th><th scope="col">Last token</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {clients.data.items.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td><code className="small">{c.client_id}</code></td>
                  <td><ScopeList scopes={c.scopes} /></td>
                  <td><LastUsed at={c.last_used_at} from={c.last_used_from} /></td>
                  <td className="actions">
                    <ConfirmButton label="Revoke" confirmLabel={`Yes, revoke ${c.name}`} disabled={revoke.isPending}
                      onConfirm={() => revoke.mutate(c.id, { onSuccess: () => { if (created?.id === c.id) setCreated(null); } })} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
