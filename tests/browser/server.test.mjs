// The Server page in a real browser, against a Quarry of its own (it changes
// the global server settings, which would disturb the shared server of
// ui.test.mjs): a settings error shown next to its field, fixed and saved with
// global variables; an MCP token created (shown once, copied) and revoked; the
// client configs with the fresh token filled in, one copied; HTTPS status and
// an issuance refused by the (local, unreachable) ACME server; runtime health.
// Needs the `quarry` binary built ($CARGO_TARGET_DIR/debug/quarry) and the UI built into ui/dist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { launch, sameOriginOnly, SCREENSHOTS } from './browser.mjs';
import { freePort, startQuarry } from './server.mjs';

const ADMIN = { username: 'admin', password: 'server-page-horse' };

let quarry;
let data;
let BASE;
let browser;
let page;
const errors = [];
const offOrigin = [];

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const acmePort = await freePort();
  // Nothing listens at the ACME directory: an issuance fails at once, and nothing leaves this machine.
  quarry = await startQuarry({ name: 'server-page', admin: ADMIN,
    env: { QUARRY_ACME_DIRECTORY: `http://127.0.0.1:${acmePort}/directory` } });
  BASE = quarry.base;
  data = quarry.data;
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  page = await context.newPage();
  await sameOriginOnly(page, BASE, offOrigin);
  page.on('pageerror', (e) => errors.push(String(e)));
});

after(async () => {
  await browser?.close();
  quarry?.stop();
});

/** The API as the logged-in browser (same cookies, same origin). */
async function apiGet(path) {
  const res = await page.request.get(BASE + path);
  assert.ok(res.ok(), `GET ${path}: ${res.status()} ${await res.text()}`);
  return res.json();
}

const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
/** The `.field` around the control labelled `label`. */
const fieldOf = (label) => page.locator('.field').filter({ has: page.getByLabel(label, { exact: true }) });
const settings = () => page.getByRole('form', { name: 'Settings' });

test('the Server page opens from the navigation', async () => {
  await page.goto(BASE + '/', { waitUntil: 'networkidle' });
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: /log in/i }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Server', exact: true }).click();
  await page.getByRole('heading', { name: 'Server', exact: true }).waitFor();
  await page.getByLabel('Server name').waitFor();
  assert.equal(await page.getByLabel('Server name').inputValue(), 'Quarry');
  assert.equal(await page.getByLabel('Max rows').inputValue(), '1000');
  // Runtime health answers either way; nothing is deployed in this Quarry.
  await page.getByTestId('runtime-state').waitFor();
  assert.match(await page.getByTestId('runtime-state').innerText(), /Running|Not reachable/);
  await page.screenshot({ path: `${SCREENSHOTS}/server-page.png`, fullPage: true });
});

