// A headless machine: no browser opener on PATH (no xdg-open) and no $BROWSER.
// Starting the opener fails; the bridge must survive that (the failed process
// handle is closed, not freed under libuv), print the sign-in URL on stderr,
// keep waiting for the redirect, and sign in when the URL is visited. The
// use-after-free was in libuv's own (uninstrumented) code, which ASan does not
// see: when valgrind is installed and the binary is not a sanitizer build, the
// bridge runs under valgrind, and any invalid access fails the run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  assertAllJsonRpc, bridgeBin, killAll, rawHandshake, requireBridge, spawnRawBridge,
} from '../lib/harness.mjs';
import { BROWSER_SH } from '../lib/oauth-env.mjs';
import { cleanupHomes, describeStack, startOidcStack, tempHome } from '../servers/oidc-stack.mjs';

const VALGRIND = '/usr/bin/valgrind';

/** The bridge itself, or a script running it under valgrind (exit 99 on an
 * invalid access) when valgrind is there and the binary has no sanitizer. */
function bridgeCommand(dir) {
  const bin = bridgeBin();
  if (!fs.existsSync(VALGRIND) || fs.readFileSync(bin).includes('__asan_init')) return bin;
  const script = path.join(dir, 'bridge-under-valgrind.sh');
  fs.writeFileSync(script, `#!/bin/sh\nexec ${VALGRIND} -q --error-exitcode=99 '${bin}' "$@"\n`, { mode: 0o700 });
  return script;
}

/** Resolves with the first match of re in the bridge's stderr. */
function stderrMatch(b, re, ms = 15000) {
  return new Promise((resolve, reject) => {
    const look = () => {
      const m = re.exec(b.stderr());
      if (!m) return false;
      b.child.stderr.off('data', look);
      clearTimeout(timer);
      resolve(m);
      return true;
    };
    const timer = setTimeout(() => {
      b.child.stderr.off('data', look);
      reject(new Error(`no ${re} on stderr within ${ms} ms:\n${b.stderr()}`));
    }, ms);
    if (!look()) b.child.stderr.on('data', look);
  });
}

describe('no browser opener on a headless machine', { timeout: 60000 }, () => {
  let s, home;
  before(async () => {
    requireBridge();
    s = await startOidcStack();
    home = tempHome('no-opener');
  });
  after(async () => {
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('the URL is printed, the bridge keeps waiting, and visiting it signs in', async () => {
    const emptyBin = path.join(home, 'empty-bin');
    fs.mkdirSync(emptyBin);
    const b = spawnRawBridge([s.mcpUrl, '--token-store', 'file'], {
      bin: bridgeCommand(home),
      env: { XDG_CONFIG_HOME: home, XDG_RUNTIME_DIR: home, PATH: emptyBin },
    });
    const handshake = rawHandshake(b, { timeoutMs: 30000 });
    const [, url] = await stderrMatch(b, /open this URL in a browser[^\n]*:\n(\S+)\n/, 30000);
    assert.ok(url.startsWith(`${s.issuer}/auth?`), url);
    assert.equal(b.exitInfo, null, 'still running after the opener failed');
    // The person opens the URL by hand.
    await promisify(execFile)('bash', [BROWSER_SH, url], {
      env: { ...process.env, BROWSER_SH_FOREGROUND: '1', BROWSER_SH_LOG: path.join(home, 'browser.log') },
    });
    const init = await handshake;
    assert.ok(init.result, `initialize answered: ${JSON.stringify(init)}\n${describeStack(s)}`);
    b.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'hi' } } });
    const r = await b.waitForId(1, 15000);
    assert.equal(r.result?.content?.[0]?.text, 'hi');
    assert.equal(s.stats.codeGrants, 1);
    assert.equal(b.exitInfo, null);
    assertAllJsonRpc(b.lines);
    b.endStdin();
    const { code } = await b.waitExit(10000);
    assert.equal(code, 0, b.stderr());
  });
});
