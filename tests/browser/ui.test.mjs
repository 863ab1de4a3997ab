// The web UI end to end in a real browser against a fresh control plane:
// first-run setup, a SQLite connection and a tool made through the forms, with
// "Detect from SQL" filling in the parameter; a PostgreSQL connection whose
// test warns that its login is a superuser (the real server, TEST_POSTGRES_URL); an edit that moves a stored
// password to another host is confirmed in a dialog first. Needs the UI built into ui/dist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { launch, sameOriginOnly, SCREENSHOTS } from './browser.mjs';
import { sqliteDb } from './server.mjs';

const BASE = process.env.QUARRY_URL;
if (!BASE) throw new Error('set QUARRY_URL to a running Quarry, e.g. http://127.0.0.1:3000');

const ADMIN = { username: 'admin', password: 'correct-horse-battery' };
const DB_FILE = '/tmp/quarry-ui-test.db';

let browser;
let page;
const foreign = [];
const errors = [];

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // The database the SQLite connection points at, with the table the tool reads.
  rmSync(DB_FILE, { force: true });
  sqliteDb(DB_FILE, [
    `CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, note TEXT)`,
    `INSERT INTO users VALUES (1, 'Ada', ''), (2, 'Grace', '')`,
  ]);
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  await sameOriginOnly(page, BASE, foreign);
  page.on('pageerror', (e) => errors.push(String(e)));
  // The 422 and 409 this test provokes on purpose are logged by chromium as "Failed to load resource".
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()));
});
after(async () => browser?.close());

/** The API as the logged-in browser sees it (same cookie jar). */
async function apiGet(path) {
  const res = await page.request.get(BASE + path);
  assert.equal(res.status(), 200, `GET ${path}`);
  return res.json();
}

test('a fresh server shows first-run setup, which creates the admin and logs in', async () => {
  const res = await page.goto(BASE + '/', { waitUntil: 'networkidle' });
  assert.equal(res.status(), 200);
  await page.getByRole('heading', { name: 'Create the admin account' }).waitFor();
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Confirm password').fill(ADMIN.password);
  await page.screenshot({ path: `${SCREENSHOTS}/ui-setup.png` });
  await page.getByRole('button', { name: 'Create admin' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  assert.equal(await page.getByRole('link', { name: ADMIN.username }).count(), 1, 'the nav names the admin');
});

test('a SQLite connection is created through the form and listed', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click();
  await page.getByRole('link', { name: 'New connection' }).click();
  await page.getByLabel('Name', { exact: true }).fill('ui_sqlite');
  await page.getByLabel('Database type').selectOption('sqlite');
  assert.equal(await page.getByLabel('Host').count(), 0, 'SQLite needs no host');
  await page.getByLabel('Database file').fill(DB_FILE);
  await page.getByRole('button', { name: 'Create connection' }).click();
  await page.getByText('Saved connection “ui_sqlite”.').waitFor();
  const row = page.getByRole('row', { name: /ui_sqlite/ });
  assert.match(await row.innerText(), /sqlite[\s\S]*quarry-ui-test\.db/);
  await row.getByRole('button', { name: 'Test' }).click();
  const outcome = row.getByRole('status');
  await outcome.waitFor();
  assert.match(await outcome.innerText(), /✓ \d+ ms/, `the connection test succeeds: ${await outcome.getAttribute('title')}`);
  const { items } = await apiGet('/api/v1/connections');
  assert.deepEqual(items.map((c) => [c.name, c.db_type, c.database]), [['ui_sqlite', 'sqlite', DB_FILE]]);
});

test('a tool is created with its parameter detected from the SQL, and listed', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tools' }).click();
  await page.getByRole('link', { name: 'New tool' }).click();
  await page.getByLabel('Connection', { exact: true }).selectOption({ label: 'ui_sqlite (sqlite)' });
  await page.getByLabel('Name', { exact: true }).fill('get_user');
  await page.getByLabel('Description', { exact: true }).fill('Looks a user up by id.');
  await page.getByLabel('SQL', { exact: true }).fill("SELECT id, name FROM users WHERE id = :id AND note <> ':not_a_param' -- :nor_this");
  await page.getByRole('button', { name: 'Detect from SQL' }).click();
  await page.getByRole('status').filter({ hasText: 'Found :id.' }).waitFor();
  assert.equal(await page.getByTestId('param-row').count(), 1, 'one parameter row, for :id only');
  assert.equal(await page.getByLabel('Parameter 1 name').inputValue(), 'id');
  await page.getByLabel('Parameter 1 type').selectOption('integer');
  await page.getByLabel('Parameter 1 description').fill('The user id.');
  await page.getByLabel('Preview value for id').fill('2');
  await page.getByRole('button', { name: 'Run preview' }).click();
  await page.getByRole('status').filter({ hasText: /1 row in \d+ ms/ }).waitFor();
  assert.match(await page.getByRole('table', { name: 'Preview rows' }).innerText(), /2\s+Grace/);
  // The output schema the release will carry, collapsed under the result.
  const schema = page.getByTestId('preview-output-schema');
  assert.equal(await schema.evaluate((d) => d.open), false, 'collapsed at first');
  await schema.getByText('Output schema', { exact: true }).click();
  const shown = JSON.parse(await schema.getByTestId('output-schema-json').innerText());
  assert.deepEqual(shown.properties.columns.const, ['id', 'name'], JSON.stringify(shown));
  assert.deepEqual(shown.required, ['columns', 'row_count', 'truncated', 'rows']);
  await page.screenshot({ path: `${SCREENSHOTS}/ui-tool-form.png`, fullPage: true });
  await page.getByRole('button', { name: 'Create tool' }).click();

  await page.getByText('Saved tool “get_user”.').waitFor();
  const row = page.getByRole('table', { name: 'Tools' }).getByRole('row', { name: /get_user/ });
  const text = await row.innerText();
  assert.match(text, /ui_sqlite/, 'the list names the connection');
  assert.match(text, /\bid\b/, 'and the parameter');
  await page.screenshot({ path: `${SCREENSHOTS}/ui-tools-list.png` });

  const { items } = await apiGet('/api/v1/tools');
  assert.equal(items.length, 1);
  assert.deepEqual(items[0].parameters.map((p) => [p.name, p.type, p.required]), [['id', 'integer', true]]);
  assert.equal(items[0].annotations.read_only, true, 'read-only by default');
});

