// Launches Debian's chromium headless (playwright gives it a fresh profile),
// with the flags that keep it from reaching for the network on its own.
import { chromium } from 'playwright-core';
import { join } from 'node:path';

/** Where screenshots are written (kept out of git). */
export const SCREENSHOTS = process.env.SCREENSHOT_DIR ?? join(process.cwd(), '..', '..', 'target', 'screenshots');

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
}
