// The Deploy and Releases pages in a real browser, against their own control
// plane (deploys change global state). The `kubernetes` target needs no
// runtime binary and still publishes releases; a heartbeat sent with the
// runtime token stands in for a runtime. Covers: the undeployed-changes
// banner, deploying from the page, status, instances and the live log (with
// a reconnect after the server restarts), a second deploy after an edit, the
// release diff with its SQL line diff, a rollback confirmed in a dialog, and a
// refused deploy whose problems link to what to fix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, SCREENSHOTS } from './browser.mjs';
import { sqliteDb, startQuarry } from './server.mjs';

const ADMIN = { username: 'deploy-admin', password: 'deploy-password-1' };
const RUNTIME_TOKEN = 'deploy-test-runtime-token';
const OLD_SQL = 'SELECT count(*) AS n\nFROM items';
const NEW_SQL = 'SELECT count(*) AS n\nFROM items\nWHERE price > 10';

let quarry;
let base;
let browser;
let page;
let toolId;
let connId;
let dbPath;
const errors = [];

/** What a runtime serving `release` would report. */
async function heartbeat(release, connectionsDown = []) {
  const r = await fetch(`${base}/api/v1/runtime/heartbeat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${RUNTIME_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ instance_id: 'runtime-pod-1', runtime_version: '0.1.0-test', release, status: 'running',
      connections_down: connectionsDown }),
  });
  assert.equal(r.status, 204, await r.text());
}

async function patch(path, body) {
  const current = await (await page.request.get(`${base}${path}`)).json();
  const r = await page.request.patch(`${base}${path}`, { data: { ...body, version: current.version } });
  assert.equal(r.status(), 200, await r.text());
}

const nav = (name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
const banner = () => page.locator('.undeployed-banner');

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  quarry = await startQuarry({ name: 'deploy', admin: ADMIN,
    env: { QUARRY_DEPLOY_TARGET: 'kubernetes', QUARRY_RUNTIME_TOKEN: RUNTIME_TOKEN } });
  base = quarry.base;
  const db = join(quarry.data, 'shop.db');
  dbPath = db;
  sqliteDb(db, [
    `CREATE TABLE items (id INTEGER PRIMARY KEY, price REAL)`,
  ]);
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  const login = await page.request.post(`${base}/api/v1/auth/login`, { data: ADMIN });
  assert.equal(login.status(), 200);
  const conn = await page.request.post(`${base}/api/v1/connections`, { data: { name: 'shop', db_type: 'sqlite', database: db } });
  assert.equal(conn.status(), 201);
  connId = (await conn.json()).id;
  const tool = await page.request.post(`${base}/api/v1/tools`, {
    data: { connection_id: connId, name: 'count_items', description: 'Counts the items.', sql_query: OLD_SQL },
  });
  assert.equal(tool.status(), 201);
  toolId = (await tool.json()).id;
});

after(async () => {
  await browser?.close();
  quarry?.stop();
});

test('deploying from the page publishes release 1, shows status, instances and the log, and clears the banner', async () => {
  await page.goto(`${base}/tools`, { waitUntil: 'networkidle' });
  await banner().getByText('Nothing is deployed yet').waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/deploy-banner.png` });

  await banner().getByRole('link', { name: 'Review and deploy' }).click();
  await page.getByRole('heading', { name: 'Deploy', level: 1 }).waitFor();
  await page.locator('[data-status="stopped"]').waitFor();
  await page.locator('[data-stream="open"]').waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/deploy-before.png` });

  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Release #1 published' }).waitFor();
  // Bearer auth is the default: the first deploy minted a token and shows it once.
  const minted = await page.getByTestId('minted-token').innerText();
  assert.match(minted, /^qry_[0-9a-f]{64}$/);
  const log = page.getByRole('log', { name: 'Log lines' });
  await log.getByText('Release 1 published').waitFor();
  await log.getByText('Deploy started: validating the store.').waitFor();

  await heartbeat(1);
  await page.locator('[data-status="running"]').waitFor({ timeout: 15_000 });
  const instances = page.getByRole('table', { name: 'Runtime instances' });
  await instances.getByRole('row', { name: /runtime-pod-1/ }).waitFor();
  assert.equal(await banner().count(), 0, 'nothing left to deploy');
  await page.screenshot({ path: `${SCREENSHOTS}/deploy-running.png`, fullPage: true });

  // Filtering by source hides the deploy lines; pausing holds new ones aside.
  await page.getByRole('checkbox', { name: 'deploy' }).uncheck();
  await log.getByText('No line matches the filter.').waitFor();
  await page.getByRole('checkbox', { name: 'deploy' }).check();
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('button', { name: 'Deploy', exact: true }).click(); // nothing changed: a deploy all the same
  await page.getByRole('button', { name: /Resume \(\d+ new\)/ }).waitFor();
  assert.equal(await log.getByText('Release 2 published').count(), 0, 'held while paused');
  await page.screenshot({ path: `${SCREENSHOTS}/deploy-log-paused.png` });
  await page.getByRole('button', { name: /Resume/ }).click();
  await log.getByText('Release 2 published').waitFor();
  // A runtime whose database does not answer: still running, the connection named on its row.
  await heartbeat(2, ['shop']);
  const row = instances.getByRole('row', { name: /runtime-pod-1/ });
  await row.getByText('database down').waitFor({ timeout: 15_000 });
  assert.match(await row.innerText(), /shop did not answer its health probe/);
  await page.locator('[data-status="running"]').waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/deploy-connection-down.png`, fullPage: true });
  await heartbeat(2);
  await row.getByText('database down').waitFor({ state: 'detached', timeout: 15_000 });
});

