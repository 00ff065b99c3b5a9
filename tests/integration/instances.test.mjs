// Many bridges for one server sharing one config (as when a host starts the
// same server entry in several windows): sign-in and refresh are single-flight
// across processes (flock in $XDG_RUNTIME_DIR/mcp-bridge).
//  - 20 bridges started at once, nothing stored: exactly one authorization and
//    one authorization_code grant; all 20 answer tools/list;
//  - short-lived tokens (TTL 4 s, rotation on): after expiry, a call on each of
//    the 20 gives one refresh_token grant (at least: no invalid_grant at the AS,
//    every call succeeds); the count is reported.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  killAll, rawHandshake, requireBridge, sleep, spawnRawBridge,
} from '../lib/harness.mjs';
import {
  browserLog, envFor, makeDirs, removeDirs, storedTokenRecord,
} from '../lib/oauth-env.mjs';
import { startQuirkServer } from '../servers/quirks.mjs';

const N = 20;
const FILE = ['--token-store', 'file'];

/** Start n raw bridges at once and initialize each; resolves to the bridges. */
async function startMany(s, d, n, timeoutMs = 60000) {
  const bridges = [];
  for (let i = 0; i < n; i++) bridges.push(spawnRawBridge([s.url, ...FILE], { env: envFor(d) }));
  const inits = await Promise.all(bridges.map((b) => rawHandshake(b, { id: 0, timeoutMs }).catch((e) => ({ failed: e }))));
  const bad = inits.map((r, i) => ({ r, i })).filter(({ r }) => !r.result);
  if (bad.length) {
    const { r, i } = bad[0];
    throw new Error(`${bad.length}/${n} bridges failed to initialize; #${i}: ${r.failed?.message ?? JSON.stringify(r)}\n`
      + `--- stderr #${i} ---\n${bridges[i].stderr().slice(-3000)}\n${s.describe()}\n--- browser ---\n${browserLog(d)}`);
  }
  return bridges;
}

async function allCall(bridges, id, msg, method = 'tools/call', timeoutMs = 30000) {
  for (const b of bridges) {
    b.send(method === 'tools/list'
      ? { jsonrpc: '2.0', id, method: 'tools/list', params: {} }
      : { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message: msg } } });
  }
  return Promise.all(bridges.map((b) => b.waitForId(id, timeoutMs)));
}

describe(`instances: ${N} bridges started at once, nothing stored`, { timeout: 120000 }, () => {
  let s, d, bridges = [];
  before(async () => {
    requireBridge();
    s = await startQuirkServer({});
    d = makeDirs('instances');
  });
  after(async () => {
    for (const b of bridges) b.kill();
    await killAll();
    await s?.close();
    removeDirs();
  });

  test('exactly one authorization and one authorization_code grant; all answer tools/list', async () => {
    bridges = await startMany(s, d, N);
    const lists = await allCall(bridges, 1, null, 'tools/list');
    lists.forEach((r, i) => {
      assert.ok(r.result, `bridge #${i} tools/list: ${JSON.stringify(r)}\n${bridges[i].stderr().slice(-2000)}`);
      assert.ok(r.result.tools.some((t) => t.name === 'echo'), `bridge #${i} lists echo`);
    });
    assert.equal(s.stats.authorizations, 1, `one authorization\n${s.describe()}`);
    assert.equal(s.stats.grants.authorization_code, 1, `one authorization_code grant\n${s.describe()}`);
    assert.equal(s.stats.registrations, 1, `one client registration\n${s.describe()}`);
    assert.deepEqual(s.stats.tokenErrors, []);
    const opened = browserLog(d).split('\n').filter((l) => / open /.test(l)).length;
    assert.equal(opened, 1, `the browser was opened once:\n${browserLog(d)}`);
  });
});

describe(`instances: ${N} bridges, tokens live 4 s with rotation: refresh after expiry`, { timeout: 180000 }, () => {
  const TTL = 4;
  let s, d, bridges = [];
  before(async () => {
    requireBridge();
    s = await startQuirkServer({ ttl: TTL, rotate: true });
    d = makeDirs('instances-refresh');
  });
  after(async () => {
    for (const b of bridges) b.kill();
    await killAll();
    await s?.close();
    removeDirs();
  });

  test('start: one authorization; all answer tools/list', async () => {
    const t0 = Date.now();
    bridges = await startMany(s, d, N);
    const lists = await allCall(bridges, 1, null, 'tools/list');
    lists.forEach((r, i) => assert.ok(r.result, `bridge #${i}: ${JSON.stringify(r)}`));
    assert.equal(s.stats.authorizations, 1, s.describe());
    assert.equal(s.stats.grants.authorization_code, 1, s.describe());
    assert.deepEqual(s.stats.tokenErrors, [], s.describe());
    const took = Date.now() - t0;
    // Report: refresh grants during the start (a 4-s token is inside the bridge's refresh margin).
    console.log(`# start of ${N} bridges took ${took} ms; refresh_token grants during it: ${s.stats.grants.refresh_token}`);
  });

  test('after expiry, one call on each of the 20: every call succeeds, no invalid_grant, one refresh', async (t) => {
    if (bridges.length !== N) return t.skip('the bridges did not start');
    await sleep((TTL + 1.5) * 1000);
    const before = { refresh: s.stats.grants.refresh_token, rejected: s.stats.rejected, auth: s.stats.authorizations };
    const res = await allCall(bridges, 2, 'after-expiry', 'tools/call', 60000);
    res.forEach((r, i) => {
      assert.equal(r.result?.content?.[0]?.text, 'after-expiry',
        `bridge #${i}: ${JSON.stringify(r)}\n${bridges[i].stderr().slice(-2000)}\n${s.describe()}`);
    });
    const refreshes = s.stats.grants.refresh_token - before.refresh;
    console.log(`# refresh_token grants for ${N} calls after expiry: ${refreshes}; 401s: ${s.stats.rejected - before.rejected}`);
    assert.deepEqual(s.stats.tokenErrors, [], `no invalid_grant (no reuse of a rotated refresh token)\n${s.describe()}`);
    assert.equal(s.stats.authorizations, before.auth, 'no new authorization');
    assert.ok(refreshes >= 1, 'at least one refresh');
    const rec = storedTokenRecord(d);
    assert.ok(s.isLiveRefreshToken(rec.refresh_token), 'the stored refresh token is the live (latest) one');
    assert.equal(refreshes, 1, `exactly one refresh_token grant for the 20 processes\n${s.describe()}`);
  });

  test('again after a second expiry: still no invalid_grant, every call succeeds', async (t) => {
    if (bridges.length !== N) return t.skip('the bridges did not start');
    await sleep((TTL + 1.5) * 1000);
    const before = s.stats.grants.refresh_token;
    const res = await allCall(bridges, 3, 'second-expiry', 'tools/call', 60000);
    res.forEach((r, i) => assert.equal(r.result?.content?.[0]?.text, 'second-expiry', `bridge #${i}: ${JSON.stringify(r)}`));
    const refreshes = s.stats.grants.refresh_token - before;
    console.log(`# refresh_token grants after the second expiry: ${refreshes}`);
    assert.deepEqual(s.stats.tokenErrors, [], s.describe());
    assert.equal(s.stats.authorizations, 1);
    assert.equal(refreshes, 1, `exactly one refresh_token grant\n${s.describe()}`);
  });
});
