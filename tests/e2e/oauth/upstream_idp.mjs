// A real OpenID provider (npm oidc-provider) for the authorization-server end-to-end run: Quarry is its client
// `quarry` (client_secret_basic, PKCE required), users sign in through the provider's development login and consent
// pages (any password), and each account has an email and groups (alice: sales; anyone else: eng), served from the
// userinfo endpoint as OpenID Connect Core prescribes for the code flow.
// Usage: node upstream_idp.mjs PORT QUARRY_CALLBACK_URL CLIENT_SECRET
import Provider from 'oidc-provider';

const [port, callback, secret] = process.argv.slice(2);
if (!port || !callback || !secret) {
  console.error('usage: node upstream_idp.mjs PORT QUARRY_CALLBACK_URL CLIENT_SECRET');
  process.exit(2);
}

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'quarry',
    client_secret: secret,
    redirect_uris: [callback],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({
      sub: id,
      email: `${id}@example.com`,
      email_verified: true,
      name: id,
      groups: id === 'alice' ? ['sales'] : ['eng'],
    }),
  }),
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ['quarry-e2e-cookie-key'] },
});

provider.listen(Number(port), '127.0.0.1', () => console.log(`IDP_READY http://127.0.0.1:${port}`));