test('the log stream shows "reconnecting" when the server goes away and follows again when it is back', async () => {
  await quarry.kill();
  await page.locator('[data-stream="reconnecting"]').waitFor({ timeout: 15_000 });
  await page.getByRole('log', { name: 'Log lines' }).getByText('The log stream was interrupted; reconnecting…').waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/deploy-log-reconnecting.png` });
  await quarry.start();
  await page.getByRole('button', { name: 'Reconnect now' }).click().catch(() => { /* it may have reconnected already */ });
  await page.locator('[data-stream="open"]').waitFor({ timeout: 40_000 });
  await page.getByRole('log', { name: 'Log lines' }).getByText(/Reconnected to the log stream/).waitFor();
  await page.getByRole('log', { name: 'Log lines' }).getByText('Resuming release 2.').waitFor();
});

test('an edited tool brings the banner back; the next deploy and the release diff show the SQL change', async () => {
  await page.goto(`${base}/tools/${toolId}`, { waitUntil: 'networkidle' });
  await page.getByRole('heading', { name: 'Tool count_items' }).waitFor();
  assert.equal(await banner().count(), 0);
  await page.getByLabel('SQL', { exact: true }).fill(NEW_SQL);
  await page.getByRole('button', { name: 'Save tool' }).click();
  await page.getByText('Saved tool “count_items”.').waitFor();
  await banner().getByText('You have changes that are not deployed yet.').waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/deploy-banner-after-edit.png` });

  await banner().getByRole('link', { name: 'Review and deploy' }).click();
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Release #3 published with 1 change' }).waitFor();
  await banner().waitFor({ state: 'detached' });

  await nav('Releases');
  const table = page.getByRole('table', { name: 'Releases' });
  await table.locator('[data-release="3"]').getByText('active').waitFor();
  assert.equal(await table.locator('tbody tr').count(), 3);
  await page.screenshot({ path: `${SCREENSHOTS}/releases-list.png`, fullPage: true });

  await table.locator('[data-release="3"]').getByRole('link', { name: 'Diff' }).click();
  await page.getByRole('heading', { name: 'Release #3' }).waitFor();
  await page.getByText('From release #2 to #3: 1 difference').waitFor();
  const sql = page.getByRole('table', { name: 'sql of Tool count_items' });
  await sql.locator('tr.diff-add', { hasText: 'WHERE price > 10' }).waitFor();
  assert.equal(await sql.locator('tr.diff-same').count(), 2, 'the two unchanged lines');
  await page.screenshot({ path: `${SCREENSHOTS}/releases-diff.png`, fullPage: true });

  // Against release 1 (the first deploy) the same change shows; release 1 against nothing lists everything.
  await page.getByLabel('Compare with').selectOption('1');
  await page.getByText('From release #1 to #3: 1 difference').waitFor();
  await page.goto(`${base}/releases/1`, { waitUntil: 'networkidle' });
  await page.getByText(/Everything in release #1/).waitFor();
  await page.locator('[data-kind="connection"][data-name="shop"]').waitFor();
});

