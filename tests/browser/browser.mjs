// Launches Debian's chromium headless (playwright gives it a fresh profile),
// with the flags that keep it from reaching for the network on its own.
import { chromium } from 'playwright-core';
import { join } from 'node:path';

/** Where screenshots are written (kept out of git). */
export const SCREENSHOTS = process.env.SCREENSHOT_DIR ?? join(process.cwd(), '..', '..', 'target', 'screenshots');

/**
 * The browser every test uses. A Content Security Policy violation on any of
 * its pages (an inline script, a foreign source) is a test failure: it is
 * collected from the console, and `close()` prints the list and makes the
 * test file exit with a failure.
 */
export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
  return failOnCspViolations(browser);
}

function failOnCspViolations(browser) {
  const violations = [];
  const watch = (page) => page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    context.on('page', watch);
    return context;
  };
  const newPage = browser.newPage.bind(browser);
  browser.newPage = async (...args) => {
    const page = await newPage(...args);
    watch(page);
    return page;
  };
  const close = browser.close.bind(browser);
  browser.close = async (...args) => {
    await close(...args);
    if (violations.length) {
      // A failing exit code fails this test file without skipping the cleanup that follows close().
      console.error(`Content Security Policy violations:\n${[...new Set(violations)].join('\n')}`);
      process.exitCode = 1;
    }
  };
  return browser;
}

/**
 * Lets `page` load only from `base` (and data:/blob: URLs); any other request
 * is aborted and its URL pushed to `foreign`, which a test asserts is empty.
 */
export async function sameOriginOnly(page, base, foreign) {
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(base) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    foreign.push(url);
    return route.abort();
  });
}

/**
 * Calls Quarry's API as the page's signed-in user (its cookies, its origin,
 * the header the UI sends): `{ status, body }`, `body` null for a 204.
 */
export async function pageApi(page, base, method, path, body) {
  const res = await page.request.fetch(base + path, { method, data: body, headers: { Origin: base, 'X-Quarry-Request': '1' } });
  return { status: res.status(), body: res.status() === 204 ? null : await res.json() };
}
