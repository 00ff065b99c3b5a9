// OAuth against a real authorization server (oidc-provider) with short-lived
// JWT access tokens and rotated refresh tokens (each refresh token works once;
// oidc-provider revokes the whole grant when a used one comes back):
//  - the access token expires (3 s) mid-session: later calls still succeed with
//    no second authorization, through refresh_token grants whose refresh token
//    is always the one the previous grant returned (and is what is stored);
//  - a 12-s token entering the bridge's refresh margin (a quarter of its lifetime) is refreshed once
//    before use (refresh before expiry);
//  - the MCP server stops accepting a token the client still believes valid
//    (server-side revocation): the 401 leads to a refresh, not a new sign-in;
//  - a restarted bridge uses the stored (rotated) refresh token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  callTool, connectBridge, killAll, requireBridge, resultText, sleep, waitUntil,
} from '../lib/harness.mjs';
import {
  browserLog, cleanupHomes, describeStack, oauthEnv, startOidcStack, storedTokens, tempHome,
} from '../servers/oidc-stack.mjs';

const TTL_S = 3;

/** Every successful grant's refresh token is the next refresh grant's input. */
function assertRotationChain(s) {
  const ok = s.grants.filter((g) => g.status === 200);
  assert.equal(ok[0].grant_type, 'authorization_code');
  for (let i = 1; i < ok.length; i++) {
    assert.equal(ok[i].grant_type, 'refresh_token', `grant ${i} is a refresh`);
    assert.ok(ok[i - 1].refresh_token_out, `grant ${i - 1} returned a refresh token`);
    assert.equal(ok[i].refresh_token_in, ok[i - 1].refresh_token_out,
      `refresh ${i} used the refresh token returned by grant ${i - 1} (the rotated one)`);
    assert.notEqual(ok[i].refresh_token_out, ok[i].refresh_token_in, 'the AS rotated it');
  }
  return ok;
}

/** The stored tokens are the newest ones (the store is written asynchronously:
 * allow it a moment) and no used refresh token is stored. */
async function assertStoredIsLatest(s, home) {
  const ok = s.grants.filter((g) => g.status === 200);
  const last = ok[ok.length - 1];
  let stored;
  try {
    await waitUntil(() => {
      stored = storedTokens(home);
      return stored?.refresh_token === last.refresh_token_out;
    }, 10000, 'the newest refresh token to be stored');
  } catch { /* asserted below */ }
  assert.ok(stored, 'tokens stored');
  assert.equal(stored.refresh_token, last.refresh_token_out, 'the stored refresh token is the newest one');
  assert.equal(stored.access_token, last.access_token, 'the stored access token is the newest one');
  for (const g of ok.slice(0, -1)) {
    assert.notEqual(stored.refresh_token, g.refresh_token_out, 'an old (used) refresh token is not stored');
  }
}

async function connect(s, home, ms = 15000) {
  return connectBridge(s.mcpUrl, { env: oauthEnv(home), connectTimeoutMs: ms }).catch((e) => {
    e.message += `\n${describeStack(s)}\n--- browser.sh ---\n${browserLog(home)}`;
    throw e;
  });
}

describe(`oauth refresh: access tokens expire after ${TTL_S} s mid-session`, { timeout: 90000 }, () => {
  // The session is started in before(): if it does not start, every test of the
  // suite fails with that error (none is skipped).
  let s, home, h, startGrants;
  before(async () => {
    requireBridge();
    s = await startOidcStack({ accessTokenTTL: TTL_S });
    home = tempHome('refresh');
    const t0 = s.grants.length;
    h = await connect(s, home, 15000);
    startGrants = s.grants.length - t0;
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('sign-in with a token that lives 3 s: the session starts, without a storm of refreshes', async () => {
    // A token shorter-lived than the bridge's refresh margin must not make it
    // refresh again and again instead of sending the request.
    assert.ok(startGrants <= 3, `${startGrants} token requests while starting the session (expected 1-2)\n${describeStack(s)}`);
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'one' })), 'one');
    assert.equal(s.stats.authorizations, 1);
  });

  test('call, wait past expiry, call again, wait, call a third time: no second authorization', async () => {
    // Waiting is the point: the access token expires.
    await sleep((TTL_S + 1.5) * 1000);
    const refreshesBefore2 = s.stats.refreshGrants;
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'two' }, { timeout: 20000 })), 'two',
      describeStack(s));
    assert.equal(s.stats.authorizations, 1, `no second authorization\n${describeStack(s)}`);
    assert.ok(s.stats.refreshGrants > refreshesBefore2, `the AS saw a refresh_token grant\n${describeStack(s)}`);
    assert.equal(s.stats.failedGrants, 0, `no refused grant (a reused refresh token is refused)\n${describeStack(s)}`);
    assertRotationChain(s);
    await assertStoredIsLatest(s, home);

    await sleep((TTL_S + 1.5) * 1000); // and expires again
    const refreshesBefore3 = s.stats.refreshGrants;
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'three' }, { timeout: 20000 })), 'three',
      describeStack(s));
    assert.ok(s.stats.refreshGrants > refreshesBefore3, `a further refresh after the second expiry\n${describeStack(s)}`);
    assert.equal(s.stats.authorizations, 1, 'still one authorization');
    assert.equal(s.stats.failedGrants, 0, describeStack(s));
    assertRotationChain(s);
    await assertStoredIsLatest(s, home);
    assert.deepEqual(s.errors, []);
  });
});

