import { useId } from 'react';
import { Checkbox, Field } from '../../components/Field';
import { ALGORITHMS, emptyIssuer, secretRequired, type IssuerRow, type OAuthForm } from './oauth';

interface Props {
  value: OAuthForm;
  onChange: (f: OAuthForm) => void;
  /** Problems (server's and local) at a settings path such as `oauth.issuers[0].jwks_uri`. */
  at: (path: string) => string[];
  /** Problems at exactly that path (not below it). */
  exactly: (path: string) => string[];
}

const MAX_ISSUERS = 10;

/** Auth mode `oauth`: trusted authorization servers, the default scope, leeway and introspection. */
export function OAuthFields({ value: f, onChange, at, exactly }: Props) {
  const id = useId();
  const set = <K extends keyof OAuthForm>(k: K, v: OAuthForm[K]) => onChange({ ...f, [k]: v });
  const mustRetype = secretRequired(f);
  const secretHint = mustRetype
    ? `${mustRetype} The stored secret is never sent to another endpoint or client.`
    : f.client_secret_set
      ? 'A secret is stored (never shown). Type a new one to replace it, or leave empty to keep it.'
      : 'Stored encrypted; never shown again.';
  const setIssuer = (i: number, patch: Partial<IssuerRow>) =>
    set('issuers', f.issuers.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div className="oauth-fields stack" data-testid="oauth-fields">
      <Checkbox label="Trust Quarry's own authorization server" checked={f.trust_quarry} onChange={(v) => set('trust_quarry', v)}
        hint="MCP clients such as Claude sign in through Quarry; its public keys travel to the runtime with the access settings." />
      {exactly('oauth.trust_quarry').map((p, i) => <div key={i} className="field-problem">{p}</div>)}

      <div className="field">
        <span className="field-label" id={`${id}-issuers`}>External authorization servers</span>
        <span className="hint">Identity providers (Keycloak, Entra ID, Auth0, Okta…) whose access tokens the runtime accepts; at most {MAX_ISSUERS} with Quarry&apos;s own.</span>
        <div role="group" aria-labelledby={`${id}-issuers`} className="stack">
          {f.issuers.length === 0 && <p className="small muted note">None.</p>}
          {f.issuers.map((r, i) => {
            const path = `oauth.issuers[${i}]`;
            const field = (name: keyof IssuerRow, label: string, placeholder: string, hint?: string) => (
              <Field label={label} htmlFor={`${id}-${i}-${name}`} problems={at(`${path}.${name}`)} hint={hint}>
                <input id={`${id}-${i}-${name}`} className="mono" value={r[name]} placeholder={placeholder}
                  onChange={(e) => setIssuer(i, { [name]: e.target.value })} />
              </Field>
            );
            return (
              <fieldset key={i} className="issuer-row section" data-testid="issuer-row">
                <legend>Issuer {i + 1}</legend>
                <div className="grid-2">
                  {field('issuer', 'Issuer (iss)', 'https://login.example.com/realms/main')}
                  {field('jwks_uri', 'JWKS URL', 'https://login.example.com/realms/main/protocol/openid-connect/certs')}
                  {field('algorithms', 'Algorithms', 'RS256 ES256', `Any of ${ALGORITHMS.join(', ')}.`)}
                  {field('audiences', 'Extra audiences', 'api://quarry', 'Accepted besides the MCP URL, separated by spaces.')}
                </div>
                {exactly(path).map((p, k) => <div key={k} className="field-problem">{p}</div>)}
                <button type="button" className="btn btn-small btn-ghost" aria-label={`Remove issuer ${i + 1}`}
                  onClick={() => set('issuers', f.issuers.filter((_, j) => j !== i))}>Remove</button>
              </fieldset>
            );
          })}
          <button type="button" className="btn btn-small" disabled={f.issuers.length >= MAX_ISSUERS}
            onClick={() => set('issuers', [...f.issuers, emptyIssuer()])}>Add issuer</button>
        </div>
        {exactly('oauth.issuers').map((p, i) => <div key={i} className="field-problem">{p}</div>)}
      </div>

      <div className="grid-2">
        <Field label="Default scope" htmlFor={`${id}-scope`} problems={at('oauth.default_scope')}
          hint="Required by every tool, resource and prompt that names no scope of its own.">
          <input id={`${id}-scope`} className="mono" value={f.default_scope} onChange={(e) => set('default_scope', e.target.value)} />
        </Field>
        <Field label="Clock leeway (seconds)" htmlFor={`${id}-leeway`} problems={at('oauth.leeway_seconds')}
          hint="Skew tolerated on a token's expiry and not-before (0–300).">
          <input id={`${id}-leeway`} inputMode="numeric" value={f.leeway_seconds} onChange={(e) => set('leeway_seconds', e.target.value)} />
        </Field>
      </div>

      <Checkbox label="Check opaque tokens at an introspection endpoint (RFC 7662)" checked={f.introspection}
        onChange={(v) => set('introspection', v)} hint="Off: only JWT access tokens are accepted." />
      {f.introspection && (
        <div className="grid-2">
          <Field label="Introspection endpoint" htmlFor={`${id}-endpoint`} problems={at('oauth.introspection.endpoint')}>
            <input id={`${id}-endpoint`} className="mono" placeholder="https://login.example.com/oauth2/introspect" value={f.endpoint}
              onChange={(e) => set('endpoint', e.target.value)} />
          </Field>
          <Field label="Client id" htmlFor={`${id}-client`} problems={at('oauth.introspection.client_id')}>
            <input id={`${id}-client`} className="mono" value={f.client_id} onChange={(e) => set('client_id', e.target.value)} />
          </Field>
          <Field label={mustRetype ? 'Client secret (required)' : 'Client secret'} htmlFor={`${id}-secret`}
            problems={at('oauth.introspection.client_secret')} hint={secretHint}>
            <input id={`${id}-secret`} type="password" autoComplete="new-password" value={f.client_secret}
              required={Boolean(mustRetype)} aria-required={Boolean(mustRetype)}
              placeholder={mustRetype ? 'the secret for the new endpoint' : f.client_secret_set ? '•••••• (stored)' : ''}
              onChange={(e) => set('client_secret', e.target.value)} />
          </Field>
          <Field label="Cache answers (seconds)" htmlFor={`${id}-cache`} problems={at('oauth.introspection.cache_seconds')}
            hint="Per token, 0–300, never past its expiry.">
            <input id={`${id}-cache`} inputMode="numeric" value={f.cache_seconds} onChange={(e) => set('cache_seconds', e.target.value)} />
          </Field>
        </div>
      )}
    </div>
  );
}