test('a rollback asks in a dialog, then publishes the old release again', async () => {
  await nav('Releases');
  const table = page.getByRole('table', { name: 'Releases' });
  await table.locator('[data-release="1"]').getByRole('button', { name: 'Roll back to #1' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Roll back to release #1?' });
  await dialog.waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/releases-rollback-confirm.png` });
  await dialog.getByRole('button', { name: 'Redeploy #1' }).click();
  await page.getByRole('status').filter({ hasText: 'Release #1 is published again as release #4' }).waitFor();
  const row = table.locator('[data-release="4"]');
  await row.getByText('rollback to #1').waitFor();
  await row.getByText('active').waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/releases-rolled-back.png`, fullPage: true });
  // The editor still holds the new SQL: the store differs from what is served.
  await banner().getByText('You have changes that are not deployed yet.').waitFor({ timeout: 15_000 });
});

test('stopping asks first; a refused deploy lists every problem next to its entity with a link to fix it', async () => {
  await nav('Deploy');
  await page.getByRole('button', { name: 'Stop' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Stop serving?' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Stop the runtime' }).click();
  await page.getByRole('status').filter({ hasText: 'Stopped: nothing is published' }).waitFor();
  await page.locator('[data-status="stopped"]').waitFor();

  await patch(`/api/v1/connections/${connId}`, { is_active: false });
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  const problems = page.locator('.deploy-problems');
  await problems.getByText(/Nothing was deployed: \d+ problems? to fix first/).waitFor();
  const tool = problems.locator('[data-entity="tool:count_items"]');
  await tool.getByText('tools.count_items.connection_id').waitFor();
  const edit = tool.getByRole('link', { name: 'Edit tool count_items' });
  await edit.waitFor();
  assert.equal(await edit.getAttribute('href'), `/tools/${toolId}`);
  await page.screenshot({ path: `${SCREENSHOTS}/deploy-refused.png`, fullPage: true });

  await edit.click();
  await page.getByRole('heading', { name: 'Tool count_items' }).waitFor();
  assert.deepEqual(errors, []);
});

test('a rollback to a release the database no longer fits is refused, naming the tool and what changed', async () => {
  await patch(`/api/v1/connections/${connId}`, { is_active: true });
  const created = await page.request.post(`${base}/api/v1/tools`, {
    data: { connection_id: connId, name: 'list_items', description: 'Lists the items.', sql_query: 'SELECT id, price FROM items' },
  });
  assert.equal(created.status(), 201, await created.text());
  const listId = (await created.json()).id;
  await nav('Deploy');
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  const published = page.getByRole('status').filter({ hasText: /Release #\d+ published/ });
  await published.waitFor();
  const fitted = Number((await published.innerText()).match(/Release #(\d+)/)[1]);
  // `price` becomes text: the number schema release `fitted` carries no longer holds.
  sqliteDb(dbPath, ['ALTER TABLE items DROP COLUMN price', 'ALTER TABLE items ADD COLUMN price TEXT']);
  const removed = await page.request.delete(`${base}/api/v1/tools/${listId}`, { headers: { 'x-quarry-request': '1' } });
  assert.equal(removed.status(), 204, await removed.text());
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  await page.getByRole('status').filter({ hasText: `Release #${fitted + 1} published` }).waitFor();

  await nav('Releases');
  const table = page.getByRole('table', { name: 'Releases' });
  await table.locator(`[data-release="${fitted}"]`).getByRole('button', { name: `Roll back to #${fitted}` }).click();
  await page.getByRole('alertdialog', { name: `Roll back to release #${fitted}?` })
    .getByRole('button', { name: `Redeploy #${fitted}` }).click();
  const refusal = page.getByRole('alert').filter({ hasText: `Release #${fitted} was not redeployed, nothing changed:` });
  await refusal.waitFor();
  await refusal.locator('code', { hasText: 'tools.list_items.sql_query' }).waitFor();
  assert.match(await refusal.innerText(), /`price` TEXT|no longer holds/);
  assert.ok(!(await refusal.innerText()).includes('save again'), 'a rollback is not a form to save');
  await table.locator(`[data-release="${fitted + 1}"]`).getByText('active').waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/releases-rollback-refused.png`, fullPage: true });
  assert.deepEqual(errors, []);
});
