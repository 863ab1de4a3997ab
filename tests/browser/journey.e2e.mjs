// The whole journey of a new user, as one test in Debian's chromium, against a
// control plane of its own with the `local` deploy target (a real
// quarry-runtime child), a real PostgreSQL database, and the official Python MCP
// client (PyPI `mcp`, from the venv stage 50 makes): setup → a PostgreSQL
// connection → test it → its schema → a tool with completion → preview → save →
// a token (shown once) and bearer auth → deploy → the Claude Code config copied →
// the client calls the tool with the token → the release is listed → the SQL
// changes → the undeployed banner → redeploy → the client sees the new result →
// roll back → the client sees the old one → the token's last use (time, address) on the Server page. Fails as soon as any step fails.
// Needs: the debug `quarry` and `quarry-runtime`, ui/dist, PostgreSQL, and
// JOURNEY_PYTHON (a python with `mcp`); scripts/ci/50-deploy-e2e.sh runs it (the name keeps it out of
// stage 30's `node --test`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, sameOriginOnly, SCREENSHOTS } from './browser.mjs';
import { REPO, freePort, startQuarry } from './server.mjs';

const TARGET = process.env.CARGO_TARGET_DIR ?? join(REPO, 'target');
const PYTHON = process.env.JOURNEY_PYTHON ?? join(REPO, '.cache', 'venv-e2e', 'bin', 'python');
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const DB = `quarry_journey_${process.pid}`;
const ADMIN = { username: 'journey-admin', password: 'journey-password-1' };

let quarry;
let browser;
let page;
let runtimePort;
const foreign = [];
const errors = [];

function psql(database, sql) {
  return execFileSync('psql', ['-h', PG.host, '-p', String(PG.port), '-U', PG.user, '-d', database, '-v', 'ON_ERROR_STOP=1',
    '-qAtc', sql], { encoding: 'utf8' });
}

/** The tool's text result through the Python MCP client, retried while the runtime picks the release up. */
async function callTool(url, token, tool, args, expect) {
  let last = '';
  for (let i = 0; i < 60; i++) {
    try {
      last = execFileSync(PYTHON, [join(REPO, 'tests', 'e2e', 'journey_client.py'), url, token, tool, JSON.stringify(args)],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
      if (expect(last)) return last;
    } catch (e) {
      last = String(e.stderr || e.message);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`the MCP client never saw the expected result; last: ${last}`);
}

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  psql('postgres', `DROP DATABASE IF EXISTS ${DB}`);
  psql('postgres', `CREATE DATABASE ${DB}`);
  psql(DB, `CREATE TABLE products (id int PRIMARY KEY, title text NOT NULL, price numeric(8,2) NOT NULL);
    INSERT INTO products VALUES (1, 'Lamp', 19.90), (2, 'Desk', 149.00), (3, 'Chair', 79.50)`);
  runtimePort = await freePort();
  quarry = await startQuarry({ name: 'journey', env: {
    QUARRY_DEPLOY_TARGET: 'local', QUARRY_RUNTIME_BIND: `127.0.0.1:${runtimePort}`,
    QUARRY_RUNTIME_BIN: join(TARGET, 'debug', 'quarry-runtime'),
  } });
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: quarry.base });
  page = await context.newPage();
  await sameOriginOnly(page, quarry.base, foreign);
  page.on('pageerror', (e) => errors.push(String(e)));
});

