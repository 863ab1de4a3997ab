import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading } from '../../components/PageHeader';
import { useSession } from '../auth/api';
import { AuthScreen } from '../auth/AuthScreen';
import { LoginPage } from '../auth/LoginPage';
import { useConsent, useDecideConsent } from './api';
import './authorization.css';

/**
 * The consent page an MCP client sends the user to (`/oauth/consent?request=…`): who asks, for what, and on which
 * MCP server; the user signs in (the admin account, or the configured identity provider) and approves or denies.
 * Reachable without a session: it is the start of a sign-in.
 */
export function ConsentPage() {
  const [params] = useSearchParams();
  const id = params.get('request') ?? '';
  const upstreamError = params.get('error');
  const session = useSession();
  const sessionState = session.data?.state ?? 'loading';
  const consent = useConsent(id, sessionState);
  const decide = useDecideConsent(id);
  const [adminLogin, setAdminLogin] = useState(false);

  if (adminLogin && sessionState === 'anonymous') return <LoginPage />;
  if (!id) {
    return (
      <AuthScreen title="Nothing to approve" intro="This page is opened by an application that asks to connect to Quarry.">
        <p className="muted">Start again from your application.</p>
      </AuthScreen>
    );
  }
  if (consent.isPending) return <main className="auth-screen"><Loading /></main>;
  if (consent.error) {
    return (
      <AuthScreen title="Request not found" intro="This sign-in request cannot be shown.">
        <ErrorPanel error={consent.error} />
      </AuthScreen>
    );
  }
  const c = consent.data;
  const who = c.signed_in ? (c.signed_in.email ?? c.signed_in.name ?? c.signed_in.subject) : null;
  return (
    <AuthScreen title={`Allow ${c.client_name}?`} intro={<>An application asks to use your Quarry MCP server on your behalf.</>}>
      <div className="stack consent" data-testid="consent">
        <dl className="consent-facts">
          <dt>Application</dt>
          <dd><strong data-testid="consent-client">{c.client_name}</strong> <span className="muted small">({c.client_host})</span></dd>
          <dt>Returns to</dt>
          <dd><code className="small">{c.redirect_uri}</code></dd>
          <dt>MCP server</dt>
          <dd><code className="small" data-testid="consent-resource">{c.resource}</code></dd>
          <dt>Access</dt>
          <dd>
            <ul className="consent-scopes" aria-label="Requested scopes">
              {c.scopes.map((s) => <li key={s}><code>{s}</code></li>)}
            </ul>
          </dd>
        </dl>
        {upstreamError && <div className="alert alert-error" role="alert">Sign-in failed: {upstreamError}</div>}
        <ErrorPanel error={decide.error} />
        {who ? (
          <>
            <p className="small" data-testid="consent-user">Signed in as <strong>{who}</strong>{c.signed_in?.via === 'upstream' && c.upstream_name ? <> through {c.upstream_name}</> : null}.</p>
            <div className="consent-actions">
              <button type="button" className="btn btn-primary" disabled={decide.isPending} onClick={() => decide.mutate(true)}>
                {decide.isPending ? 'Working…' : 'Approve'}
              </button>
              <button type="button" className="btn" disabled={decide.isPending} onClick={() => decide.mutate(false)}>Deny</button>
            </div>
          </>
        ) : (
          <>
            <p className="small muted">Sign in to decide.</p>
            <div className="consent-actions">
              {c.upstream_start_url && (
                <a className="btn btn-primary" href={c.upstream_start_url} data-testid="consent-upstream">Sign in with {c.upstream_name}</a>
              )}
              {c.admin_login && (
                <button type="button" className="btn" onClick={() => setAdminLogin(true)}>Sign in with the admin account</button>
              )}
              <button type="button" className="btn btn-ghost" disabled={decide.isPending} onClick={() => decide.mutate(false)}>Deny</button>
            </div>
          </>
        )}
        <p className="small muted">Until {new Date(c.expires_at).toLocaleTimeString()}. You can revoke access later under Authorization server.</p>
      </div>
    </AuthScreen>
  );
}
