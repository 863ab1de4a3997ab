// The tool builder in a real browser, against its own control plane: SQL typed
// into the code editor with schema completion (a table, then a column through
// its alias), the `:name` placeholder highlighted (not the ones in a string or
// a comment), its parameter detected, Ctrl+Enter previews, Ctrl+S saves, leaving
// with unsaved edits asks first; the tool list's search and connection filter
// narrow it, and its switch disables a tool.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, pageApi, sameOriginOnly, SCREENSHOTS } from './browser.mjs';
import { sqliteDb, startQuarry } from './server.mjs';

const ADMIN = { username: 'builder-admin', password: 'builder-password-1' };

let quarry;
let base;
let browser;
let page;
const errors = [];
const foreign = [];

const api = (method, path, body) => pageApi(page, base, method, path, body);

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  quarry = await startQuarry({ name: 'builder', admin: ADMIN });
  base = quarry.base;
  const shop = join(quarry.data, 'shop.db');
  const other = join(quarry.data, 'other.db');
  sqliteDb(shop, [
    'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT)',
    'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL)',
    "INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com'), (2, 'Grace', 'grace@example.com')",
  ]);
  sqliteDb(other, ['CREATE TABLE stock (id INTEGER PRIMARY KEY)']);
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
  await sameOriginOnly(page, base, foreign);
  page.on('pageerror', (e) => errors.push(String(e)));
  assert.equal((await page.request.post(`${base}/api/v1/auth/login`, { data: ADMIN })).status(), 200);
  for (const [name, database] of [['shop', shop], ['other', other]]) {
    assert.equal((await api('POST', '/api/v1/connections', { name, db_type: 'sqlite', database })).status, 201);
  }
  const { body: conns } = await api('GET', '/api/v1/connections');
  const otherId = conns.items.find((c) => c.name === 'other').id;
  const made = await api('POST', '/api/v1/tools', { connection_id: otherId, name: 'other_stock', description: 'Stock rows.',
    sql_query: 'SELECT * FROM stock', tags: ['inventory'] });
  assert.equal(made.status, 201, JSON.stringify(made.body));
});

after(async () => {
  await browser?.close();
  quarry?.stop();
});

/** Waits for the completion list to offer `label` selected first, then accepts it with Enter. */
async function accept(label, screenshot) {
  const selected = page.locator('.cm-tooltip-autocomplete li[aria-selected="true"]');
  await selected.filter({ hasText: new RegExp(`^${label}`) }).waitFor();
  // CodeMirror ignores keys for a moment after the list (re)opens, so a stray Enter is not taken as a pick.
  await page.waitForTimeout(200);
  if (screenshot) await page.screenshot({ path: `${SCREENSHOTS}/${screenshot}` });
  await page.keyboard.press('Enter');
}

test('SQL is written with completion, its placeholder highlighted and detected, previewed with Ctrl+Enter, saved with Ctrl+S', async () => {
  await page.goto(`${base}/tools/new`, { waitUntil: 'networkidle' });
  await page.getByRole('heading', { name: 'New tool' }).waitFor();
  await page.getByLabel('Connection', { exact: true }).selectOption({ label: 'shop (sqlite)' });
  await page.getByLabel('Name', { exact: true }).fill('find_customer');
  await page.getByLabel('Description', { exact: true }).fill('Finds a customer by e-mail.');

  const editor = page.getByRole('textbox', { name: 'SQL' });
  await editor.waitFor();
  assert.equal(await editor.getAttribute('contenteditable'), 'true', 'the code editor, not the fallback text area');
  // The schema explorer lists the connection's tables.
  await page.getByRole('navigation', { name: 'Schema explorer' }).getByRole('button', { name: 'customers', exact: true }).waitFor();
  await editor.click();
  await page.keyboard.type('SELECT c.id, c.name FROM cust');
  await accept('customers');
  await page.keyboard.type(' c WHERE c.em');
  await accept('email', 'builder-completion.png');
  await page.keyboard.type(" = :email AND c.name <> ':not_me' -- :nor_me");
  await page.keyboard.press('Escape');
  const text = await editor.innerText();
  assert.equal(text.trim(), "SELECT c.id, c.name FROM customers c WHERE c.email = :email AND c.name <> ':not_me' -- :nor_me");
  const marks = await page.locator('.cm-sql-placeholder').allInnerTexts();
  assert.deepEqual(marks, [':email'], 'only the placeholder is marked, not the string or the comment');

  await page.getByRole('button', { name: 'Detect from SQL' }).click();
  await page.getByRole('status').filter({ hasText: 'Found :email.' }).waitFor();
  assert.equal(await page.getByLabel('Parameter 1 name').inputValue(), 'email');
  await page.getByLabel('Preview value for email').fill('grace@example.com');
  await editor.click();
  await page.keyboard.press('Control+Enter');
  await page.getByRole('status').filter({ hasText: /1 row in \d+ ms/ }).waitFor();
  assert.match(await page.getByRole('table', { name: 'Preview rows' }).innerText(), /2\s+Grace/);
  await page.screenshot({ path: `${SCREENSHOTS}/builder-editor.png`, fullPage: true });

  // Column completion inside the explorer: expanding a table shows its columns with types.
  const explorer = page.getByRole('navigation', { name: 'Schema explorer' });
  await explorer.getByRole('button', { name: 'Show columns of customers' }).click();
  await explorer.getByText('TEXT').first().waitFor();

  await editor.click();
  await page.keyboard.press('Control+s');
  await page.getByText('Saved tool “find_customer”.').waitFor();
  const { body } = await api('GET', '/api/v1/tools?search=find_customer');
  assert.equal(body.total, 1);
  assert.deepEqual(body.items[0].parameters.map((p) => p.name), ['email']);
});