test('a refused setting is shown next to its field and on its variable row; nothing is saved', async () => {
  await page.getByLabel('Server name').fill('Sales DB');
  await page.getByLabel('Max rows').fill('0');
  await settings().getByRole('button', { name: 'Add variable' }).click();
  await page.getByLabel('Variable 1 name').fill('bad name');
  await page.getByLabel('Variable 1 value').fill('x');
  await settings().getByRole('button', { name: 'Save settings' }).click();
  await fieldOf('Max rows').locator('.field-problem', { hasText: 'must be 1–100000' }).waitFor();
  const row = page.locator('.var-row').filter({ has: page.getByLabel('Variable 1 name') });
  await row.locator('.field-problem', { hasText: /letters, digits or '_'/ }).waitFor();
  await settings().getByRole('alert').filter({ hasText: 'Please fix the following' }).waitFor();
  assert.equal(await settings().getByRole('status').filter({ hasText: 'Saved.' }).count(), 0, 'the optimistic note is taken back');
  const stored = await apiGet('/api/v1/server/config');
  assert.equal(stored.server_name, 'Quarry');
  assert.equal(stored.default_limits.max_rows, 1000);
  // A value that does not fit its type is caught before sending.
  await page.getByLabel('Variable 1 type').selectOption('integer');
  await page.getByLabel('Variable 1 value').fill('1.5');
  await settings().getByRole('button', { name: 'Save settings' }).click();
  await row.locator('.field-problem', { hasText: 'must be a whole number' }).waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/server-settings-error.png`, fullPage: true });
});

test('fixed settings with typed global variables are saved and read back', async () => {
  await page.getByLabel('Max rows').fill('500');
  await page.getByLabel('Public URL').fill('https://mcp.example.com');
  await settings().getByRole('radio', { name: 'Bearer token' }).check();
  await settings().getByRole('button', { name: 'Add host' }).click();
  await page.getByLabel('Allowed hosts 1').fill('mcp.example.com');
  await page.getByLabel('Variable 1 name').fill('limit');
  await page.getByLabel('Variable 1 value').fill('10');
  const add = async (n, name, type, value) => {
    await settings().getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel(`Variable ${n} name`).fill(name);
    await page.getByLabel(`Variable ${n} type`).selectOption(type);
    if (type === 'boolean') await page.getByLabel(`Variable ${n} value`).selectOption(value);
    else await page.getByLabel(`Variable ${n} value`).fill(value);
  };
  await add(2, 'currency', 'string', 'EUR');
  await add(3, 'rate', 'number', '0.2');
  await add(4, 'beta', 'boolean', 'true');
  await settings().getByRole('button', { name: 'Save settings' }).click();
  await settings().getByRole('status').filter({ hasText: 'Saved. Changes take effect with the next deploy.' }).waitFor();
  await page.waitForFunction(() => !document.querySelector('.field-problem'));
  const stored = await apiGet('/api/v1/server/config');
  assert.equal(stored.server_name, 'Sales DB');
  assert.equal(stored.default_limits.max_rows, 500);
  assert.equal(stored.auth_mode, 'bearer');
  assert.deepEqual(stored.allowed_hosts, ['mcp.example.com']);
  assert.deepEqual(stored.global_variables, { limit: 10, currency: 'EUR', rate: 0.2, beta: true });
  await page.screenshot({ path: `${SCREENSHOTS}/server-settings-saved.png`, fullPage: true });

  await page.reload({ waitUntil: 'networkidle' });
  await page.getByLabel('Variable 1 name').waitFor();
  assert.equal(await page.getByLabel('Variable 1 name').inputValue(), 'beta', 'rows come back sorted by name');
  assert.equal(await page.getByLabel('Variable 4 name').inputValue(), 'rate');
  assert.equal(await page.getByLabel('Variable 4 type').inputValue(), 'number');
  assert.equal(await page.getByLabel('Max rows').inputValue(), '500');
});

let token;

test('a created token is shown once and copied', async () => {
  const tokens = page.getByRole('region', { name: 'MCP tokens' });
  await tokens.getByLabel('Token name').fill('ci-bot');
  await tokens.getByRole('button', { name: 'Create token' }).click();
  const once = page.getByRole('status', { name: 'New token' });
  await once.waitFor();
  assert.match(await once.innerText(), /you will not see it again/);
  token = await page.getByTestId('new-token').innerText();
  assert.match(token, /^qry_[0-9a-f]{64}$/);
  await once.getByRole('button', { name: 'Copy token' }).click();
  await once.getByText('Token copied.').waitFor();
  assert.equal(await clipboard(), token);
  const row = page.getByRole('table', { name: 'MCP tokens' }).getByRole('row').filter({ hasText: 'ci-bot' });
  assert.match(await row.innerText(), new RegExp(token.slice(0, 8)));
  const stored = await apiGet('/api/v1/server/config');
  assert.ok(!JSON.stringify(stored).includes(token), 'the token itself is never returned again');
  await once.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENSHOTS}/server-token-created.png` });
});

