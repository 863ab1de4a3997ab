import { useEffect, useState, type FormEvent } from 'react';
import { ConfirmButton } from '../../components/ConfirmButton';
import { LastUsed } from '../../components/Credentials';
import { ErrorPanel, problemsAt } from '../../components/ErrorPanel';
import { Checkbox, Field } from '../../components/Field';
import { Loading, PageHeader } from '../../components/PageHeader';
import {
  useMcpAuthorizationServer, useOAuthGrants, usePatchMcpAuthorizationServer, useRevokeOAuthGrant,
  type AuthorizationServer, type ClaimMapping,
} from './api';
import './authorization.css';

/** Quarry as the authorization server of MCP clients: its settings and the grants users gave. */
export function AuthorizationServerPage() {
  return (
    <>
      <PageHeader title="Authorization server"
        subtitle="MCP clients (Claude-style connectors, the MCP SDKs) sign users in here and get tokens for your MCP server." />
      <div className="authz-page">
        <SettingsCard />
        <GrantsCard />
      </div>
    </>
  );
}

/** Claim mappings as lines: `claim=value: scope scope`. */
function mappingsToText(m: ClaimMapping[]): string {
  return m.map((x) => `${x.claim}=${x.value}: ${x.scopes.join(' ')}`).join('\n');
}

function textToMappings(text: string): ClaimMapping[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
    const [left, right = ''] = line.split(/:\s/, 2);
    const [claim, ...value] = (left ?? '').split('=');
    return { claim: (claim ?? '').trim(), value: value.join('=').trim(), scopes: right.split(/\s+/).filter(Boolean) };
  });
}

function SettingsCard() {
  const server = useMcpAuthorizationServer();
  const patch = usePatchMcpAuthorizationServer();
  const [form, setForm] = useState<Form | null>(null);
  useEffect(() => { if (server.data) setForm(toForm(server.data)); }, [server.data]);

  if (server.isPending) return <section className="card"><Loading /></section>;
  if (server.error || !server.data || !form) return <ErrorPanel error={server.error} />;
  const s = server.data;
  const set = (p: Partial<Form>) => setForm({ ...form, ...p });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      enabled: form.enabled,
      dynamic_registration: form.dynamicRegistration,
      admin_login: form.adminLogin,
      access_token_ttl_seconds: Number(form.accessTtl),
      refresh_token_ttl_days: Number(form.refreshDays),
      default_scopes: form.defaultScopes.split(/\s+/).filter(Boolean),
    };
    if (form.upstreamOn) {
      const upstream: Record<string, unknown> = {
        issuer: form.issuer.trim(), client_id: form.clientId.trim(), scopes: form.upstreamScopes.trim(),
        claim_mappings: textToMappings(form.mappings), display_name: form.displayName.trim() || null,
      };
      if (form.clientSecret) upstream.client_secret = form.clientSecret;
      body.upstream = upstream;
    } else {
      body.upstream = null;
    }
    patch.mutate(body, { onSuccess: () => set({ clientSecret: '' }) });
  };
  const at = (p: string) => problemsAt(patch.error, p);
  // The stored secret belongs to one provider and client: editing either asks for it again (the server checks too).
  const was = s.upstream;
  const retype = form.upstreamOn && was?.client_secret_set
    ? [form.issuer.trim() !== was.issuer ? 'issuer' : null, form.clientId.trim() !== was.client_id ? 'client id' : null]
      .filter(Boolean).join(' and ')
    : '';

  return (
    <section className="card stack" aria-labelledby="authz-settings-title">
      <div className="section-head">
        <h2 id="authz-settings-title">Settings</h2>
        <span className="small muted">Issuer <code data-testid="authz-issuer">{s.issuer}</code> · tokens for <code data-testid="authz-resource">{s.resource}</code></span>
      </div>
      <form className="stack" onSubmit={submit} aria-label="Authorization server settings">
        <Checkbox label="Let MCP clients sign users in and obtain tokens here" checked={form.enabled} onChange={(v) => set({ enabled: v })} />
        <Checkbox label="Allow dynamic client registration (RFC 7591) for clients without a metadata document"
          checked={form.dynamicRegistration} onChange={(v) => set({ dynamicRegistration: v })} />
        <Checkbox label="The admin account may sign in on the consent page" checked={form.adminLogin} onChange={(v) => set({ adminLogin: v })} />
        <div className="authz-row">
          <Field label="Access token lifetime (seconds)" htmlFor="authz-access-ttl" problems={at('access_token_ttl_seconds')} hint="60–3600. Revoked grants stop within this time.">
            <input id="authz-access-ttl" type="number" min={60} max={3600} value={form.accessTtl} onChange={(e) => set({ accessTtl: e.target.value })} />
          </Field>
          <Field label="Refresh token lifetime (days)" htmlFor="authz-refresh-days" problems={at('refresh_token_ttl_days')} hint="Each use rotates it.">
            <input id="authz-refresh-days" type="number" min={1} max={365} value={form.refreshDays} onChange={(e) => set({ refreshDays: e.target.value })} />
          </Field>
          <Field label="Scopes every user gets" htmlFor="authz-default-scopes" problems={at('default_scopes')} hint="Space-separated, e.g. mcp:tools.">
            <input id="authz-default-scopes" value={form.defaultScopes} onChange={(e) => set({ defaultScopes: e.target.value })} />
          </Field>
        </div>
        <Checkbox label="Users sign in through an OpenID Connect provider" checked={form.upstreamOn} onChange={(v) => set({ upstreamOn: v })} />
        {form.upstreamOn && (
          <fieldset className="stack">
            <legend>Identity provider</legend>
            <p className="small muted">Register <code data-testid="authz-callback">{s.upstream_callback_url}</code> as a redirect URI at the provider.</p>
            <div className="authz-row">
              <Field label="Issuer URL" htmlFor="authz-issuer-url" problems={at('upstream.issuer')}>
                <input id="authz-issuer-url" value={form.issuer} placeholder="https://login.example.com" onChange={(e) => set({ issuer: e.target.value })} />
              </Field>
              <Field label="Client id" htmlFor="authz-client-id" problems={at('upstream.client_id')}>
                <input id="authz-client-id" value={form.clientId} onChange={(e) => set({ clientId: e.target.value })} />
              </Field>
              <Field label={retype ? 'Client secret (required)' : 'Client secret'} htmlFor="authz-client-secret" problems={at('upstream.client_secret')}
                hint={retype
                  ? `The ${retype} changed: enter the client secret again for the new provider. The stored one is never sent to another provider or client.`
                  : s.upstream?.client_secret_set ? 'A secret is stored; type a new one to replace it.' : 'Leave empty for a public client.'}>
                <input id="authz-client-secret" type="password" autoComplete="off" value={form.clientSecret} required={!!retype}
                  aria-required={!!retype} onChange={(e) => set({ clientSecret: e.target.value })} />
              </Field>
            </div>
            <div className="authz-row">
              <Field label="Scopes asked of the provider" htmlFor="authz-upstream-scopes" problems={at('upstream.scopes')}>
                <input id="authz-upstream-scopes" value={form.upstreamScopes} onChange={(e) => set({ upstreamScopes: e.target.value })} />
              </Field>
              <Field label="Button label" htmlFor="authz-display-name" problems={at('upstream.display_name')} hint="Default: the issuer's host.">
                <input id="authz-display-name" value={form.displayName} onChange={(e) => set({ displayName: e.target.value })} />
              </Field>
            </div>
            <Field label="Claim mappings" htmlFor="authz-mappings" wide problems={at('upstream.claim_mappings')}
              hint={<>One per line: <code>claim=value: scope scope</code>, e.g. <code>groups=sales: sales:read</code>.</>}>
              <textarea id="authz-mappings" rows={3} value={form.mappings} onChange={(e) => set({ mappings: e.target.value })} />
            </Field>
          </fieldset>
        )}
        <ErrorPanel error={patch.error} />
        <div>
          <button type="submit" className="btn btn-primary" disabled={patch.isPending}>{patch.isPending ? 'Saving…' : 'Save'}</button>
        </div>
      </form>
    </section>
  );
}

