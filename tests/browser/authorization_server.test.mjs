// Quarry as the authorization server of MCP clients, in the browser: an MCP client (a registered public client)
// sends the user to /oauth/authorize; the consent page (no session yet) shows the client, the scopes and the MCP
// server; the user signs in with the admin account and approves with the keyboard only; the browser lands on the
// client's redirect URI with a code, which the token endpoint exchanges (PKCE). The Authorization server page then
// lists the grant under "Users and consents" and revoking it there stops its refresh token. Needs the debug
// `quarry` and ui/dist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { launch, SCREENSHOTS } from './browser.mjs';
import { startQuarry } from './server.mjs';

const ADMIN = { username: 'consent-admin', password: 'consent-password-1' };
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Serious or critical axe violations on the page as it is now. */
async function axeSerious(page) {
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

let quarry;
let browser;
let callback;
let callbackUrl;
const received = [];

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  quarry = await startQuarry({ name: 'authorization-server', admin: ADMIN });
  // The client's redirect URI: a local server that records what the browser brings back.
  callback = createServer((req, res) => {
    received.push(new URL(req.url, 'http://127.0.0.1'));
    res.writeHead(200, { 'content-type': 'text/plain' }).end('back at the client');
  });
  await new Promise((ok) => callback.listen(0, '127.0.0.1', ok));
  callbackUrl = `http://127.0.0.1:${callback.address().port}/callback`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  callback?.close();
  quarry?.stop();
});

test('a user approves an MCP client on the consent page with the keyboard, and the admin revokes the grant', async () => {
  const admin = await browser.newContext();
  const login = await admin.request.post(`${quarry.base}/api/v1/auth/login`, { data: ADMIN });
  assert.ok(login.ok(), await login.text());
  const patched = await admin.request.patch(`${quarry.base}/api/v1/authorization-server`, {
    data: { enabled: true }, headers: { 'x-quarry-request': '1' },
  });
  assert.ok(patched.ok(), await patched.text());
  const { resource } = await patched.json();
  const reg = await fetch(`${quarry.base}/oauth/register`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Browser MCP client', redirect_uris: [callbackUrl] }),
  });
  assert.equal(reg.status, 201);
  const { client_id: clientId } = await reg.json();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL(`${quarry.base}/oauth/authorize`);
  for (const [k, v] of Object.entries({
    response_type: 'code', client_id: clientId, redirect_uri: callbackUrl, code_challenge: challenge,
    code_challenge_method: 'S256', state: 'browser-state', scope: 'mcp:tools', resource,
  })) authorize.searchParams.set(k, v);

  // A user's browser without a session.
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(authorize.toString());
  await page.getByRole('heading', { name: 'Allow Browser MCP client?' }).waitFor();
  assert.match(page.url(), /\/oauth\/consent\?request=/);
  assert.equal(await page.getByTestId('consent-client').innerText(), 'Browser MCP client');
  assert.equal(await page.getByTestId('consent-resource').innerText(), resource);
  assert.deepEqual(await page.getByRole('list', { name: 'Requested scopes' }).getByRole('listitem').allInnerTexts(), ['mcp:tools']);
  await page.screenshot({ path: join(SCREENSHOTS, 'consent-anonymous.png'), fullPage: true });
  assert.deepEqual(await axeSerious(page), [], 'the consent page (signed out) has no serious accessibility problem');

  // Keyboard only: the admin sign-in, the login form, then Approve.
  await page.getByRole('button', { name: 'Sign in with the admin account' }).focus();
  await page.keyboard.press('Enter');
  await page.getByLabel('Username').waitFor();
  await page.keyboard.type(ADMIN.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(ADMIN.password);
  await page.keyboard.press('Enter');
  await page.getByTestId('consent-user').waitFor();
  assert.equal(await page.getByTestId('consent-user').innerText(), 'Signed in as consent-admin.');
  await page.screenshot({ path: join(SCREENSHOTS, 'consent-signed-in.png'), fullPage: true });
  assert.deepEqual(await axeSerious(page), [], 'the consent page (signed in) has no serious accessibility problem');
  await page.getByRole('button', { name: 'Approve' }).focus();
  await Promise.all([page.waitForURL(/\/callback\?/), page.keyboard.press('Enter')]);
  const back = received.filter((u) => u.pathname === '/callback').at(-1);
  assert.equal(back.searchParams.get('state'), 'browser-state');
  assert.equal(back.searchParams.get('iss'), quarry.base);
  const code = back.searchParams.get('code');
  assert.ok(code, back.toString());

  const token = await fetch(`${quarry.base}/oauth/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: callbackUrl, client_id: clientId }),
  });
  assert.equal(token.status, 200);
  const tokens = await token.json();
  assert.equal(tokens.scope, 'mcp:tools');

  // The admin's page lists the grant; revoking it stops the refresh token.
  const adminPage = await admin.newPage();
  await adminPage.goto(`${quarry.base}/authorization-server`);
  await adminPage.getByRole('heading', { name: 'Authorization server', level: 1 }).waitFor();
  const grants = adminPage.getByRole('table', { name: 'Grants' });
  await grants.getByRole('cell', { name: /Browser MCP client/ }).waitFor();
  await adminPage.screenshot({ path: join(SCREENSHOTS, 'authorization-server.png'), fullPage: true });
  await grants.getByRole('button', { name: 'Revoke' }).click();
  await adminPage.getByRole('button', { name: 'Yes, revoke Browser MCP client' }).click();
  await adminPage.getByText('No application has been allowed yet.').waitFor();
  const refresh = await fetch(`${quarry.base}/oauth/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId }),
  });
  assert.equal(refresh.status, 400);
  assert.equal((await refresh.json()).error, 'invalid_grant');

  // A stored upstream secret is asked for again once the issuer is edited; the server refuses it without one.
  const upstream = await admin.request.patch(`${quarry.base}/api/v1/authorization-server`, {
    data: { upstream: { issuer: 'https://idp.example.com', client_id: 'quarry', client_secret: 'upstream-secret' } },
    headers: { 'x-quarry-request': '1' },
  });
  assert.ok(upstream.ok(), await upstream.text());
  await adminPage.reload();
  await adminPage.getByLabel('Client secret', { exact: true }).waitFor();
  assert.equal(await adminPage.getByLabel('Client secret', { exact: true }).getAttribute('aria-required'), 'false');
  await adminPage.getByLabel('Issuer URL').fill('https://other.example.net');
  const secret = adminPage.getByLabel('Client secret (required)', { exact: true });
  assert.equal(await secret.getAttribute('aria-required'), 'true');
  await adminPage.getByText('The issuer changed: enter the client secret again for the new provider.', { exact: false }).waitFor();
  await adminPage.getByRole('button', { name: 'Save', exact: true }).click();
  // The browser holds the form back until the secret is typed (the API refuses it too: 422 at upstream.client_secret).
  assert.equal(await secret.evaluate((el) => el.validity.valueMissing), true);
  const kept = await (await admin.request.get(`${quarry.base}/api/v1/authorization-server`)).json();
  assert.equal(kept.upstream.issuer, 'https://idp.example.com', 'nothing was saved');
  assert.deepEqual(errors, []);
});
