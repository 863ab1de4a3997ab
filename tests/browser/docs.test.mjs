// The API documentation pages render in a real browser with no internet:
// every request they make goes to the Quarry server itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { launch, sameOriginOnly, SCREENSHOTS } from './browser.mjs';

const BASE = process.env.QUARRY_URL;
if (!BASE) throw new Error('set QUARRY_URL to a running Quarry, e.g. http://127.0.0.1:3000');

let browser;
before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await launch();
});
after(async () => browser?.close());

/** Opens `path`, failing on any request that leaves the Quarry origin. */
async function open(path) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const foreign = [];
  await sameOriginOnly(page, BASE, foreign);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const res = await page.goto(BASE + path, { waitUntil: 'networkidle' });
  assert.equal(res.status(), 200, `${path} answers 200`);
  return { page, foreign, errors };
}

test('Swagger UI renders every documented operation from bundled assets', async () => {
  const { page, foreign, errors } = await open('/api/docs/');
  await page.waitForSelector('.opblock', { timeout: 20000 });
  const operations = await page.locator('.opblock').count();
  assert.ok(operations >= 20, `expected at least 20 operations, saw ${operations}`);
  assert.match(await page.locator('.info .title').innerText(), /Quarry API/);
  await page.screenshot({ path: `${SCREENSHOTS}/swagger-ui.png`, fullPage: false });
  assert.deepEqual(foreign, [], 'no request leaves the server');
  assert.deepEqual(errors, []);
});

test('ReDoc renders the document from the bundled script', async () => {
  const { page, foreign, errors } = await open('/api/redoc');
  await page.waitForSelector('h1', { timeout: 20000 });
  assert.match(await page.locator('h1').first().innerText(), /Quarry API/);
  const operations = await page.locator('[data-section-id^="tag/"]').count();
  assert.ok(operations >= 5, `expected the tag sections, saw ${operations}`);
  await page.screenshot({ path: `${SCREENSHOTS}/redoc.png`, fullPage: false });
  assert.deepEqual(foreign, [], 'no request leaves the server');
  assert.deepEqual(errors, []);
});