// The bridge refreshes a token that expires within its refresh margin (a
// quarter of its lifetime, at most 60 s) before using it. A 12-s token enters
// the 3-s margin 9 s after issue, so this exercises refresh-before-expiry, with
// rotation, in a few seconds.
describe('oauth refresh: refresh before expiry (12-s tokens enter the 3-s margin after 9 s)', { timeout: 90000 }, () => {
  let s, home, h;
  before(async () => {
    requireBridge();
    s = await startOidcStack({ accessTokenTTL: 12 });
    home = tempHome('refresh-margin');
    h = await connect(s, home, 30000);
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('each call after the token entered the margin refreshes it once, with the rotated refresh token', async () => {
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'one' })), 'one');
    assert.equal(s.stats.refreshGrants, 0, 'a fresh token is not refreshed');
    for (const round of [1, 2]) {
      await sleep(10000); // waiting is the point: the token ages into the 3-s margin
      const rejected = s.rejectedTokens().length;
      for (const m of ['a', 'b']) {
        assert.equal(resultText(await callTool(h.client, 'echo', { message: m }, { timeout: 20000 })), m,
          describeStack(s));
      }
      assert.equal(s.stats.refreshGrants, round, `exactly one refresh per margin entry\n${describeStack(s)}`);
      assert.equal(s.rejectedTokens().length, rejected, 'refreshed before the server had to refuse anything');
      assert.equal(s.stats.authorizations, 1, `no second authorization\n${describeStack(s)}`);
      assert.equal(s.stats.failedGrants, 0, describeStack(s));
      assertRotationChain(s);
      await assertStoredIsLatest(s, home);
    }
    assert.deepEqual(s.errors, []);
  });
});

describe('oauth refresh: the server revokes a token the client believes valid (401 -> refresh)', { timeout: 90000 }, () => {
  let s, home, h;
  before(async () => {
    requireBridge();
    // Tokens live an hour as far as the client can tell; the MCP server refuses
    // them 3 s after issue (e.g. revoked), so only the 401 says so.
    s = await startOidcStack({ accessTokenTTL: 3600, maxTokenAgeS: 3 });
    home = tempHome('refresh401');
    h = await connect(s, home, 30000);
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('401 invalid_token mid-session -> refresh_token grant -> the call succeeds, twice', async () => {
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'one' })), 'one');
    assert.equal(s.stats.refreshGrants, 0, 'no refresh before the token is refused');

    for (const [round, msg] of [[1, 'two'], [2, 'three']]) {
      await sleep(4000); // waiting is the point: the MCP server refuses tokens older than 3 s
      const rejectedBefore = s.rejectedTokens().length;
      assert.equal(resultText(await callTool(h.client, 'echo', { message: msg }, { timeout: 20000 })), msg,
        describeStack(s));
      assert.ok(s.rejectedTokens().length > rejectedBefore, 'the server refused the old token with 401');
      assert.equal(s.stats.refreshGrants, round, `refresh #${round}\n${describeStack(s)}`);
      assert.equal(s.stats.authorizations, 1, `no second authorization\n${describeStack(s)}`);
      assert.equal(s.stats.failedGrants, 0, describeStack(s));
      assertRotationChain(s);
      await assertStoredIsLatest(s, home);
    }
  });

  test('a restarted bridge uses the stored rotated refresh token (no authorization)', async () => {
    await h.close();
    h = undefined;
    await sleep(4000); // the stored access token is refused by now
    h = await connectBridge(s.mcpUrl, { env: oauthEnv(home), connectTimeoutMs: 30000 });
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'after restart' }, { timeout: 20000 })),
      'after restart');
    assert.equal(s.stats.authorizations, 1, `no second authorization\n${describeStack(s)}`);
    assert.equal(s.stats.refreshGrants, 3, describeStack(s));
    assert.equal(s.stats.failedGrants, 0, describeStack(s));
    assertRotationChain(s);
    await assertStoredIsLatest(s, home);
  });

  test('five concurrent calls on a refused token: one refresh, the rotated token is never reused', async () => {
    await sleep(4000); // waiting is the point: the token in use gets older than 3 s
    const before = { ...s.stats };
    const msgs = ['p1', 'p2', 'p3', 'p4', 'p5'];
    const results = await Promise.all(msgs.map((m) => callTool(h.client, 'echo', { message: m }, { timeout: 20000 })));
    assert.deepEqual(results.map(resultText), msgs, describeStack(s));
    assert.equal(s.stats.refreshGrants - before.refreshGrants, 1, `exactly one refresh\n${describeStack(s)}`);
    assert.equal(s.stats.failedGrants, 0, `no refresh with an already used refresh token\n${describeStack(s)}`);
    assert.equal(s.stats.authorizations, 1, describeStack(s));
    assertRotationChain(s);
    await assertStoredIsLatest(s, home);
  });

  test('the AS revoked the refresh token: invalid_grant -> a new (headless) sign-in, the call succeeds', async () => {
    const stored = storedTokens(home);
    const rt = await s.provider.RefreshToken.find(stored.refresh_token);
    assert.ok(rt, 'the stored refresh token is live at the AS');
    await rt.destroy();
    await sleep(4000); // and the access token is refused by the MCP server
    const before = { ...s.stats };
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'after revoke' }, { timeout: 30000 })),
      'after revoke', describeStack(s));
    assert.equal(s.stats.failedGrants - before.failedGrants, 1, `the refresh was refused\n${describeStack(s)}`);
    assert.equal(s.grants[s.grants.length - 2].error, 'invalid_grant');
    assert.equal(s.stats.authorizations - before.authorizations, 1, `signed in again\n${describeStack(s)}`);
    assert.equal(s.stats.codeGrants, 2, describeStack(s));
    await assertStoredIsLatest(s, home);
  });
});
