// Export / import in a real browser, against a Quarry of its own (an import
// rewrites the configuration, which would disturb the shared server of
// ui.test.mjs): download the document, upload a modified one, read the plan
// (a conflict first, highlighted, then a clean one), apply it and see the change.
// Needs the `quarry` binary built and the UI built into ui/dist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, pageApi, sameOriginOnly, SCREENSHOTS } from './browser.mjs';
import { startQuarry } from './server.mjs';

const ADMIN = { username: 'admin', password: 'export-import-horse' };

let quarry;
let data;
let BASE;
let browser;
let page;
const errors = [];
const foreign = [];

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  quarry = await startQuarry({ name: 'export-import', admin: ADMIN });
  BASE = quarry.base;
  data = quarry.data;
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  await sameOriginOnly(page, BASE, foreign);
  page.on('pageerror', (e) => errors.push(String(e)));
});

after(async () => {
  assert.deepEqual(foreign, [], 'requests to another origin');
  await browser?.close();
  quarry?.stop();
});

/** The API as the logged-in browser (same cookies, same origin). */
async function apiCall(method, path, body) {
  const { status, body: answer } = await pageApi(page, BASE, method, path, body);
  assert.ok(status >= 200 && status < 300, `${method} ${path}: ${status} ${JSON.stringify(answer)}`);
  return answer;
}

test('the admin logs in and the configuration to export exists', async () => {
  await page.goto(BASE + '/', { waitUntil: 'networkidle' });
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: /log in/i }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  const conn = await apiCall('POST', '/api/v1/connections', {
    name: 'shop', db_type: 'sqlite', database: join(data, 'shop.db'), password: 'browser-secret-value',
  });
  await apiCall('POST', '/api/v1/tools', {
    connection_id: conn.id, name: 'orders', description: 'Orders of a customer',
    sql_query: 'SELECT * FROM orders WHERE customer_id = :customer_id',
    parameters: [{ name: 'customer_id', type: 'integer', description: 'Customer id' }],
  });
});

let exported;

test('Download JSON saves the document, without the password, tools naming their connection', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Export / import' }).click();
  await page.getByRole('heading', { name: 'Export / import' }).waitFor();
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download JSON' }).click()]);
  assert.equal(file.suggestedFilename(), 'quarry-config.json');
  const text = readFileSync(await file.path(), 'utf8');
  assert.ok(!text.includes('browser-secret-value'), 'no password in the export');
  exported = JSON.parse(text);
  assert.equal(exported.format_version, 1);
  assert.deepEqual(exported.tools.map((t) => [t.name, t.connection]), [['orders', 'shop']]);
  await page.screenshot({ path: `${SCREENSHOTS}/export-import-page.png` });
});

/** Uploads `doc` as a file and waits for its plan. */
async function upload(doc, name) {
  const path = join(data, name);
  writeFileSync(path, JSON.stringify(doc, null, 2));
  await page.getByLabel('Document file (JSON)').setInputFiles(path);
  await page.getByRole('heading', { name: `Plan for ${name}` }).waitFor();
  return page.getByRole('table', { name: 'Import plan' });
}

test('a conflicting document shows the plan with the conflict highlighted and cannot be applied', async () => {
  const doc = structuredClone(exported);
  doc.tools[0].name = 'Orders';
  const table = await upload(doc, 'conflict.json');
  const row = table.getByRole('row', { name: /Orders/ });
  assert.match(await row.innerText(), /conflict[\s\S]*differs only in case/);
  assert.equal(await row.getAttribute('class'), 'plan-conflict');
  await page.getByText('Resolve the highlighted conflicts').waitFor();
  assert.ok(await page.getByRole('button', { name: 'Cannot apply: conflicts' }).isDisabled(), 'a plan with a conflict cannot be applied');
  await page.screenshot({ path: `${SCREENSHOTS}/export-import-conflict.png`, fullPage: true });
});

test('a modified document shows its plan, and applying it after confirming changes the store', async () => {
  const doc = structuredClone(exported);
  doc.tools[0].description = 'Orders of a customer, newest first';
  doc.prompts.push({ name: 'weekly_report', description: 'A weekly report', template: 'Write the weekly report.' });
  const table = await upload(doc, 'modified.json');
  assert.match(await table.getByRole('row', { name: /orders/ }).innerText(), /update[\s\S]*changes description/);
  assert.match(await table.getByRole('row', { name: /weekly_report/ }).innerText(), /create/);
  assert.match(await table.getByRole('row', { name: /shop/ }).innerText(), /unchanged[\s\S]*stored password is kept/);
  await page.screenshot({ path: `${SCREENSHOTS}/export-import-plan.png`, fullPage: true });

  const before = await apiCall('GET', '/api/v1/tools');
  assert.equal(before.items[0].description, 'Orders of a customer', 'the dry run changed nothing');

  await page.getByRole('button', { name: 'Apply 2 changes' }).click();
  await page.getByRole('button', { name: 'Yes, apply' }).click();
  await page.getByText('The import was applied: 1 created, 1 updated, 0 deleted.').waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/export-import-applied.png`, fullPage: true });

  const tools = await apiCall('GET', '/api/v1/tools');
  assert.equal(tools.items[0].description, 'Orders of a customer, newest first');
  const conns = await apiCall('GET', '/api/v1/connections');
  assert.equal(conns.items[0].has_password, true, 'the stored password survives');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Prompts' }).click();
  await page.getByRole('link', { name: 'weekly_report' }).waitFor();
  assert.deepEqual(errors, []);
});
