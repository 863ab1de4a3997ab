// First-run setup on a control plane that listens beyond loopback (0.0.0.0), in a real browser: the setup page
// asks for the one-time token Quarry printed in its log; a wrong token is refused with that hint and creates
// nothing; the token from the log creates the admin and logs in. Its own Quarry (it needs a fresh store).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { launch, sameOriginOnly, SCREENSHOTS } from './browser.mjs';
import { startQuarry } from './server.mjs';

const ADMIN = { username: 'network-admin', password: 'network-password-1' };

let quarry;
let browser;
let page;
const errors = [];
const foreign = [];

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  quarry = await startQuarry({ name: 'setup-token', listen: '0.0.0.0' });
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  await sameOriginOnly(page, quarry.base, foreign);
  page.on('pageerror', (e) => errors.push(String(e)));
  // The 403 this test provokes on purpose is logged by chromium as "Failed to load resource".
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()));
});

after(async () => {
  await browser?.close();
  quarry?.stop();
});

test('setup on a network bind needs the token from the log; a wrong one is refused and creates nothing', async () => {
  const token = quarry.log().match(/setup_token=([A-Za-z0-9]+)/)?.[1];
  assert.ok(token && token.length >= 24, `the log names a setup token: ${quarry.log()}`);

  await page.goto(quarry.base + '/', { waitUntil: 'networkidle' });
  await page.getByRole('heading', { name: 'Create the admin account' }).waitFor();
  const field = page.getByLabel('Setup token');
  assert.equal(await field.getAttribute('required'), '', 'the token is a required field');
  await field.fill('not-the-token');
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Confirm password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create admin' }).click();
  await page.getByRole('alert').filter({ hasText: /setup token is missing or wrong: copy setup_token, the one-time token printed in the control plane's log/ }).waitFor();
  await page.screenshot({ path: `${SCREENSHOTS}/setup-token-refused.png` });
  const status = await (await page.request.get(`${quarry.base}/api/v1/auth/status`)).json();
  assert.deepEqual(status, { setup_required: true, setup_token_required: true }, 'a refused setup creates no admin');

  await field.fill(token);
  await page.screenshot({ path: `${SCREENSHOTS}/setup-token.png` });
  await page.getByRole('button', { name: 'Create admin' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  const after = await (await page.request.get(`${quarry.base}/api/v1/auth/status`)).json();
  assert.equal(after.setup_required, false);
  const me = await page.request.get(`${quarry.base}/api/v1/auth/me`);
  assert.equal(me.status(), 200);
  assert.equal((await me.json()).username, ADMIN.username);
});

test('the setup page made no request outside the server and raised no errors', () => {
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
});