after(async () => {
  await browser?.close();
  quarry?.stop();
  try { psql('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`); } catch { /* already gone */ }
});

const nav = (name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
const shot = (name) => page.screenshot({ path: join(SCREENSHOTS, `journey-${name}.png`), fullPage: true });
const banner = () => page.locator('.undeployed-banner');

test('a new user goes from setup to a tool an MCP client calls, changes it, redeploys and rolls back', async () => {
  // Setup.
  await page.goto(quarry.base + '/', { waitUntil: 'networkidle' });
  await page.getByRole('heading', { name: 'Create the admin account' }).waitFor();
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Confirm password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create admin' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();

  // A PostgreSQL connection, tested.
  await nav('Connections');
  await page.getByRole('link', { name: 'New connection' }).click();
  await page.getByLabel('Name', { exact: true }).fill('shop');
  await page.getByLabel('Database type').selectOption('postgresql');
  await page.getByLabel('Host').fill(PG.host);
  await page.getByLabel('Port').fill(String(PG.port));
  await page.getByLabel('Database', { exact: true }).fill(DB);
  await page.getByLabel('Username').fill(PG.user);
  await page.getByRole('button', { name: 'Create connection' }).click();
  await page.getByText('Saved connection “shop”.').waitFor();
  const row = page.getByRole('row', { name: /shop/ });
  await row.getByRole('button', { name: 'Test' }).click();
  await row.getByRole('status').filter({ hasText: /✓ \d+ ms/ }).waitFor();
  await shot('connection');

  // A tool: schema, completion, preview, save.
  await nav('Tools');
  await page.getByRole('link', { name: 'New tool' }).click();
  await page.getByLabel('Connection', { exact: true }).selectOption({ label: 'shop (postgresql)' });
  await page.getByLabel('Name', { exact: true }).fill('product_price');
  await page.getByLabel('Description', { exact: true }).fill('The price of a product, by id.');
  await browseSchemaAndWriteSql();
  await page.getByRole('button', { name: 'Detect from SQL' }).click();
  await page.getByLabel('Parameter 1 type').selectOption('integer');
  await page.getByLabel('Preview value for id').fill('2');
  await page.getByRole('button', { name: 'Run preview' }).click();
  await page.getByRole('status').filter({ hasText: /1 row in \d+ ms/ }).waitFor();
  assert.match(await page.getByRole('table', { name: 'Preview rows' }).innerText(), /Desk\s+149/);
  await shot('tool');
  await page.getByRole('button', { name: 'Create tool' }).click();
  await page.getByText('Saved tool “product_price”.').waitFor();

  // A token, shown once, and bearer auth.
  await nav('Server');
  const tokens = page.getByRole('region', { name: 'MCP tokens' });
  await tokens.getByLabel('Token name').fill('journey');
  await tokens.getByRole('button', { name: 'Create token' }).click();
  const token = await page.getByTestId('new-token').innerText();
  assert.match(token, /^qry_[0-9a-f]{64}$/);
  const unused = page.getByRole('table', { name: 'MCP tokens' }).getByRole('row').filter({ hasText: 'journey' });
  await unused.getByText('not seen').waitFor();
  const settings = page.getByRole('form', { name: 'Settings' });
  await settings.getByRole('radio', { name: 'Bearer token' }).check();
  await settings.getByRole('button', { name: 'Save settings' }).click();
  await settings.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

  // Deploy.
  await nav('Deploy');
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Release #1 published' }).waitFor();
  await page.locator('[data-status="running"]').waitFor({ timeout: 30_000 });
  await shot('deployed');

  // The Claude Code config, copied, names the URL; the client calls the tool with the token.
  await nav('Server');
  const connect = page.getByRole('region', { name: 'Connect a client' });
  await connect.getByRole('tab', { name: 'Claude Code' }).click();
  await connect.getByRole('button', { name: 'Copy Claude Code configuration' }).click();
  const command = await page.evaluate(() => navigator.clipboard.readText());
  const url = command.match(/(https?:\/\/\S+\/mcp)/)?.[1];
  assert.equal(url, `http://127.0.0.1:${runtimePort}/mcp`, command);
  const first = await callTool(url, token, 'product_price', { id: 2 }, (t) => t.includes('Desk'));
  assert.match(first, /149/);
  await assert.rejects(async () => execFileSync(PYTHON, [join(REPO, 'tests', 'e2e', 'journey_client.py'), url, 'qry_wrong',
    'product_price', '{"id": 2}'], { stdio: 'pipe' }), 'a wrong token is refused');

  // The release is listed.
  await nav('Releases');
  await page.getByRole('table', { name: 'Releases' }).locator('[data-release="1"]').getByText('active').waitFor();

  // Change the SQL: the banner appears; redeploy; the client sees the new result.
  await nav('Tools');
  await page.getByRole('table', { name: 'Tools' }).getByRole('link', { name: 'product_price' }).click();
  await page.getByRole('heading', { name: 'Tool product_price' }).waitFor();
  const editor = page.getByRole('textbox', { name: 'SQL' });
  await editor.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('SELECT upper(title) AS title, price FROM products WHERE id = :id');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Save tool' }).click();
  await page.getByText('Saved tool “product_price”.').waitFor();
  await banner().getByText('You have changes that are not deployed yet.').waitFor({ timeout: 15_000 });
  await shot('undeployed');
  await banner().getByRole('link', { name: 'Review and deploy' }).click();
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  await page.getByRole('status').filter({ hasText: /Release #2 published/ }).waitFor();
  await callTool(url, token, 'product_price', { id: 2 }, (t) => t.includes('DESK'));

  // Roll back to release 1: the client sees the old result again.
  await nav('Releases');
  const releases = page.getByRole('table', { name: 'Releases' });
  await releases.locator('[data-release="1"]').getByRole('button', { name: 'Roll back to #1' }).click();
  await page.getByRole('alertdialog', { name: 'Roll back to release #1?' }).getByRole('button', { name: 'Redeploy #1' }).click();
  await page.getByRole('status').filter({ hasText: 'Release #1 is published again as release #3' }).waitFor();
  const back = await callTool(url, token, 'product_price', { id: 2 }, (t) => t.includes('Desk') && !t.includes('DESK'));
  assert.match(back, /Desk/);
  await shot('rolled-back');

  // The runtime reports the token's use with its heartbeat (one per long poll, so within ~25 s); then the
  // Tokens card says when and from where.
  for (let i = 0; ; i++) {
    const config = await (await page.request.get(`${quarry.base}/api/v1/server/config`)).json();
    if (config.tokens.some((t) => t.name === 'journey' && t.last_used_at)) break;
    assert.ok(i < 80, `no heartbeat reported the token's use: ${JSON.stringify(config.tokens)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await nav('Server');
  await page.reload({ waitUntil: 'networkidle' });
  const used = page.getByRole('table', { name: 'MCP tokens' }).getByRole('row').filter({ hasText: 'journey' });
  await used.getByText(/from 127\.0\.0\.1/).waitFor();
  assert.doesNotMatch(await used.innerText(), /not seen/, 'a used token no longer reads as unseen');
  await used.scrollIntoViewIfNeeded();
  await shot('token-last-used');

  assert.deepEqual(foreign, [], 'requests to another origin');
  assert.deepEqual(errors, [], 'page errors');
});

/** Browses the connection's schema in the explorer and writes the tool's SQL with the editor's completion. */
async function browseSchemaAndWriteSql() {
  const explorer = page.getByRole('navigation', { name: 'Schema explorer' });
  await explorer.getByRole('button', { name: 'Show columns of products' }).click();
  await explorer.getByText('price').waitFor();
  const editor = page.getByRole('textbox', { name: 'SQL' });
  assert.equal(await editor.getAttribute('contenteditable'), 'true', 'the code editor, not the fallback text area');
  await editor.click();
  await page.keyboard.type('SELECT title, price FROM prod');
  await accept('products');
  await page.keyboard.type(' WHERE id = :id');
  await page.keyboard.press('Escape');
  assert.equal((await editor.innerText()).trim(), 'SELECT title, price FROM products WHERE id = :id');
}

/** Waits for the completion list to offer `label` first, then accepts it. */
async function accept(label) {
  const selected = page.locator('.cm-tooltip-autocomplete li[aria-selected="true"]');
  await selected.filter({ hasText: new RegExp(`^${label}`) }).waitFor();
  await page.waitForTimeout(200); // CodeMirror ignores keys for a moment after the list opens
  await shot('completion');
  await page.keyboard.press('Enter');
}