test('client configs carry the fresh token on request; one is copied; VS Code gets a vscode: install link', async () => {
  const connect = page.getByRole('region', { name: 'Connect a client' });
  await connect.scrollIntoViewIfNeeded();
  assert.equal(await page.getByTestId('mcp-url').innerText(), 'https://mcp.example.com/mcp');
  const config = page.getByTestId('client-config');
  assert.equal(await config.innerText(),
    `claude mcp add --transport http sales-db https://mcp.example.com/mcp --header "Authorization: Bearer ${token}"`);
  await connect.getByLabel(/Fill in the token “ci-bot”/).uncheck();
  assert.match(await config.innerText(), /Bearer <YOUR_TOKEN>/);
  await connect.getByLabel(/Fill in the token “ci-bot”/).check();

  // Keyboard: arrows move between the client tabs.
  await connect.getByRole('tab', { name: 'Claude Code' }).focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await connect.getByRole('tab', { name: 'Cursor' }).getAttribute('aria-selected'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cursor');

  await connect.getByRole('tab', { name: 'Windsurf' }).click();
  const windsurf = JSON.parse(await config.innerText());
  assert.deepEqual(windsurf, {
    mcpServers: { 'sales-db': { serverUrl: 'https://mcp.example.com/mcp', headers: { Authorization: `Bearer ${token}` } } },
  });
  await connect.getByRole('button', { name: 'Copy Windsurf configuration' }).click();
  await connect.getByText('Windsurf configuration copied.').waitFor();
  assert.deepEqual(JSON.parse(await clipboard()), windsurf);

  await connect.getByRole('tab', { name: 'VS Code' }).click();
  const href = await connect.getByRole('link', { name: 'Install in VS Code' }).getAttribute('href');
  assert.ok(href.startsWith('vscode:mcp/install?'), href);
  assert.deepEqual(JSON.parse(decodeURIComponent(href.slice('vscode:mcp/install?'.length))), {
    name: 'sales-db', type: 'http', url: 'https://mcp.example.com/mcp', headers: { Authorization: `Bearer ${token}` },
  });
  await connect.getByRole('tab', { name: 'Windsurf' }).click();
  await connect.getByRole('button', { name: 'Copy Windsurf configuration' }).click();
  await connect.getByRole('button', { name: 'Copy Windsurf configuration' }).filter({ hasText: 'Copied' }).waitFor();
  await connect.screenshot({ path: `${SCREENSHOTS}/server-connect.png` });
});

test('a token is revoked after confirming', async () => {
  const tokens = page.getByRole('region', { name: 'MCP tokens' });
  await tokens.scrollIntoViewIfNeeded();
  const row = page.getByRole('table', { name: 'MCP tokens' }).getByRole('row').filter({ hasText: 'ci-bot' });
  await row.getByRole('button', { name: 'Revoke' }).click();
  await row.getByRole('button', { name: 'Yes, revoke ci-bot' }).click();
  await tokens.getByText('No tokens yet.').waitFor();
  assert.equal(await page.getByRole('status', { name: 'New token' }).count(), 0, 'the revoked token is no longer offered');
  assert.deepEqual((await apiGet('/api/v1/server/config')).tokens, []);
  // Without a fresh token the configs keep the placeholder.
  assert.match(await page.getByTestId('client-config').innerText(), /Bearer <YOUR_TOKEN>/);
  await tokens.screenshot({ path: `${SCREENSHOTS}/server-token-revoked.png` });
});

test('HTTPS status is shown; the issue form checks its input and shows the ACME failure', async () => {
  const tls = page.getByRole('region', { name: 'HTTPS certificate' });
  await tls.scrollIntoViewIfNeeded();
  await tls.getByText('Serving plain HTTP').waitFor();
  assert.equal(await tls.getByTestId('cert-status').innerText(), 'No certificate');
  const form = tls.getByRole('form', { name: 'Issue a certificate' });
  await form.getByRole('button', { name: 'Issue certificate' }).click();
  await fieldOf('Domains').getByText('give at least one domain').waitFor();
  await form.getByLabel('Domains').fill('mcp.example.com, not a domain');
  await form.getByRole('button', { name: 'Issue certificate' }).click();
  await fieldOf('Domains').getByText('not is not a DNS name such as mcp.example.com').waitFor();
  await tls.screenshot({ path: `${SCREENSHOTS}/server-tls-invalid.png` });

  await form.getByLabel('Domains').fill('mcp.example.com');
  await form.getByLabel('Contact email (optional)').fill('ops@example.com');
  await form.getByRole('button', { name: 'Issue certificate' }).click();
  await tls.getByRole('alert').filter({ hasText: /ACME/ }).first().waitFor({ timeout: 30_000 });
  await tls.getByText('The last issuance failed:').waitFor();
  await tls.screenshot({ path: `${SCREENSHOTS}/server-tls.png` });
});

test('no errors on the page and no request to another origin', () => {
  assert.deepEqual(errors, []);
  assert.deepEqual(offOrigin, []);
});
