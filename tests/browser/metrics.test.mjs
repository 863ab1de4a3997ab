// Metrics and the request log, end to end: a control plane of its own deploys a
// real quarry-runtime child (the `local` target) serving a SQLite tool; a real MCP
// exchange over streamable HTTP (initialize, notifications/initialized,
// tools/call with the bearer token) makes calls, one of them failing; once the
// runtime has delivered them (every 10 s), the Metrics page shows them per tool
// with a sparkline and the queue of the connection, the request log filters them
// by tool and opens one record in the drawer (the sensitive argument redacted,
// Escape closes it), and the overview counts them. Nothing is requested from
// another origin. Needs the debug `quarry` and `quarry-runtime` and ui/dist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, sameOriginOnly, SCREENSHOTS } from './browser.mjs';
import { REPO, freePort, sqliteDb, startQuarry } from './server.mjs';

const ADMIN = { username: 'metrics-admin', password: 'metrics-password-1' };
const RUNTIME_BIN = join(process.env.CARGO_TARGET_DIR ?? join(REPO, 'target'), 'debug', 'quarry-runtime');

let quarry;
let browser;
let page;
let mcpUrl;
let token;
const foreign = [];
const errors = [];

/** One JSON-RPC message to the runtime; the answer read from JSON or from the SSE stream's data lines. */
async function rpc(body, session) {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` };
  if (session) headers['mcp-session-id'] = session;
  const res = await fetch(mcpUrl, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  const data = text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).find((d) => d.startsWith('{'));
  return { status: res.status, session: res.headers.get('mcp-session-id'), body: data ? JSON.parse(data) : text ? JSON.parse(text) : null };
}

/** An MCP client session: initialize, then the initialized notification. Retried while the runtime starts. */
async function connect() {
  for (let i = 0; ; i++) {
    try {
      const init = await rpc({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {
        protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'metrics-test', version: '1' } } });
      if (init.status === 200 && init.body?.result?.serverInfo) {
        await rpc({ jsonrpc: '2.0', method: 'notifications/initialized' }, init.session);
        const listed = await rpc({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, init.session);
        if (listed.body?.result?.tools?.some((t) => t.name === 'item_by_id')) return init.session;
      }
    } catch { /* not up yet */ }
    assert.ok(i < 100, 'the runtime did not serve the tool');
    await new Promise((r) => setTimeout(r, 300));
  }
}

before(async () => {
  assert.ok(existsSync(RUNTIME_BIN), `build the runtime first: ${RUNTIME_BIN} is missing`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  const runtimePort = await freePort();
  quarry = await startQuarry({ name: 'metrics', admin: ADMIN, env: {
    QUARRY_DEPLOY_TARGET: 'local', QUARRY_RUNTIME_BIND: `127.0.0.1:${runtimePort}`, QUARRY_RUNTIME_BIN: RUNTIME_BIN,
  } });
  mcpUrl = `http://127.0.0.1:${runtimePort}/mcp`;
  const db = join(quarry.data, 'shop.db');
  sqliteDb(db, [
    `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, secret TEXT)`,
    `INSERT INTO items VALUES (1, 'Lamp', 'a'), (2, 'Desk', 'b'), (3, 'Chair', 'c')`,
  ]);
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  page = await context.newPage();
  await sameOriginOnly(page, quarry.base, foreign);
  page.on('pageerror', (e) => errors.push(String(e)));
  // Set up and deploy through the API with the page's session (the UI for that is tested elsewhere).
  const call = async (path, data) => {
    const res = await page.request.post(quarry.base + path, { data });
    assert.ok(res.ok(), `${path}: ${res.status()} ${await res.text()}`);
    return res.json();
  };
  await call('/api/v1/auth/login', ADMIN);
  const conn = await call('/api/v1/connections', { name: 'shop', db_type: 'sqlite', database: db });
  await call('/api/v1/tools', {
    connection_id: conn.id, name: 'item_by_id', description: 'One item.',
    sql_query: 'SELECT id, name FROM items WHERE id = :id AND secret <> :pin',
    parameters: [
      { name: 'id', type: 'integer', required: true, description: 'The item id.' },
      { name: 'pin', type: 'string', required: true, description: 'A secret.', sensitive: true },
    ],
  });
  const deployed = await call('/api/v1/deploy', {});
  token = deployed.token;
  assert.match(token ?? '', /^qry_/, 'the first deploy mints a token');
});

after(async () => {
  await browser?.close();
  quarry?.stop();
});

const shot = (name) => page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });

test('calls made by an MCP client show on the metrics page, in the request log and on the overview', async () => {
  const session = await connect();
  let id = 10;
  for (const item of [1, 2, 3, 2, 1]) {
    const r = await rpc({ jsonrpc: '2.0', id: id++, method: 'tools/call',
      params: { name: 'item_by_id', arguments: { id: item, pin: 'hunter2' } } }, session);
    assert.equal(r.status, 200);
    assert.ok(!r.body.result?.isError, JSON.stringify(r.body));
  }
  const bad = await rpc({ jsonrpc: '2.0', id: id++, method: 'tools/call',
    params: { name: 'item_by_id', arguments: { id: 'not a number', pin: 'hunter2' } } }, session);
  assert.ok(bad.body.error || bad.body.result?.isError, `a wrong argument fails: ${JSON.stringify(bad.body)}`);

  // The runtime delivers every 10 s; wait for the six calls to reach the store.
  for (let i = 0; ; i++) {
    const res = await page.request.get(`${quarry.base}/api/v1/logs?tool=item_by_id`);
    const logs = await res.json();
    if (logs.total >= 6) break;
    assert.ok(i < 60, `the calls did not arrive: ${JSON.stringify(logs)}`);
    await new Promise((r) => setTimeout(r, 500));
  }

  // Metrics page: the per-tool row, its sparkline, the queue of the connection.
  await page.goto(`${quarry.base}/metrics`);
  const perTool = page.getByRole('table', { name: 'Per tool' });
  const row = perTool.getByRole('row').filter({ hasText: 'item_by_id' });
  await row.waitFor();
  const cells = await row.getByRole('cell').allInnerTexts();
  assert.equal(cells[1], '6', `calls: ${cells}`);
  assert.match(cells[3], /^1\b/, `errors: ${cells}`);
  assert.equal(cells[4], '16.7 %', `error rate: ${cells}`);
  await row.getByRole('img', { name: /item_by_id calls over 1h: 6 calls/ }).waitFor();
  const queue = page.getByRole('table', { name: 'Queues' }).getByRole('row').filter({ hasText: 'shop' });
  await queue.waitFor({ timeout: 20_000 });
  // The period is a keyboard-usable radio group.
  await page.getByRole('radio', { name: '24h' }).focus();
  await page.keyboard.press('ArrowRight');
  assert.ok(await page.getByRole('radio', { name: '7d' }).isChecked(), 'arrow keys change the period');
  await row.waitFor();
  await page.getByRole('radio', { name: '1h' }).check();
  await shot('metrics-page.png');

  // Request log: filter by tool and by outcome, then open one record.
  const log = page.getByRole('region', { name: 'Request log' });
  const filters = page.getByRole('search', { name: 'Request log filters' });
  await filters.getByLabel('Tool').fill('no_such_tool');
  await log.getByText('No calls match.').waitFor();
  await filters.getByLabel('Tool').fill('item_by_id');
  const rows = page.getByRole('table', { name: 'Request log' }).getByRole('row');
  await rows.nth(6).waitFor();
  assert.equal(await rows.count(), 7, 'header and six calls');
  await filters.getByLabel('Outcome').selectOption('error');
  await log.getByText('1–1 of 1').waitFor();
  await filters.getByLabel('Outcome').selectOption('');
  await log.getByText('1–6 of 6').waitFor();
  await shot('request-log.png');

  const opener = rows.nth(1).getByRole('button', { name: /item_by_id at .*: details/ });
  await opener.focus();
  await page.keyboard.press('Enter');
  const drawer = page.getByRole('dialog', { name: 'item_by_id' });
  await drawer.waitFor();
  assert.ok(await drawer.getByRole('button', { name: 'Close' }).evaluate((b) => b === document.activeElement), 'focus moves into the drawer');
  const args = await drawer.getByLabel('Arguments').innerText();
  assert.match(args, /\[redacted\]/, `the sensitive argument is redacted: ${args}`);
  assert.doesNotMatch(args, /hunter2/);
  for (const field of ['Instance', 'Release', 'Client', 'Queue wait', 'Database', 'Rows', 'Bytes', 'Outcome']) {
    await drawer.getByText(field, { exact: true }).waitFor();
  }
  await shot('request-log-detail.png');
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'hidden' });
  assert.ok(await opener.evaluate((b) => b === document.activeElement), 'focus returns to the row');

  // Overview: the last 24 hours.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview', exact: true }).click();
  const traffic = page.getByRole('region', { name: 'Last 24 hours' });
  await traffic.getByRole('table', { name: 'Busiest tools' }).getByRole('row').filter({ hasText: 'item_by_id' }).waitFor();
  const calls = traffic.getByRole('link').filter({ hasText: 'Calls' });
  assert.match(await calls.innerText(), /^6\s/);
  await shot('overview.png');

  assert.deepEqual(foreign, [], 'no request to another origin');
  assert.deepEqual(errors, [], 'no page errors');
});
