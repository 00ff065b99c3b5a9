// What the start-up-while-signing-in tests share: the environment of a bridge
// whose browser is tests/lib/slow-browser.sh (it completes the sign-in after
// SLOW_BROWSER_DELAY_S seconds and counts its launches), and readers of what
// the bridge said.
import fs from 'node:fs';
import path from 'node:path';
import { connectBridge, TESTS_DIR } from './harness.mjs';

export const SLOW_BROWSER = path.join(TESTS_DIR, 'lib', 'slow-browser.sh');
export const HOST_INIT_TIMEOUT_MS = 5000;

/** The bridge's environment: its own config, cache and runtime dirs under home. */
export function slowSigninEnv(home, delayS) {
  const runtime = path.join(home, 'runtime');
  fs.mkdirSync(runtime, { recursive: true, mode: 0o700 });
  return {
    XDG_CONFIG_HOME: home,
    XDG_CACHE_HOME: path.join(home, 'cache'),
    XDG_RUNTIME_DIR: runtime,
    BROWSER: SLOW_BROWSER,
    BROWSER_SH_LOG: path.join(home, 'browser.log'),
    SLOW_BROWSER_LAUNCHES: path.join(home, 'launches'),
    SLOW_BROWSER_DELAY_S: String(delayS),
  };
}

/** How many times the browser was launched for this home. */
export function launches(home) {
  try {
    return fs.readFileSync(path.join(home, 'launches'), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

/** The authorization URL the bridge printed on stderr. */
export function authUrl(h) {
  const m = /to sign in to [^\n]*:\n(\S+)\n/.exec(h.stderr());
  return m ? m[1] : null;
}

/** An SDK host that gives initialize HOST_INIT_TIMEOUT_MS; the time it took. */
export async function connectTimed(s, home, delayS, opts = {}) {
  const t0 = Date.now();
  const h = await connectBridge(s.mcpUrl, {
    args: ['--token-store', 'file'], env: slowSigninEnv(home, delayS), connectTimeoutMs: HOST_INIT_TIMEOUT_MS, ...opts,
  });
  return { h, ms: Date.now() - t0 };
}
