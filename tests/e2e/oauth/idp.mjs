// A real OpenID provider (npm `oidc-provider`) for the runtime's OAuth
// end-to-end test: the external issuer whose JWT access tokens quarry-runtime
// validates through its JWKS.
//
//   node idp.mjs PORT RESOURCE
//
// Issuer http://127.0.0.1:PORT, signing keys generated at start (RS256),
// dynamic client registration, PKCE, the development login and consent pages
// (any login name; the password is not checked), and resource indicators
// (RFC 8707): an access token for RESOURCE is a JWT with `aud` = RESOURCE,
// the scope `mcp:tools`, and the account's `email` and `groups` claims.
import { generateKeyPairSync } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const [port, resource] = process.argv.slice(2);
if (!port || !resource) {
  console.error('usage: node idp.mjs PORT RESOURCE');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signing = { ...privateKey.export({ format: 'jwk' }), kid: `rs-${port}`, alg: 'RS256', use: 'sig' };

const claimsOf = (id) => ({ sub: id, email: `${id}@example.com`, groups: [`team-${id}`] });

const provider = new Provider(issuer, {
  jwks: { keys: [signing] },
  cookies: { keys: [`test-only-${port}`] },
  // mcp:tools is listed so that clients may register it; tokens carry it for the resource.
  scopes: ['openid', 'offline_access', 'mcp:tools'],
  claims: { openid: ['sub'], email: ['email'] },
  pkce: { required: () => true },
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => claimsOf(id) }),
  extraTokenClaims: (_ctx, token) => {
    if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
    const { email, groups } = claimsOf(token.accountId);
    return { email, groups };
  },
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget();
        return {
          scope: 'mcp:tools',
          audience: resource,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening as ${issuer}`);
});
