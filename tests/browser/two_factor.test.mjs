// Two-factor login in a real browser. Turning 2FA on changes the admin for
// everyone, so this file starts its own control plane (fresh data dir, free
// port) instead of using the shared QUARRY_URL one. Codes are computed here
// with an independent RFC 6238 implementation on node:crypto.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { launch, SCREENSHOTS } from './browser.mjs';
import { startQuarry } from './server.mjs';

const ADMIN = { username: 'admin', password: 'two-factor-browser' };

/** RFC 4648 base32 (no padding) → bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.replace(/=+$/, '').toUpperCase()) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP: HMAC-SHA1 over the 30-second step counter, dynamic truncation, 6 digits. */
export function totp(secret, unixSeconds = Date.now() / 1000) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(bin).padStart(6, '0');
}

test('the node:crypto TOTP matches the RFC 6238 test vectors', () => {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32 of "12345678901234567890"
  assert.equal(totp(secret, 59), '287082');
  assert.equal(totp(secret, 1111111109), '081804');
  assert.equal(totp(secret, 1234567890), '005924');
});

let server;
let base;
let browser;
let page;
let secret;
const errors = [];

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startQuarry({ name: '2fa' });
  base = server.base;
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()));
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** Waits out the end of a time step, so the code typed next is still valid when it arrives. */
async function freshStep() {
  const into = (Date.now() / 1000) % 30;
  if (into > 25) await new Promise((r) => setTimeout(r, (31 - into) * 1000));
}

test('the admin turns two-factor login on from the account page', async () => {
  await page.goto(base + '/', { waitUntil: 'networkidle' });
  await page.getByRole('heading', { name: 'Create the admin account' }).waitFor();
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Confirm password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create admin' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();

  await page.getByRole('link', { name: ADMIN.username }).click();
  await page.getByRole('heading', { name: 'Two-factor login' }).waitFor();
  await page.getByRole('button', { name: 'Set up two-factor login' }).click();
  const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
  await qr.waitFor();
  assert.ok((await qr.evaluate((img) => img.naturalWidth)) > 0, 'the QR code renders');
  secret = (await page.getByTestId('totp-secret').innerText()).trim();
  const codes = (await page.getByTestId('recovery-codes').innerText()).trim().split('\n');
  assert.equal(codes.length, 10);
  await page.getByRole('form', { name: 'Two-factor setup' }).screenshot({ path: `${SCREENSHOTS}/2fa-setup-wizard.png` });

  // A wrong code is refused with a readable message; 2FA stays off.
  const right = totp(secret);
  await page.getByLabel('Code from your app').fill(right === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Turn on two-factor login' }).click();
  await page.getByRole('alert').filter({ hasText: 'the code is wrong' }).waitFor();

  await freshStep();
  await page.getByLabel('Code from your app').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on two-factor login' }).click();
  await page.getByText('10 recovery codes left.').waitFor();
  const me = await (await page.request.get(base + '/api/v1/auth/me')).json();
  assert.equal(me.totp_enabled, true);
});

test('after logging out, login asks for the code and completes with it', async () => {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Two-factor login' }).waitFor();
  assert.equal((await page.request.get(base + '/api/v1/auth/me')).status(), 401, 'no session after the password alone');
  await page.screenshot({ path: `${SCREENSHOTS}/2fa-login-second-step.png` });

  // The code used to turn 2FA on is refused as a replay; the next step's code works.
  await freshStep();
  const next = totp(secret, Date.now() / 1000 + 30);
  await page.getByLabel('Code', { exact: true }).fill(next);
  await page.getByRole('button', { name: 'Verify' }).click();
  // Logging in returns to the page the admin logged out from.
  await page.getByRole('heading', { name: 'Account' }).waitFor();
  assert.equal((await page.request.get(base + '/api/v1/auth/me')).status(), 200);
  assert.deepEqual(errors, []);
});