test('leaving a tool with unsaved edits asks first', async () => {
  await page.getByRole('table', { name: 'Tools' }).getByRole('link', { name: 'find_customer' }).click();
  await page.getByRole('heading', { name: 'Tool find_customer' }).waitFor();
  // The saved tool's result columns, described by the database: what clients get as its output schema.
  const saved = (await api('GET', '/api/v1/tools?search=find_customer')).body.items[0];
  assert.deepEqual(saved.result_columns.map((c) => c.name), ['id', 'name'], 'described in the SELECT order');
  const columns = page.getByRole('table', { name: 'Result columns' });
  await columns.scrollIntoViewIfNeeded();
  const shown = (await columns.getByRole('row').allInnerTexts()).slice(1).map((r) => r.split('\t').map((x) => x.trim()));
  assert.deepEqual(shown, saved.result_columns.map((c) => [c.name, c.sql_type || 'any (typed by the bound value)',
    c.nullable === false ? 'no' : c.nullable === true ? 'yes' : 'unknown']));
  assert.deepEqual(shown.map((r) => r[1]), ['INTEGER', 'TEXT'], 'SQLite reports the declared types');
  await page.screenshot({ path: `${SCREENSHOTS}/builder-result-columns.png`, fullPage: true });
  await page.getByLabel('Description', { exact: true }).fill('Edited, not saved.');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tools' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Leave without saving?' });
  await dialog.waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/builder-unsaved-guard.png` });
  await dialog.getByRole('button', { name: 'Stay on this page' }).click();
  assert.equal(await page.getByLabel('Description', { exact: true }).inputValue(), 'Edited, not saved.', 'the edits stay');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tools' }).click();
  await dialog.getByRole('button', { name: 'Leave and discard changes' }).click();
  await page.getByRole('heading', { name: 'Tools' }).waitFor();
  assert.equal((await api('GET', '/api/v1/tools?search=find_customer')).body.items[0].description, 'Finds a customer by e-mail.');
});

test('the tool list narrows by search and connection, and its switch disables a tool', async () => {
  const table = page.getByRole('table', { name: 'Tools' });
  const rows = () => table.locator('tbody tr');
  await table.waitFor();
  assert.equal(await rows().count(), 2);
  await page.getByRole('searchbox', { name: 'Search tools' }).fill('E-MAIL');
  await page.waitForURL(/search=E-MAIL/);
  await table.getByRole('link', { name: 'other_stock' }).waitFor({ state: 'detached' });
  assert.deepEqual(await table.locator('tbody tr td:first-child a').allInnerTexts(), ['find_customer']);
  await page.getByRole('searchbox', { name: 'Search tools' }).fill('');
  await table.getByRole('link', { name: 'other_stock' }).waitFor();
  await page.getByLabel('Connection', { exact: true }).selectOption({ label: 'other' });
  await page.waitForURL(/connection=/);
  await table.getByRole('link', { name: 'find_customer' }).waitFor({ state: 'detached' });
  assert.deepEqual(await table.locator('tbody tr td:first-child a').allInnerTexts(), ['other_stock']);
  await page.screenshot({ path: `${SCREENSHOTS}/builder-tools-filtered.png` });
  await page.getByLabel('Connection', { exact: true }).selectOption({ label: 'All connections' });
  await table.getByRole('link', { name: 'find_customer' }).waitFor();

  const toggle = page.getByRole('switch', { name: 'Enabled: find_customer' });
  assert.equal(await toggle.getAttribute('aria-checked'), 'true');
  await toggle.click();
  await page.waitForFunction(() => document.querySelector('[aria-label="Enabled: find_customer"]')?.getAttribute('aria-checked') === 'false');
  const { body } = await api('GET', '/api/v1/tools?search=find_customer');
  assert.equal(body.items[0].is_enabled, false);
  assert.equal(body.items[0].version, 2);

  // A stale row (changed elsewhere) is a conflict that says so and offers a reload.
  const other = (await api('GET', '/api/v1/tools?search=other_stock')).body.items[0];
  assert.equal((await api('PATCH', `/api/v1/tools/${other.id}`, { description: 'Changed elsewhere.', version: other.version })).status, 200);
  await page.getByRole('switch', { name: 'Enabled: other_stock' }).click();
  const alert = page.getByRole('alert');
  await alert.filter({ hasText: 'changed elsewhere' }).waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/builder-tools-toggle-conflict.png` });
  await alert.getByRole('button', { name: /Reload/ }).click();
  await page.getByRole('switch', { name: 'Enabled: other_stock' }).click();
  await page.waitForFunction(() => document.querySelector('[aria-label="Enabled: other_stock"]')?.getAttribute('aria-checked') === 'false');
});

test('a resource\'s SQL uses the same editor', async () => {
  await page.goto(`${base}/resources/new`, { waitUntil: 'networkidle' });
  await page.getByLabel('Connection', { exact: true }).selectOption({ label: 'shop (sqlite)' });
  const editor = page.getByRole('textbox', { name: 'SQL' });
  await editor.click();
  await page.keyboard.type('SELECT * FROM ord');
  await accept('orders');
  await page.keyboard.type(' WHERE id = :id');
  assert.deepEqual(await page.locator('.cm-sql-placeholder').allInnerTexts(), [':id']);
  await page.screenshot({ path: `${SCREENSHOTS}/builder-resource.png`, fullPage: true });
});

test('the builder made no request outside the server and raised no errors', () => {
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
});
