// A control plane of a test's own, for browser tests that change global state
// (the admin's 2FA, imports, deploys, settings) and so must not share the one
// that scripts/ci/30-browser.sh starts: the built `quarry` on a free port with a
// throw-away data dir, serving the built UI, stopped (and its data removed) by `stop`.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository's root. */
export const REPO = resolve(import.meta.dirname, '..', '..');
/** The built control plane (QUARRY_BIN overrides). */
export const QUARRY_BIN = process.env.QUARRY_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(REPO, 'target'), 'debug', 'quarry');

/** A port nothing listens on right now. */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/**
 * Starts `quarry serve` and waits for /api/health. `admin` ({username, password}) bootstraps the admin;
 * `env` adds variables (the parent's QUARRY_* are not passed on); `listen` is the bind address (the tests reach
 * it on 127.0.0.1 either way). Returns {base, data, stop, log}, and `kill`/`start` to take the same server
 * (port, data) down and up again; `log()` is what it wrote to stderr so far (also passed through).
 */
export async function startQuarry({ name = 'test', admin, env = {}, listen = '127.0.0.1' } = {}) {
  assert.ok(existsSync(QUARRY_BIN), `build the control plane first: ${QUARRY_BIN} is missing`);
  const data = mkdtempSync(join(tmpdir(), `quarry-${name}-`));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('QUARRY_')));
  const bootstrap = admin ? { QUARRY_ADMIN_USERNAME: admin.username, QUARRY_ADMIN_PASSWORD: admin.password } : {};
  const environment = {
    ...inherited, QUARRY_BIND: `${listen}:${port}`, QUARRY_DATA_DIR: data, QUARRY_UI_DIR: join(REPO, 'ui', 'dist'),
    QUARRY_LOG: 'warn', ...bootstrap, ...env,
  };
  let child;
  let log = '';
  const start = async () => {
    child = spawn(QUARRY_BIN, ['serve'], { env: environment, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (chunk) => {
      log += chunk;
      process.stderr.write(chunk);
    });
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/api/health`)).ok) return;
      } catch { /* not up yet */ }
      if (i > 150) throw new Error(`quarry did not start at ${base}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  /** Ends the process and waits for it to be gone; the data dir stays. */
  const kill = async () => {
    const exited = new Promise((ok) => child.once('exit', ok));
    child.kill();
    await exited;
  };
  await start();
  const stop = () => {
    child.kill();
    rmSync(data, { recursive: true, force: true });
  };
  return { base, data, stop, kill, start, log: () => log };
}

/** Creates the SQLite database `path` by running `statements` (Python's sqlite3, so the tests need no npm driver). */
export function sqliteDb(path, statements) {
  const script = `import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for s in sys.argv[2:]:
    c.execute(s)
c.commit()`;
  execFileSync('python3', ['-c', script, path, ...statements]);
}
