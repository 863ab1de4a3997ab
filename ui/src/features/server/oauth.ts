// The OAuth settings as the form holds them (text inputs) and their
// conversion to the PATCH body, which replaces the whole `oauth` object.
import type { Schema } from '../../lib/api/client';

export type OAuthConfig = Schema<'OAuthConfig'>;
/**
 * The introspection settings as sent: the generated type leaves out `client_secret` because it is write-only (the
 * server never returns it, so it has no place in the response schema).
 */
export type IntrospectionInput = Schema<'IntrospectionConfig'> & { client_secret?: string | null };

export interface IssuerRow {
  issuer: string;
  jwks_uri: string;
  /** Comma- or space-separated. */
  algorithms: string;
  audiences: string;
}

export interface OAuthForm {
  issuers: IssuerRow[];
  trust_quarry: boolean;
  default_scope: string;
  leeway_seconds: string;
  introspection: boolean;
  endpoint: string;
  client_id: string;
  /** Empty keeps the stored secret (only while the endpoint and client id are the stored ones). */
  client_secret: string;
  client_secret_set: boolean;
  /** The endpoint and client id the stored secret belongs to. */
  stored_endpoint: string;
  stored_client_id: string;
  cache_seconds: string;
}

export const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'EdDSA'];
const words = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

export function emptyIssuer(): IssuerRow {
  return { issuer: '', jwks_uri: '', algorithms: 'RS256 ES256 EdDSA', audiences: '' };
}

export function toForm(c: OAuthConfig | undefined): OAuthForm {
  const i = c?.introspection;
  return {
    issuers: (c?.issuers ?? []).map((x) => ({
      issuer: x.issuer,
      jwks_uri: x.jwks_uri,
      algorithms: (x.algorithms ?? []).join(' '),
      audiences: (x.audiences ?? []).join(' '),
    })),
    trust_quarry: c?.trust_quarry ?? true,
    default_scope: c?.default_scope ?? 'mcp:tools',
    leeway_seconds: String(c?.leeway_seconds ?? 60),
    introspection: Boolean(i),
    endpoint: i?.endpoint ?? '',
    client_id: i?.client_id ?? '',
    client_secret: '',
    client_secret_set: i?.client_secret_set ?? false,
    stored_endpoint: i?.endpoint ?? '',
    stored_client_id: i?.client_id ?? '',
    cache_seconds: String(i?.cache_seconds ?? 30),
  };
}

/**
 * Why the client secret must be typed again, if it must: a secret is stored and the endpoint or client id was edited.
 * The server never sends the stored secret to another endpoint or client (the same rule, checked there too).
 */
export function secretRequired(f: OAuthForm): string | null {
  if (!f.introspection || !f.client_secret_set) return null;
  const changed = [
    f.endpoint.trim() !== f.stored_endpoint ? 'endpoint' : null,
    f.client_id.trim() !== f.stored_client_id ? 'client id' : null,
  ].filter(Boolean);
  return changed.length ? `The ${changed.join(' and ')} changed: enter the client secret again for the new endpoint.` : null;
}

/**
 * The `oauth` object to send; numbers that are not whole numbers, and a missing secret the edited endpoint needs, are
 * reported under the server's paths.
 */
export function fromForm(f: OAuthForm): { oauth: OAuthConfig; problems: Map<string, string> } {
  const problems = new Map<string, string>();
  const required = secretRequired(f);
  if (required && !f.client_secret) problems.set('oauth.introspection.client_secret', required);
  const whole = (path: string, text: string) => {
    if (!/^\d+$/.test(text.trim())) problems.set(path, 'must be a whole number');
    return Number(text.trim());
  };
  const introspection: IntrospectionInput | null = f.introspection
    ? {
        endpoint: f.endpoint.trim(),
        client_id: f.client_id.trim(),
        cache_seconds: whole('oauth.introspection.cache_seconds', f.cache_seconds),
        ...(f.client_secret ? { client_secret: f.client_secret } : {}),
      }
    : null;
  const oauth: OAuthConfig = {
    issuers: f.issuers.map((r) => ({
      issuer: r.issuer.trim(),
      jwks_uri: r.jwks_uri.trim(),
      algorithms: words(r.algorithms),
      audiences: words(r.audiences),
    })),
    trust_quarry: f.trust_quarry,
    default_scope: f.default_scope.trim(),
    leeway_seconds: whole('oauth.leeway_seconds', f.leeway_seconds),
    introspection,
  };
  return { oauth, problems };
}

/**
 * Why Claude (whose servers connect from the internet) cannot use `url`, if it cannot: not https, or a loopback or
 * private address.
 */
export function connectorWarning(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${url} is not a URL.`;
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const local =
    host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\./.test(host) || host === '0.0.0.0' ||
    /^10\./.test(host) || /^192\.168\./.test(host) || /^172\.(1[6-9]|2\d|3[01])\./.test(host);
  if (local) {
    return `${u.host} is a loopback or private address: Claude's servers cannot reach it. Set the public URL to the https address this server is reachable at from the internet.`;
  }
  if (u.protocol !== 'https:') {
    return `${url} is not https: Claude connects to remote MCP servers over https only. Put the runtime behind TLS and set the public URL to its https address.`;
  }
  return null;
}
