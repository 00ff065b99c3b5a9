// OAuth against oidc-provider with its default refresh-token policy, as users
// meet OpenID providers: a refresh token only for offline_access, which the
// provider honours only with prompt=consent (OpenID Connect Core 1.0 §11).
//  - 5-s access tokens, calls spread over 15 s: one browser sign-in, then
//    refreshes, each with the refresh token the previous grant returned;
//  - a prompt the user chose (--authorize-param prompt=...) is sent as given;
//  - a 2025-03-26 server that is its own authorization server (no protected
//    resource metadata, a challenge without resource_metadata, RFC 8414
//    metadata only at the origin) whose AS refuses an empty scope: the bridge
//    asks for the scopes the AS announces and signs in.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  callTool, connectBridge, killAll, requireBridge, resultText, sleep,
} from '../lib/harness.mjs';
import {
  browserLog, cleanupHomes, describeStack, oauthEnv, startOidcStack, tempHome,
} from '../servers/oidc-stack.mjs';

async function connect(s, home, args = []) {
  return connectBridge(s.mcpUrl, { args, env: oauthEnv(home), connectTimeoutMs: 20000 }).catch((e) => {
    e.message += `\n${describeStack(s)}\n--- browser.sh ---\n${browserLog(home)}`;
    throw e;
  });
}

/** No refresh token is ever presented twice, and each refresh presents the
 * one the previous successful grant returned. */
function assertNoReuse(s) {
  const ok = s.grants.filter((g) => g.status === 200);
  const seen = new Set();
  for (let i = 1; i < ok.length; i++) {
    assert.equal(ok[i].grant_type, 'refresh_token', `grant ${i} is a refresh\n${describeStack(s)}`);
    assert.ok(!seen.has(ok[i].refresh_token_in), `refresh token of grant ${i} was used before`);
    seen.add(ok[i].refresh_token_in);
    assert.equal(ok[i].refresh_token_in, ok[i - 1].refresh_token_out,
      `refresh ${i} used the refresh token grant ${i - 1} returned`);
  }
}

describe('OpenID provider with default settings: 5-s tokens over 15 s', { timeout: 90000 }, () => {
  let s, home, h;
  before(async () => {
    requireBridge();
    s = await startOidcStack({ accessTokenTTL: 5 });
    home = tempHome('oidc-default');
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('one browser sign-in, at least one refresh, no refresh token reused', async () => {
    h = await connect(s, home);
    const started = Date.now();
    let n = 0;
    while (Date.now() - started < 15000) {
      n++;
      assert.equal(resultText(await callTool(h.client, 'echo', { message: `m${n}` }, { timeout: 20000 })), `m${n}`,
        describeStack(s));
      await sleep(1500); // the calls are spread over the tokens' lifetimes on purpose
    }
    const auth = s.authRequests[0];
    assert.ok(String(auth.scope).split(' ').includes('offline_access'), `offline_access asked for: ${auth.scope}`);
    assert.equal(auth.prompt, 'consent', 'prompt=consent sent with offline_access');
    assert.equal(s.stats.authorizations, 1, `exactly one browser sign-in\n${describeStack(s)}`);
    assert.equal(s.stats.codeGrants, 1, describeStack(s));
    assert.ok(s.grants[0].refresh_token_out, 'the provider issued a refresh token');
    assert.ok(s.stats.refreshGrants >= 1, `at least one refresh\n${describeStack(s)}`);
    assert.equal(s.stats.failedGrants, 0, describeStack(s));
    assertNoReuse(s);
    assert.deepEqual(s.errors, []);
  });
});

describe('a prompt the user chose is not overridden', { timeout: 60000 }, () => {
  let s, home, h;
  before(async () => {
    requireBridge();
    s = await startOidcStack();
    home = tempHome('oidc-prompt');
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('--authorize-param prompt=login is the only prompt sent', async () => {
    h = await connect(s, home, ['--authorize-param', 'prompt=login']);
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'x' })), 'x');
    assert.equal(s.authRequests.length, 1, describeStack(s));
    assert.equal(s.authRequests[0].prompt, 'login');
  });
});

describe('2025-03-26 server that is its own AS, no resource metadata, AS refuses an empty scope', { timeout: 60000 }, () => {
  let s, home, h;
  before(async () => {
    requireBridge();
    s = await startOidcStack({
      sameOrigin: true,
      prmAt: 'none',
      challenge: 'invalid_token',
      extraMetadataAt: ['/.well-known/oauth-authorization-server'],
      requireScope: false,
    });
    home = tempHome('oidc-legacy');
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('signs in with the scopes the AS metadata announces and calls a tool', async () => {
    assert.equal(new URL(s.issuer).origin, new URL(s.mcpUrl).origin, 'the AS is at the MCP origin');
    h = await connect(s, home);
    const who = JSON.parse(resultText(await callTool(h.client, 'whoami')));
    assert.equal(who.aud, s.mcpUrl);
    assert.equal(s.authRequests.length, 1, describeStack(s));
    assert.equal(s.authRequests[0].scope, 'openid offline_access', 'the AS metadata\'s scopes_supported');
    assert.equal(s.stats.codeGrants, 1, describeStack(s));
    assert.ok(!s.asHttpLog.some((e) => e.path.startsWith('/.well-known/oauth-protected-resource') && e.status === 200),
      'no protected resource metadata was served');
  });
});
