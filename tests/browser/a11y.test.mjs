// Accessibility of every page, in both colour schemes: axe-core (injected from
// node_modules, never fetched) must report no serious or critical violation on
// the login page and on each page of the signed-in UI — every entry of the main
// navigation, the account page, and a tool's, resource's, prompt's and
// connection's edit page. Also checks that each page can be reached and left by
// keyboard (a focusable skip link and main landmark) and that nothing is
// requested from another origin. Runs against a control plane of its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { launch, sameOriginOnly, SCREENSHOTS } from './browser.mjs';
import { sqliteDb, startQuarry } from './server.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const ADMIN = { username: 'a11y-admin', password: 'a11y-password-1' };

let quarry;
let browser;
const foreign = [];

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  quarry = await startQuarry({ name: 'a11y', admin: ADMIN, env: { QUARRY_DEPLOY_TARGET: 'kubernetes' } });
  const db = join(quarry.data, 'shop.db');
  sqliteDb(db, [
    `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)`,
  ]);
  browser = await launch();
  const api = await browser.newContext();
  const call = async (path, data) => {
    const res = await api.request.post(quarry.base + path, { data });
    assert.ok(res.ok(), `${path}: ${res.status()} ${await res.text()}`);
    return res.json();
  };
  await call('/api/v1/auth/login', ADMIN);
  const conn = await call('/api/v1/connections', { name: 'shop', db_type: 'sqlite', database: db });
  await call('/api/v1/tools', {
    connection_id: conn.id, name: 'item_by_id', description: 'One item.', sql_query: 'SELECT * FROM items WHERE id = :id',
    parameters: [{ name: 'id', type: 'integer', required: true, description: 'The item id.' }],
  });
  await call('/api/v1/resources', {
    name: 'readme', description: 'Static text.', uri_template: 'docs://readme', static_content: 'hello', mime_type: 'text/plain',
  });
  await call('/api/v1/prompts', { name: 'summarise', description: 'Summarise.', template: 'Summarise {topic}.',
    arguments: [{ name: 'topic', description: 'What to summarise.', required: true }] });
  await api.close();
});

after(async () => {
  await browser?.close();
  quarry?.stop();
});

/** Serious and critical axe violations on the current page, as readable lines. */
async function violations(page) {
  // Evaluated, not added as a <script>: the page's CSP refuses inline scripts.
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

async function newPage(colorScheme) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme });
  const page = await context.newPage();
  await sameOriginOnly(page, quarry.base, foreign);
  return page;
}

/** Waits for the page's data: no "Loading" left and the network idle. */
async function settle(page) {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(() => !document.body.innerText.includes('Loading'), null, { timeout: 10_000 }).catch(() => {});
}

for (const colorScheme of ['dark', 'light']) {
  test(`every page has no serious accessibility violation (${colorScheme})`, async () => {
    const page = await newPage(colorScheme);
    const found = [];
    await page.goto(`${quarry.base}/`, { waitUntil: 'networkidle' });
    await page.getByLabel('Username').waitFor();
    found.push(...(await violations(page)).map((v) => `login: ${v}`));
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();

    const nav = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').evaluateAll(
      (links) => links.map((a) => new URL(a.href).pathname),
    );
    const edit = [];
    for (const list of ['/tools', '/resources', '/prompts', '/connections']) {
      await page.goto(quarry.base + list, { waitUntil: 'networkidle' });
      const href = await page.locator(`main table a[href^="${list}/"]`).first().getAttribute('href');
      edit.push(href);
    }
    const paths = [...new Set([...nav, '/account', '/tools/new', ...edit])];
    assert.ok(paths.length >= 9, `pages found: ${paths}`);
    for (const path of paths) {
      await page.goto(quarry.base + path, { waitUntil: 'networkidle' });
      await settle(page);
      found.push(...(await violations(page)).map((v) => `${path}: ${v}`));
      // Keyboard: the first Tab reaches the skip link, which leads to the main landmark.
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
      assert.equal(focused, 'Skip to content', `${path}: the first Tab should reach the skip link`);
      const name = path === '/' ? 'overview' : path.replace(/\/[0-9a-f-]{36}$/, '/edit').replace(/^\//, '').replace(/\//g, '-');
      await page.screenshot({ path: join(SCREENSHOTS, `a11y-${colorScheme}-${name}.png`), fullPage: true });
    }
    assert.deepEqual(found, [], `serious or critical accessibility violations:\n${found.join('\n')}`);
    assert.deepEqual(foreign, [], 'requests to another origin');
    await page.context().close();
  });
}
