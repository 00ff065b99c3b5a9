// Enterprise-managed authorization when the kept ID token has expired: the next
// start gets a new ID token with the IdP's refresh token (no browser) and
// exchanges that one; when the IdP refuses the refresh token and --no-browser is
// set, the host gets one clear error naming the sign-in, at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  callTool, connectBridge, killAll, rawHandshake, requireBridge, resultText, sleep, spawnRawBridge,
} from '../lib/harness.mjs';
import { browserLog, cleanupHomes, oauthEnv, readCredentials, tempHome } from '../servers/oidc-stack.mjs';
import { startJwtBearerStack } from '../servers/jwt-bearer.mjs';

const clientId = 'mcp-client-at-as';
const clientSecret = 'as-secret-7e20b4';
const idpClientId = 'mcp-client-at-idp';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
// Short enough to wait past; long enough for the first start to exchange it.
const SHORT_ID_TOKEN_LIFETIME_S = 4;

describe('oauth: the IdP refresh token renews an expired ID token', { timeout: 120000 }, () => {
  let s, h, raw;
  before(async () => {
    requireBridge();
    s = await startJwtBearerStack({ clientId, clientSecret, idpClientId });
  });
  after(async () => {
    await h?.close();
    raw?.kill();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  const args = (...more) => ['--static-oauth-client-info', JSON.stringify({ client_id: clientId, client_secret: clientSecret }),
    '--idp-issuer', s.idp.issuer, '--idp-client-id', idpClientId, ...more];
  const idpGrants = (type) => s.grants.filter((g) => g.at === 'idp' && g.grant_type === type);
  const keptIdpRecord = (home) => readCredentials(home).files.map((f) => f.doc).find((d) => d?.idp_issuer === s.idp.issuer);
  const launches = (home) => (browserLog(home).match(/^\[browser\.sh [^\]]*\] open /gm) ?? []).length;

  // A $BROWSER that must never run: it leaves a marker file behind.
  function forbiddenBrowser(home) {
    const marker = path.join(home, 'browser-was-launched');
    const script = path.join(home, 'forbidden-browser.sh');
    fs.writeFileSync(script, `#!/bin/sh\necho "$@" >> '${marker}'\nexit 1\n`, { mode: 0o700 });
    return { script, launched: () => fs.existsSync(marker) };
  }

  // One sign-in in the (scripted) browser with a short-lived ID token, then a
  // wait until that ID token has expired. Returns what the bridge kept.
  async function signInThenExpire(home) {
    s.idp.signInMode = 'ok';
    s.idp.idTokenLifetime = SHORT_ID_TOKEN_LIFETIME_S;
    try {
      h = await connectBridge(s.mcpUrl, { args: args('--debug'), env: oauthEnv(home), connectTimeoutMs: 30000 })
        .catch((e) => {
          e.message += `\n${browserLog(home)}\n${JSON.stringify(s.grants, null, 1)}`;
          throw e;
        });
      assert.equal(JSON.parse(resultText(await callTool(h.client, 'whoami'))).sub, 'alice@example.test');
      await h.close();
      h = undefined;
    } finally {
      s.idp.idTokenLifetime = undefined;
    }
    assert.equal(launches(home), 1, `one sign-in in the browser\n${browserLog(home)}`);
    const kept = keptIdpRecord(home);
    assert.ok(kept?.id_token && kept?.refresh_token, 'the ID token and the IdP refresh token kept');
    const { exp } = JSON.parse(Buffer.from(kept.id_token.split('.')[1], 'base64url').toString('utf8'));
    const waitMs = exp * 1000 + 1000 - Date.now();
    assert.ok(waitMs < (SHORT_ID_TOKEN_LIFETIME_S + 1) * 1000, `the kept ID token is the short-lived one (exp ${exp})`);
    if (waitMs > 0) await sleep(waitMs);
    // The MCP server forgets its access tokens: the next start needs a new grant.
    s.revokeAll();
    return kept;
  }

  function assertNoSecrets(stderr, secrets) {
    for (const [what, value] of Object.entries(secrets)) {
      assert.ok(value, `${what} known to the test`);
      assert.ok(!stderr.includes(value), `no ${what} in the log`);
    }
    assert.ok(!/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/.test(stderr), 'no JWT (ID token, ID-JAG) in the log');
    for (const g of s.grants) if (g.access_token) assert.ok(!stderr.includes(g.access_token), 'no access token in the log');
  }

  test('an expired kept ID token: a refresh_token grant at the IdP, the new ID token exchanged, no browser', async () => {
    const home = tempHome('idp-refresh');
    const old = await signInThenExpire(home);
    const browser = forbiddenBrowser(home);
    const refreshesBefore = idpGrants('refresh_token').length;
    const exchangesBefore = idpGrants(TOKEN_EXCHANGE).length;
    const bearerBefore = s.grants.filter((g) => g.at === 'as' && g.grant_type === JWT_BEARER && g.status === 200).length;

    h = await connectBridge(s.mcpUrl, {
      args: args('--debug', '--auth-timeout', '10'),
      env: oauthEnv(home, { BROWSER: browser.script }),
      connectTimeoutMs: 30000,
    }).catch((e) => {
      e.message += `\nbrowser launched: ${browser.launched()}\n${JSON.stringify(s.grants, null, 1)}`;
      throw e;
    });
    assert.equal(JSON.parse(resultText(await callTool(h.client, 'whoami'))).sub, 'alice@example.test');
    assert.ok(!browser.launched(), 'the browser is never launched');

    const refreshes = idpGrants('refresh_token').slice(refreshesBefore);
    assert.equal(refreshes.length, 1, `one refresh_token grant at the IdP\n${JSON.stringify(s.grants, null, 1)}`);
    assert.equal(refreshes[0].status, 200);
    assert.equal(refreshes[0].presented_refresh_token, old.refresh_token, 'the kept IdP refresh token presented');
    const fresh = refreshes[0].id_token;
    assert.notEqual(fresh, old.id_token);

    const exchanges = idpGrants(TOKEN_EXCHANGE).slice(exchangesBefore);
    assert.equal(exchanges.length, 1, `one token exchange\n${JSON.stringify(s.grants, null, 1)}`);
    assert.equal(exchanges[0].status, 200);
    assert.equal(exchanges[0].subject_token, fresh, 'the NEW ID token exchanged, not the expired one');
    const bearer = s.grants.filter((g) => g.at === 'as' && g.grant_type === JWT_BEARER && g.status === 200);
    assert.equal(bearer.length, bearerBefore + 1, 'a new jwt-bearer grant at the AS');
    assert.equal(bearer.at(-1).kind, 'id-jag');
    assert.ok(s.grants.indexOf(refreshes[0]) < s.grants.indexOf(exchanges[0]), 'refreshed before the exchange');

    const kept = keptIdpRecord(home);
    assert.equal(kept?.id_token, fresh, 'the new ID token kept');
    assert.equal(kept?.refresh_token, refreshes[0].refresh_token, 'the IdP\'s new refresh token kept');
    assertNoSecrets(h.stderr(), {
      'old ID token': old.id_token, 'new ID token': fresh,
      'old refresh token': old.refresh_token, 'new refresh token': refreshes[0].refresh_token,
    });
    await h.close();
    h = undefined;
  });

  test('the IdP refuses the refresh token, --no-browser: one clear error naming the sign-in, no hang', async () => {
    const home = tempHome('idp-refresh-refused');
    const old = await signInThenExpire(home);
    s.idp.revokeRefreshTokens();
    const browser = forbiddenBrowser(home);
    const refreshesBefore = idpGrants('refresh_token').length;
    const exchangesBefore = idpGrants(TOKEN_EXCHANGE).length;

    raw = spawnRawBridge([s.mcpUrl, ...args('--no-browser', '--debug')], { env: oauthEnv(home, { BROWSER: browser.script }) });
    const started = Date.now();
    const r = await rawHandshake(raw, { id: 1, timeoutMs: 20000 });
    assert.ok(Date.now() - started < 15000, 'answered promptly');
    assert.ok(r.error, JSON.stringify(r));

    const refreshes = idpGrants('refresh_token').slice(refreshesBefore);
    assert.equal(refreshes.length, 1, `the refresh was tried\n${JSON.stringify(s.grants, null, 1)}`);
    assert.equal(refreshes[0].status, 400);
    assert.equal(refreshes[0].error, 'invalid_grant');

    const sentence = `a sign-in at the IdP ${s.idp.issuer} in a browser is needed and --no-browser is set; `
      + 'give the ID token with --id-token-file, --id-token-env or --id-token-command';
    const message = `sign-in to ${s.mcpUrl} failed: ${sentence}`;
    assert.equal(r.error.message, message, 'the JSON-RPC error names the sign-in');
    const stderr = raw.stderr();
    assert.equal(stderr.split(`mcp-bridge: error: ${message}\n`).length - 1, 1, `the error once in the log:\n${stderr}`);
    assert.equal(stderr.split(sentence).length - 1, 1, `no other copy of it:\n${stderr}`);
    assert.ok(!browser.launched(), 'no browser with --no-browser');
    assert.equal(idpGrants(TOKEN_EXCHANGE).length, exchangesBefore, 'the expired ID token is never exchanged');

    // The host ends the session: the bridge exits on its own.
    raw.endStdin();
    await raw.waitExit(5000);
    assertNoSecrets(raw.stderr(), { 'old ID token': old.id_token, 'old refresh token': old.refresh_token });
    raw = undefined;
  });
});
