// The Agent access page against a control plane of its own: an admin creates an
// agent token with the scope picker (keyboard only), sees it once with a ready
// client configuration, and a real MCP exchange with that token on /agent/mcp
// (initialize, tools/list, tools/call over streamable HTTP) shows only the tools
// its scopes allow and lands in the activity table, refusals included; revoking
// it from the page makes the next request a 401. Nothing is requested from
// another origin. Needs the debug `quarry` and ui/dist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, sameOriginOnly, SCREENSHOTS } from './browser.mjs';
import { sqliteDb, startQuarry } from './server.mjs';

const ADMIN = { username: 'agent-admin', password: 'agent-password-1' };

let quarry;
let browser;
let page;
const foreign = [];
const errors = [];

/** One JSON-RPC message to the agent endpoint with `token`; the status and the JSON answer. */
async function agentRpc(token, body) {
  const res = await fetch(`${quarry.base}/agent/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const data = text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).find((d) => d.startsWith('{'));
  let json = null;
  try { json = data ? JSON.parse(data) : text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: res.status, body: json, challenge: res.headers.get('www-authenticate') };
}

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  quarry = await startQuarry({ name: 'agent-access', admin: ADMIN });
  const db = join(quarry.data, 'shop.db');
  sqliteDb(db, [`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)`]);
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  page = await context.newPage();
  await sameOriginOnly(page, quarry.base, foreign);
  page.on('pageerror', (e) => errors.push(String(e)));
  const login = await page.request.post(`${quarry.base}/api/v1/auth/login`, { data: ADMIN });
  assert.ok(login.ok(), await login.text());
  const conn = await page.request.post(`${quarry.base}/api/v1/connections`, { data: { name: 'shop', db_type: 'sqlite', database: db } });
  assert.ok(conn.ok(), await conn.text());
});

after(async () => {
  await browser?.close();
  quarry?.stop();
});

const shot = (name) => page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });

test('an admin gives an agent a scoped token, sees what it did, and revokes it', async () => {
  await page.goto(`${quarry.base}/agent-access`);
  await page.getByRole('heading', { name: 'Agent access', level: 1 }).waitFor();
  // The endpoint comes from the RFC 9728 metadata, i.e. the public URL.
  assert.equal(await page.getByTestId('agent-endpoint').innerText(), `${quarry.base}/agent/mcp`);
  await page.getByText('No agent tokens yet.').waitFor();
  await shot('agent-access.png');

  // Keyboard only: name, expiry, the read-only preset, then one more scope by its checkbox.
  const create = page.getByRole('button', { name: 'Create agent token' });
  assert.ok(await create.isDisabled(), 'no token without a name and a scope');
  await page.getByLabel('Token name').focus();
  await page.keyboard.type('nightly-report');
  await page.keyboard.press('Tab');
  await page.getByLabel('Expires after').selectOption({ label: '7 days' });
  const picker = page.getByRole('group', { name: 'What the token may do' });
  await picker.getByRole('button', { name: 'Read-only' }).focus();
  await page.keyboard.press('Enter');
  // The read-only preset does not include writes; add none, but drop preview by keyboard.
  const preview = picker.getByRole('checkbox', { name: /^preview/ });
  assert.ok(await preview.isChecked());
  await preview.focus();
  await page.keyboard.press('Space');
  assert.equal(await preview.isChecked(), false);
  assert.equal(await picker.getByRole('checkbox', { name: /^tools:write/ }).isChecked(), false);
  await create.focus();
  await page.keyboard.press('Enter');

  const once = page.getByRole('status', { name: 'New agent token' });
  await once.waitFor();
  const token = await once.getByTestId('new-agent-token').innerText();
  assert.match(token, /^qag_/);
  assert.equal(await once.getByTestId('agent-mcp-url').innerText(), `${quarry.base}/agent/mcp`);
  // A ready configuration with the token in it, per client.
  await once.getByLabel('Client configuration for').selectOption('cursor');
  const config = JSON.parse(await once.getByLabel('Cursor / Windsurf configuration').innerText());
  assert.deepEqual(config.mcpServers['quarry-admin'], { url: `${quarry.base}/agent/mcp`, headers: { Authorization: `Bearer ${token}` } });
  const row = page.getByRole('table', { name: 'Agent tokens' }).getByRole('row').filter({ hasText: 'nightly-report' });
  await row.waitFor();
  assert.match(await row.innerText(), /metrics:read/);
  assert.doesNotMatch(await row.innerText(), /preview|tools:write/);
  await shot('agent-access-token.png');

  // The stored record agrees: the scopes picked, an expiry about a week ahead.
  const listed = await (await page.request.get(`${quarry.base}/api/v1/agent-tokens`)).json();
  const stored = listed.items.find((t) => t.name === 'nightly-report');
  assert.ok(stored.scopes.includes('connections:read') && !stored.scopes.includes('preview'), JSON.stringify(stored));
  const ahead = (new Date(stored.expires_at) - Date.now()) / 3_600_000;
  assert.ok(ahead > 167 && ahead <= 168, `expires in ${ahead} h`);

  // A real agent exchange with the token: it sees read tools only, a write is refused.
  const init = await agentRpc(token, { jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'agent-access-test', version: '1' } } });
  assert.equal(init.status, 200, JSON.stringify(init.body));
  const tools = await agentRpc(token, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
  const names = tools.body.result.tools.map((t) => t.name);
  assert.ok(names.includes('list_connections') && !names.includes('create_tool') && !names.includes('preview_sql'), names.join(','));
  const ok = await agentRpc(token, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'list_connections', arguments: {} } });
  assert.equal(ok.body.result?.isError, false, JSON.stringify(ok.body));
  const denied = await agentRpc(token, { jsonrpc: '2.0', id: 4, method: 'tools/call',
    params: { name: 'delete_connection', arguments: { id: 'x' } } });
  assert.ok(denied.status === 403 || denied.body?.result?.isError || denied.body?.error, JSON.stringify(denied.body));

  // Both calls are in the activity table; the outcome filter narrows to the refusal.
  await page.reload();
  const activity = page.getByRole('table', { name: 'Agent activity' });
  await activity.getByRole('row').filter({ hasText: 'list_connections' }).waitFor({ timeout: 15_000 });
  const refusedRow = activity.getByRole('row').filter({ hasText: 'delete_connection' });
  await refusedRow.waitFor();
  assert.match(await refusedRow.innerText(), /nightly-report/);
  await page.getByRole('search', { name: 'Activity filters' }).getByLabel('Outcome').selectOption('refused');
  await activity.getByRole('row').filter({ hasText: 'list_connections' }).waitFor({ state: 'detached' });
  assert.ok(await refusedRow.isVisible());
  await shot('agent-access-activity.png');

  // Revoke from the page (a confirm step), and the very next request is refused.
  await row.getByRole('button', { name: 'Revoke' }).click();
  await row.getByRole('button', { name: 'Yes, revoke nightly-report' }).click();
  await row.waitFor({ state: 'detached' });
  assert.equal(await once.count(), 0, 'the one-time token disappears with its revocation');
  const after = await agentRpc(token, { jsonrpc: '2.0', id: 5, method: 'tools/list' });
  assert.equal(after.status, 401);
  assert.match(after.challenge ?? '', /resource_metadata=/);

  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
});

test('a token needs a name and a scope, and the server’s refusal is shown next to the field', async () => {
  await page.goto(`${quarry.base}/agent-access`);
  await page.getByLabel('Token name').fill('   ');
  assert.ok(await page.getByRole('button', { name: 'Create agent token' }).isDisabled());
  await page.getByText('Pick at least one scope.').waitFor();
  const before = await (await page.request.get(`${quarry.base}/api/v1/agent-tokens`)).json();
  // Over-long expiry straight through the API: a 422 naming the limit, nothing stored.
  const res = await page.request.post(`${quarry.base}/api/v1/agent-tokens`,
    { data: { name: 'too-long', scopes: ['tools:read'], expires_in_hours: 100000 } });
  assert.equal(res.status(), 422);
  assert.match((await res.json()).detail ?? '', /./);
  const afterList = await (await page.request.get(`${quarry.base}/api/v1/agent-tokens`)).json();
  assert.equal(afterList.total, before.total);
});

test('an OAuth client gets its secret once, its tokens work on the agent endpoint, and revoking it stops them', async () => {
  await page.goto(`${quarry.base}/agent-access`);
  const card = page.getByRole('region', { name: 'OAuth clients' });
  await card.getByText('No OAuth clients yet.').waitFor();
  assert.equal(await page.getByTestId('token-endpoint').innerText(), `${quarry.base}/oauth/token`);
  await page.getByLabel('Client name').fill('ci-agents');
  const picker = page.getByRole('group', { name: 'Scopes it may be granted' });
  await picker.getByRole('checkbox', { name: /^connections:read/ }).check();
  await picker.getByRole('checkbox', { name: /^tools:read/ }).check();
  await page.getByRole('button', { name: 'Create OAuth client' }).click();
  const once = page.getByRole('status', { name: 'New OAuth client' });
  await once.waitFor();
  const clientId = await once.getByTestId('new-client-id').innerText();
  const secret = await once.getByTestId('new-client-secret').innerText();
  assert.match(clientId, /^qoc_/);
  assert.match(secret, /^qos_/);
  await page.screenshot({ path: join(SCREENSHOTS, 'agent-access-oauth-client.png'), fullPage: true });
  // The list never shows the secret.
  const listed = await (await page.request.get(`${quarry.base}/api/v1/oauth-clients`)).json();
  assert.ok(!JSON.stringify(listed).includes(secret));

  // Client credentials at the token endpoint (HTTP Basic), then the JWT on the agent endpoint.
  const grant = async () => fetch(`${quarry.base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
  const issued = await grant();
  assert.equal(issued.status, 200, await issued.clone().text());
  const { access_token: jwt, scope } = await issued.json();
  assert.equal(scope.split(' ').sort().join(' '), 'connections:read tools:read');
  const listedTools = await agentRpc(jwt, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
  assert.equal(listedTools.status, 200, JSON.stringify(listedTools.body));
  const names = listedTools.body.result.tools.map((t) => t.name);
  assert.ok(names.includes('list_tools') && !names.includes('deploy'), names.join(','));
  const called = await agentRpc(jwt, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_tools', arguments: {} } });
  assert.equal(called.body.result?.isError, false, JSON.stringify(called.body));

  // The call is in the activity under the client, selectable in the credential filter.
  await page.reload();
  const filters = page.getByRole('search', { name: 'Activity filters' });
  await filters.getByLabel('Credential').selectOption({ label: 'ci-agents (OAuth)' });
  const activity = page.getByRole('table', { name: 'Agent activity' });
  // The agent token's calls leave the table (the filtered page replaces the unfiltered one); the client's stays.
  await activity.getByRole('row').filter({ hasText: 'list_connections' }).waitFor({ state: 'detached', timeout: 15_000 });
  await activity.getByRole('row').filter({ hasText: 'list_tools' }).waitFor();
  assert.match(await activity.getByRole('row').filter({ hasText: 'list_tools' }).innerText(), /ci-agents/);

  // Revoked from the page: the issued token stops working and no new one is granted.
  const row = page.getByRole('table', { name: 'OAuth clients' }).getByRole('row').filter({ hasText: 'ci-agents' });
  await row.getByRole('button', { name: 'Revoke' }).click();
  await row.getByRole('button', { name: 'Yes, revoke ci-agents' }).click();
  await row.waitFor({ state: 'detached' });
  assert.equal((await agentRpc(jwt, { jsonrpc: '2.0', id: 3, method: 'tools/list' })).status, 401);
  assert.equal((await grant()).status, 401);
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
});
