// Auth mode `oauth` in a real browser, against a Quarry of its own (it changes
// the server settings): the OAuth settings form (an external issuer refused
// next to its field, then saved with a write-only introspection secret that is
// never shown again), the Connect Claude panel with its reachability warning,
// and a tool with OAuth scopes and a parameter bound to a token claim,
// previewed "as" a claim set. No request leaves the page's origin; axe finds
// no serious violation on the Server page in oauth mode.
// Needs the `quarry` binary built ($CARGO_TARGET_DIR/debug/quarry) and the UI built into ui/dist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { launch, pageApi, sameOriginOnly, SCREENSHOTS } from './browser.mjs';
import { sqliteDb, startQuarry } from './server.mjs';

const ADMIN = { username: 'oauth-admin', password: 'oauth-page-horse-1' };
const SECRET = 'introspection-secret-typed-once';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let quarry;
let base;
let browser;
let page;
let toolId;
const errors = [];
const foreign = [];

const api = (method, path, body) => pageApi(page, base, method, path, body);

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  quarry = await startQuarry({ name: 'mcp-oauth', admin: ADMIN });
  base = quarry.base;
  const shop = join(quarry.data, 'shop.db');
  sqliteDb(shop, [
    'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT)',
    "INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com'), (2, 'Grace', 'grace@example.com')",
  ]);
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
  await sameOriginOnly(page, base, foreign);
  page.on('pageerror', (e) => errors.push(String(e)));
  assert.equal((await page.request.post(`${base}/api/v1/auth/login`, { data: ADMIN })).status(), 200);
  const conn = await api('POST', '/api/v1/connections', { name: 'shop', db_type: 'sqlite', database: shop });
  assert.equal(conn.status, 201, JSON.stringify(conn.body));
  const tool = await api('POST', '/api/v1/tools', { connection_id: conn.body.id, name: 'my_profile',
    description: 'The caller\'s own customer record.', sql_query: 'SELECT id, name FROM customers WHERE email = :email',
    parameters: [{ name: 'email', type: 'string', from_claim: 'email' }], scopes: ['customers.read'] });
  assert.equal(tool.status, 201, JSON.stringify(tool.body));
  toolId = tool.body.id;
});

after(async () => {
  await browser?.close();
  quarry?.stop();
});

const settings = () => page.getByRole('form', { name: 'Settings' });
const fieldOf = (label) => page.locator('.field').filter({ has: page.getByLabel(label, { exact: true }) });

