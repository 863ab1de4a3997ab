// The History page in a real browser, against its own control plane (so it
// never disturbs the shared one): a tool edited through the form shows two
// versions, the diff of the second names the old and new description, and a
// rollback (confirmed in a dialog) brings the old description back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, SCREENSHOTS } from './browser.mjs';
import { sqliteDb, startQuarry } from './server.mjs';

const ADMIN = { username: 'history-admin', password: 'history-password-1' };

let quarry;
let base;
let browser;
let page;
const errors = [];

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  quarry = await startQuarry({ name: 'history', admin: ADMIN, env: { QUARRY_DEPLOY_TARGET: 'kubernetes' } });
  base = quarry.base;
  const db = join(quarry.data, 'shop.db');
  sqliteDb(db, [
    `CREATE TABLE items (id INTEGER PRIMARY KEY)`,
  ]);
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  const login = await page.request.post(`${base}/api/v1/auth/login`, { data: ADMIN });
  assert.equal(login.status(), 200);
  const conn = await page.request.post(`${base}/api/v1/connections`, { data: { name: 'shop', db_type: 'sqlite', database: db } });
  assert.equal(conn.status(), 201);
  const tool = await page.request.post(`${base}/api/v1/tools`, {
    data: { connection_id: (await conn.json()).id, name: 'count_items', description: 'Counts the items.', sql_query: 'SELECT count(*) FROM items' },
  });
  assert.equal(tool.status(), 201);
});

after(async () => {
  await browser?.close();
  quarry?.stop();
});

test('an edited tool shows two versions, their diff, and rolls back to the old description', async () => {
  await page.goto(`${base}/tools`, { waitUntil: 'networkidle' });
  await page.getByRole('table', { name: 'Tools' }).getByRole('link', { name: 'count_items' }).click();
  await page.getByRole('heading', { name: 'Tool count_items' }).waitFor();
  await page.getByLabel('Description', { exact: true }).fill('Counts every item in the shop.');
  await page.getByRole('button', { name: 'Save tool' }).click();
  await page.getByText('Saved tool “count_items”.').waitFor();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
  await page.getByRole('heading', { name: 'History' }).waitFor();
  await page.getByLabel('Entity type').selectOption('tool');
  const table = page.getByRole('table', { name: 'History' });
  await table.getByRole('row', { name: /update/ }).waitFor();
  const rows = table.getByRole('row', { name: /count_items/ });
  assert.equal(await rows.count(), 2, 'two versions of the tool');
  await page.screenshot({ path: `${SCREENSHOTS}/history-list.png` });

  await page.getByRole('button', { name: 'Show changes of count_items v2' }).click();
  const diff = page.getByRole('table', { name: 'Differences' });
  const line = diff.getByRole('row', { name: /description/ });
  await line.waitFor();
  const text = await line.innerText();
  assert.match(text, /Counts the items\./, 'the old value is on the left');
  assert.match(text, /Counts every item in the shop\./, 'the new value is on the right');
  await page.screenshot({ path: `${SCREENSHOTS}/history-diff.png` });

  // The rollback needs the v1 entry: its snapshot is the old state.
  await page.getByRole('button', { name: 'Show changes of count_items v1' }).click();
  await page.getByRole('button', { name: 'Roll back to this version' }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/history-rollback-confirm.png` });
  await dialog.getByRole('button', { name: 'Yes, roll back' }).click();
  await page.getByRole('status').filter({ hasText: 'Rolled back: count_items is now v3' }).waitFor();
  await table.getByRole('row', { name: /rollback/ }).waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/history-rolled-back.png` });

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tools' }).click();
  await page.getByRole('table', { name: 'Tools' }).getByRole('link', { name: 'count_items' }).click();
  await page.getByRole('heading', { name: 'Tool count_items' }).waitFor();
  assert.equal(await page.getByLabel('Description', { exact: true }).inputValue(), 'Counts the items.');
  assert.deepEqual(errors, []);
});