test('validation problems show next to the form and a stale edit offers a reload', async () => {
  await page.getByRole('table', { name: 'Tools' }).getByRole('link', { name: 'get_user' }).click();
  await page.getByRole('heading', { name: 'Tool get_user' }).waitFor();

  await page.getByLabel('Name', { exact: true }).fill('not a valid name!');
  await page.getByRole('button', { name: 'Save tool' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /name/, 'the problem names the field');

  // Someone else saves meanwhile: our version is stale.
  const [tool] = (await apiGet('/api/v1/tools')).items;
  const res = await page.request.patch(`${BASE}/api/v1/tools/${tool.id}`, {
    data: { description: 'Changed elsewhere.', version: tool.version },
    headers: { Origin: BASE },
  });
  assert.equal(res.status(), 200);
  await page.getByLabel('Name', { exact: true }).fill('get_user_renamed');
  await page.getByRole('button', { name: 'Save tool' }).click();
  await page.getByRole('button', { name: /Reload latest/ }).click();
  await page.getByText('version 2').waitFor();
  assert.equal(await page.getByLabel('Description', { exact: true }).inputValue(), 'Changed elsewhere.');
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'get_user');
});

test('logging out shows the login screen, and logging in returns to the page', async () => {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  assert.equal((await page.request.get(`${BASE}/api/v1/auth/me`)).status(), 401, 'the session is gone');
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Tool get_user' }).waitFor();
});

