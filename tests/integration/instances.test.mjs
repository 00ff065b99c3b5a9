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
  killAll, rawHandshake, requireBridge, sleep, spawnRawBridge, waitUntil,
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

// The race is timing-dependent: three independent rounds (fresh server, fresh dirs).
describe(`instances: ${N} bridges started at once, nothing stored`, { timeout: 180000 }, () => {
  const servers = [];
  let bridges = [];
  before(() => requireBridge());
  after(async () => {
    for (const b of bridges) b.kill();
    await killAll();
    for (const s of servers) await s.close();
    removeDirs();
  });

  for (const round of [1, 2, 3]) {
    test(`round ${round}: exactly one authorization and one authorization_code grant; all answer tools/list`, async () => {
      const s = await startQuirkServer({});
      servers.push(s);
      const d = makeDirs('instances');
      bridges = await startMany(s, d, N);
      const lists = await allCall(bridges, 1, null, 'tools/list');
      lists.forEach((r, i) => {
        assert.ok(r.result, `bridge #${i} tools/list: ${JSON.stringify(r)}\n${bridges[i].stderr().slice(-2000)}`);
        assert.ok(r.result.tools.some((t) => t.name === 'echo'), `bridge #${i} lists echo`);
      });
      const opened = browserLog(d).split('\n').filter((l) => / open /.test(l)).length;
      const signedIn = bridges.map((b, i) => (/browser window was opened/.test(b.stderr()) ? i : -1)).filter((i) => i >= 0);
      const diag = `bridges that opened a browser: ${JSON.stringify(signedIn)}\n${s.describe()}`;
      for (const b of bridges) b.kill();
      assert.equal(s.stats.authorizations, 1, `one authorization\n${diag}`);
      assert.equal(s.stats.grants.authorization_code, 1, `one authorization_code grant\n${diag}`);
      assert.equal(s.stats.registrations, 1, `one client registration\n${diag}`);
      assert.deepEqual(s.stats.tokenErrors, []);
      assert.equal(opened, 1, `the browser was opened once:\n${browserLog(d)}`);
    });
  }
});

/**
 * Short-lived tokens, rotation on. ttl: the access-token lifetime; wait: how long
 * to wait after the start before the calls (past expiry, or into the bridge's
 * refresh margin: a quarter of the lifetime, at most 60 s).
 */
function refreshSuite(ttl, wait, label) {
  describe(`instances: ${N} bridges, tokens live ${ttl} s with rotation: ${label}`, { timeout: 180000 }, () => {
    // The bridges are started in before(): if they do not start, every test of
    // the suite fails with that error (none is skipped).
    let s, d, bridges = [], startStats;
    before(async () => {
      requireBridge();
      s = await startQuirkServer({ ttl, rotate: true });
      d = makeDirs('instances-refresh');
      const t0 = Date.now();
      try {
        bridges = await startMany(s, d, N, 20000);
      } finally {
        console.log(`# ttl ${ttl}: start of ${N} bridges: ${Date.now() - t0} ms; token requests: `
          + `${s.stats.tokenRequests} (refresh_token grants: ${s.stats.grants.refresh_token})`);
      }
      startStats = { authorizations: s.stats.authorizations, codeGrants: s.stats.grants.authorization_code,
        tokenErrors: [...s.stats.tokenErrors], describe: s.describe() };
    });
    after(async () => {
      for (const b of bridges) b.kill();
      await killAll();
      await s?.close();
      removeDirs();
    });

    test('start: one authorization; all answer tools/list', async () => {
      assert.equal(startStats.authorizations, 1, startStats.describe);
      assert.equal(startStats.codeGrants, 1, startStats.describe);
      assert.deepEqual(startStats.tokenErrors, [], startStats.describe);
      const lists = await allCall(bridges, 1, null, 'tools/list');
      lists.forEach((r, i) => assert.ok(r.result?.tools?.some((x) => x.name === 'echo'), `bridge #${i}: ${JSON.stringify(r)}`));
    });

    for (const round of [1, 2]) {
      test(`round ${round}: wait ${wait} s, one call on each of the ${N}: all succeed, no invalid_grant, one refresh`, async () => {
        // Waiting is the point: the tokens age into the refresh margin or expire.
        await sleep(wait * 1000);
        const before = { refresh: s.stats.grants.refresh_token, rejected: s.stats.rejected, auth: s.stats.authorizations };
        const res = await allCall(bridges, 1 + round, `round-${round}`, 'tools/call', 60000);
        const refreshes = s.stats.grants.refresh_token - before.refresh;
        console.log(`# ttl ${ttl} round ${round}: refresh_token grants for ${N} calls: ${refreshes}; `
          + `401s: ${s.stats.rejected - before.rejected}`);
        res.forEach((r, i) => {
          assert.equal(r.result?.content?.[0]?.text, `round-${round}`,
            `bridge #${i}: ${JSON.stringify(r)}\n${bridges[i].stderr().slice(-2000)}\n${s.describe()}`);
        });
        assert.deepEqual(s.stats.tokenErrors, [], `no invalid_grant (no reuse of a rotated refresh token)\n${s.describe()}`);
        assert.equal(s.stats.authorizations, before.auth, 'no new authorization');
        assert.ok(refreshes >= 1, 'at least one refresh');
        // The store is written on a worker thread (with fsync): wait for it to land.
        await waitUntil(() => s.isLiveRefreshToken(storedTokenRecord(d)?.refresh_token), 10000,
          'the stored refresh token to be the live (latest) one');
        assert.equal(refreshes, 1, `exactly one refresh_token grant for the ${N} processes\n${s.describe()}`);
      });
    }
  });
}

// 12-s tokens: the margin is 3 s, so after 10 s every bridge wants to refresh
// before sending (refresh before expiry).
refreshSuite(12, 10, 'refresh before expiry, across processes');
// Tokens shorter than the refresh margin (TTL 4 s): after expiry.
refreshSuite(4, 5.5, 'after expiry');