interface Form {
  enabled: boolean; dynamicRegistration: boolean; adminLogin: boolean; accessTtl: string; refreshDays: string;
  defaultScopes: string; upstreamOn: boolean; issuer: string; clientId: string; clientSecret: string;
  upstreamScopes: string; displayName: string; mappings: string;
}

function toForm(s: AuthorizationServer): Form {
  return {
    enabled: s.enabled, dynamicRegistration: s.dynamic_registration, adminLogin: s.admin_login,
    accessTtl: String(s.access_token_ttl_seconds), refreshDays: String(s.refresh_token_ttl_days),
    defaultScopes: s.default_scopes.join(' '), upstreamOn: !!s.upstream, issuer: s.upstream?.issuer ?? '',
    clientId: s.upstream?.client_id ?? '', clientSecret: '', upstreamScopes: s.upstream?.scopes ?? 'openid email profile',
    displayName: s.upstream?.display_name ?? '', mappings: mappingsToText(s.upstream?.claim_mappings ?? []),
  };
}

/** The grants users gave MCP clients, with revoke. */
function GrantsCard() {
  const grants = useOAuthGrants();
  const revoke = useRevokeOAuthGrant();
  return (
    <section className="card stack" aria-labelledby="authz-grants-title">
      <div className="section-head">
        <h2 id="authz-grants-title">Users and consents</h2>
        <span className="small muted">Revoking stops refresh tokens at once; access tokens end within their lifetime.</span>
      </div>
      <ErrorPanel error={revoke.error} />
      {grants.isPending && <Loading />}
      <ErrorPanel error={grants.error} />
      {grants.data && (grants.data.items.length === 0 ? (
        <p className="muted note">No application has been allowed yet.</p>
      ) : (
        <div className="table-card">
          <table className="table" aria-label="Grants">
            <thead>
              <tr><th scope="col">User</th><th scope="col">Application</th><th scope="col">Scopes</th><th scope="col">Granted</th><th scope="col">Last token</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {grants.data.items.map((g) => (
                <tr key={g.id}>
                  <td>{g.email ?? g.subject}</td>
                  <td>{g.client_name} <div className="small muted"><code>{g.client_id}</code></div></td>
                  <td>{g.scopes.map((s) => <code key={s} className="small">{s} </code>)}</td>
                  <td>{new Date(g.created_at).toLocaleString()}</td>
                  <td><LastUsed at={g.last_used_at} /></td>
                  <td className="actions">
                    <ConfirmButton label="Revoke" confirmLabel={`Yes, revoke ${g.client_name}`} disabled={revoke.isPending}
                      onConfirm={() => revoke.mutate(g.id)} />
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