test('a PostgreSQL connection logging in as a superuser is tested with privilege warnings', async () => {
  const pg = new URL(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click();
  await page.getByRole('link', { name: 'New connection' }).click();
  await page.getByLabel('Name', { exact: true }).fill('ui_postgres');
  await page.getByLabel('Database type').selectOption('postgresql');
  await page.getByLabel('Host').fill(pg.hostname);
  await page.getByLabel('Port').fill(pg.port || '5432');
  await page.getByLabel('SSL mode').selectOption('disable');
  await page.getByLabel('Database', { exact: true }).fill(pg.pathname.slice(1) || 'postgres');
  await page.getByLabel('Username').fill(decodeURIComponent(pg.username));
  if (pg.password) await page.getByLabel('Password', { exact: true }).fill(decodeURIComponent(pg.password));
  assert.equal(await page.getByLabel('Read-only role').inputValue(), '', 'no read-only role by default');
  await page.getByRole('button', { name: 'Create connection' }).click();
  await page.getByText('Saved connection “ui_postgres”.').waitFor();
  const row = page.getByRole('row', { name: /ui_postgres/ });
  await row.getByRole('button', { name: 'Test' }).click();
  const warnings = row.getByRole('list', { name: 'Privilege warnings' });
  await warnings.waitFor();
  const text = await warnings.innerText();
  assert.match(text, /SUPERUSER/, 'the superuser login is named');
  assert.match(text, /pg_read_all_data/, 'and a read-only role is offered');
  assert.match(await row.getByRole('status').innerText(), /✓ \d+ ms/, 'the connection itself works');
  await page.screenshot({ path: `${SCREENSHOTS}/ui-connection-warnings.png`, fullPage: true });
});

test('moving a connection with a stored password asks first; cancel keeps the old address, confirm moves it', async () => {
  const pg = new URL(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const nav = () => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connections' }).click();
  await nav();
  await page.getByRole('link', { name: 'New connection' }).click();
  await page.getByLabel('Name', { exact: true }).fill('ui_moving');
  await page.getByLabel('Database type').selectOption('postgresql');
  await page.getByLabel('Host').fill('127.0.0.1');
  await page.getByLabel('Port').fill(pg.port || '5432');
  await page.getByLabel('SSL mode').selectOption('disable');
  await page.getByLabel('Database', { exact: true }).fill(pg.pathname.slice(1) || 'postgres');
  await page.getByLabel('Username').fill(decodeURIComponent(pg.username));
  await page.getByLabel('Password', { exact: true }).fill(decodeURIComponent(pg.password) || 'moving-secret-1');
  await page.getByRole('button', { name: 'Create connection' }).click();
  await page.getByText('Saved connection “ui_moving”.').waitFor();
  const stored = (await apiGet('/api/v1/connections?limit=100')).items.find((c) => c.name === 'ui_moving');
  assert.equal(stored.has_password, true);

  // Another host, the password field left empty: the form asks before sending the stored password there.
  await page.getByRole('link', { name: 'ui_moving' }).click();
  await page.getByLabel('Host').fill('localhost');
  await page.getByRole('button', { name: 'Save connection' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Send the stored password to the new address?' });
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /sent to localhost:5432/);
  await page.screenshot({ path: `${SCREENSHOTS}/ui-connection-keep-password.png` });
  // Escape (the dialog's focus starts on Cancel) cancels: nothing is saved and the form stays open.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.getByLabel('Host').inputValue(), 'localhost', 'the edit is still in the form');
  let now = await apiGet(`/api/v1/connections/${stored.id}`);
  assert.equal(now.host, '127.0.0.1', 'a cancelled move saves nothing');
  assert.equal(now.version, stored.version);

  // Confirmed: saved with the stored password kept, and the connection still works at its new address.
  await page.getByRole('button', { name: 'Save connection' }).click();
  await dialog.getByRole('button', { name: 'Keep the stored password' }).click();
  await page.getByText('Saved connection “ui_moving”.').waitFor();
  now = await apiGet(`/api/v1/connections/${stored.id}`);
  assert.equal(now.host, 'localhost');
  assert.equal(now.has_password, true, 'the stored password was kept');
  const row = page.getByRole('row', { name: /ui_moving/ });
  await row.getByRole('button', { name: 'Test' }).click();
  await row.getByRole('status').filter({ hasText: /✓ \d+ ms/ }).waitFor();
});

test('the UI made no request outside the server and raised no errors', () => {
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
});