test('the oauth form refuses a bad issuer next to its field and saves a write-only introspection secret', async () => {
  await page.goto(`${base}/server`, { waitUntil: 'networkidle' });
  await page.getByLabel('Server name').waitFor();
  await page.getByLabel('Public URL').fill('https://mcp.example.com');
  await settings().getByRole('radio', { name: 'OAuth (MCP authorization)' }).check();
  const oauth = page.getByTestId('oauth-fields');
  await oauth.waitFor();
  assert.equal(await oauth.getByRole('checkbox', { name: /^Trust Quarry's own authorization server/ }).isChecked(), true, 'safe default');
  assert.equal(await oauth.getByLabel('Default scope', { exact: true }).inputValue(), 'mcp:tools');
  // Keyboard: the issuer list is reached and filled without the mouse.
  await oauth.getByRole('button', { name: 'Add issuer' }).focus();
  await page.keyboard.press('Enter');
  await oauth.getByLabel('Issuer (iss)', { exact: true }).fill('https://login.example.com/realms/main');
  await oauth.getByLabel('Algorithms', { exact: true }).fill('RS256 HS256');
  await oauth.getByLabel('Extra audiences', { exact: true }).fill('api://quarry');
  await oauth.getByRole('checkbox', { name: /^Check opaque tokens at an introspection endpoint/ }).check();
  await oauth.getByLabel('Introspection endpoint', { exact: true }).fill('https://login.example.com/introspect');
  await oauth.getByLabel('Client id', { exact: true }).fill('quarry-rs');
  await oauth.getByLabel('Client secret', { exact: true }).fill(SECRET);
  await settings().getByRole('button', { name: 'Save settings' }).click();
  await fieldOf('JWKS URL').locator('.field-problem', { hasText: 'https://' }).waitFor();
  await fieldOf('Algorithms').locator('.field-problem', { hasText: '"HS256" is not accepted' }).waitFor();
  assert.equal((await api('GET', '/api/v1/server/config')).body.auth_mode, 'bearer', 'nothing was saved');
  await page.screenshot({ path: `${SCREENSHOTS}/oauth-settings-error.png`, fullPage: true });

  await oauth.getByLabel('JWKS URL', { exact: true }).fill('https://login.example.com/realms/main/certs');
  await oauth.getByLabel('Algorithms', { exact: true }).fill('RS256 ES256');
  await settings().getByRole('button', { name: 'Save settings' }).click();
  await settings().getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await page.waitForFunction(() => !document.querySelector('.field-problem'));
  const { body: stored } = await api('GET', '/api/v1/server/config');
  assert.equal(stored.auth_mode, 'oauth');
  assert.equal(stored.mcp_url, 'https://mcp.example.com/mcp');
  assert.deepEqual(stored.oauth.issuers, [{ issuer: 'https://login.example.com/realms/main',
    jwks_uri: 'https://login.example.com/realms/main/certs', algorithms: ['RS256', 'ES256'], audiences: ['api://quarry'] }]);
  assert.equal(stored.oauth.introspection.client_secret_set, true);
  assert.ok(!JSON.stringify(stored).includes(SECRET), 'the secret is never returned');
  // The typed secret is not kept on the page once the server has it.
  await page.waitForFunction(() => document.querySelector('input[type="password"][autocomplete="new-password"]')?.value === '');

  await page.reload({ waitUntil: 'networkidle' });
  const again = page.getByTestId('oauth-fields');
  await again.waitFor();
  assert.equal(await again.getByLabel('Client secret', { exact: true }).getAttribute('placeholder'), '•••••• (stored)');
  assert.equal(await again.getByLabel('Issuer (iss)', { exact: true }).inputValue(), 'https://login.example.com/realms/main');
  assert.ok(!(await page.content()).includes(SECRET));
  await page.screenshot({ path: `${SCREENSHOTS}/oauth-settings-saved.png`, fullPage: true });

  // Another endpoint makes the secret required again: the stored one is never sent to a new endpoint.
  await again.getByLabel('Introspection endpoint', { exact: true }).fill('https://other.example.net/introspect');
  const required = again.getByLabel('Client secret (required)', { exact: true });
  assert.equal(await required.getAttribute('aria-required'), 'true');
  await fieldOf('Client secret (required)').locator('.hint', { hasText: 'enter the client secret again for the new endpoint' }).waitFor();
  await settings().getByRole('button', { name: 'Save settings' }).click();
  await fieldOf('Client secret (required)').locator('.field-problem', { hasText: 'endpoint changed' }).waitFor();
  assert.equal((await api('GET', '/api/v1/server/config')).body.oauth.introspection.endpoint,
    'https://login.example.com/introspect', 'nothing was saved');
  // Back to the stored endpoint: leaving the secret empty keeps the stored one again.
  await again.getByLabel('Introspection endpoint', { exact: true }).fill('https://login.example.com/introspect');
  await again.getByLabel('Client secret', { exact: true }).waitFor();
  assert.equal(await again.getByLabel('Client secret', { exact: true }).getAttribute('aria-required'), 'false');
  // The refusal shown at the last save goes with its cause, without another save.
  assert.equal(await fieldOf('Client secret').locator('.field-problem').count(), 0, 'no stale "endpoint changed"');
  assert.equal(await settings().getByText('Fix the highlighted fields and save again.').count(), 0);

  await page.evaluate(readFileSync(AXE, 'utf8'));
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  assert.deepEqual(serious, []);
});

test('Connect Claude gives the public https URL, and warns when Claude could not reach it', async () => {
  const claude = page.getByTestId('connect-claude');
  await claude.scrollIntoViewIfNeeded();
  assert.equal(await claude.getByTestId('claude-url').innerText(), 'https://mcp.example.com/mcp');
  assert.match(await claude.innerText(), /Settings → Connectors/);
  assert.match(await claude.innerText(), /Add custom connector/);
  assert.equal(await claude.getByTestId('claude-warning').count(), 0);
  assert.equal(await claude.getByTestId('claude-auth-note').count(), 0, 'oauth is what Claude needs');
  await claude.screenshot({ path: `${SCREENSHOTS}/oauth-connect-claude.png` });
  // The Python SDK configuration signs in with OAuth; no token in any configuration.
  const connect = page.getByRole('region', { name: 'Connect a client' });
  await connect.getByRole('tab', { name: 'Python SDK' }).click();
  assert.match(await page.getByTestId('client-config').innerText(), /OAuthClientProvider/);
  assert.ok(!(await connect.innerText()).includes('Authorization'));

  // A loopback public URL (here: back to bearer on the runtime's own address) is flagged.
  const r = await api('PATCH', '/api/v1/server/config', { public_url: null, auth_mode: 'bearer' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await page.reload({ waitUntil: 'networkidle' });
  const flagged = page.getByTestId('connect-claude');
  await flagged.getByTestId('claude-warning').waitFor();
  assert.match(await flagged.getByTestId('claude-warning').innerText(), /loopback or private address/);
  assert.match(await flagged.getByTestId('claude-auth-note').innerText(), /cannot send a bearer token/);
  await flagged.scrollIntoViewIfNeeded();
  await flagged.screenshot({ path: `${SCREENSHOTS}/oauth-connect-claude-warning.png` });
});

test('a tool takes OAuth scopes and a claim-bound parameter, and is previewed as a claim set', async () => {
  await page.goto(`${base}/tools/${toolId}`, { waitUntil: 'networkidle' });
  const scopes = page.getByLabel('OAuth scopes');
  await scopes.waitFor();
  assert.equal(await scopes.inputValue(), 'customers.read');
  assert.equal(await page.getByLabel('Parameter 1 value from token claim').inputValue(), 'email');
  // The claim-bound parameter gets no preview input: it comes from the claims.
  assert.equal(await page.getByLabel('Preview value for email').count(), 0);

  await page.getByRole('button', { name: 'Run preview' }).click();
  const preview = page.getByRole('region', { name: 'Preview' });
  await preview.locator('.problems').filter({ hasText: '"email"' }).waitFor();

  await preview.getByLabel('Run as claims (JSON)').fill('{"sub": "u-7", "email": "grace@example.com"');
  await page.getByRole('button', { name: 'Run preview' }).click();
  await preview.getByRole('alert').filter({ hasText: 'Run as: the claims are not JSON' }).waitFor();
  await preview.getByLabel('Run as claims (JSON)').fill('{"sub": "u-7", "email": "grace@example.com", "groups": ["sales"]}');
  await page.getByRole('button', { name: 'Run preview' }).click();
  const rows = preview.getByRole('table', { name: 'Preview rows' });
  await rows.waitFor();
  assert.match(await rows.innerText(), /Grace/);
  assert.doesNotMatch(await rows.innerText(), /Ada/);
  await preview.screenshot({ path: `${SCREENSHOTS}/oauth-preview-run-as.png` });

  await scopes.fill('customers.read  customers.export');
  await page.getByLabel('Parameter 1 value from token claim').fill('preferred_email');
  await page.keyboard.press('Control+s');
  await page.waitForURL(`${base}/tools`);
  const { body: saved } = await api('GET', `/api/v1/tools/${toolId}`);
  assert.deepEqual(saved.scopes, ['customers.read', 'customers.export']);
  assert.equal(saved.parameters[0].from_claim, 'preferred_email');

  // A bad scope is refused next to the field.
  await page.goto(`${base}/tools/${toolId}`, { waitUntil: 'networkidle' });
  await page.getByLabel('OAuth scopes').fill('ok "quoted"');
  await page.keyboard.press('Control+s');
  await fieldOf('OAuth scopes').locator('.field-problem', { hasText: 'is not a scope' }).waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/oauth-tool-scopes.png`, fullPage: true });
});

test('no page error and no request to another origin', () => {
  assert.deepEqual(errors, []);
  assert.deepEqual(foreign, []);
});
