// OAuth with a pre-registered client at a real authorization server
// (oidc-provider) that offers no dynamic client registration:
//  - --static-oauth-client-info (client_id + client_secret, client_secret_basic)
//    with --callback-port matching the registered redirect URI: sign-in works;
//  - without the flag the request fails with a JSON-RPC error telling the user
//    to pass --static-oauth-client-info, and the bridge stays alive.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  callTool, connectBridge, freePortClosed, killAll, rawHandshake, requireBridge, resultText, spawnRawBridge, waitUntil,
} from '../lib/harness.mjs';
import {
  browserLog, cleanupHomes, describeStack, oauthEnv, startOidcStack, storedTokens, tempHome, TEST_USER,
} from '../servers/oidc-stack.mjs';

describe('oauth: no dynamic registration, pre-registered confidential client', { timeout: 90000 }, () => {
  let s, port, client, h, raw;
  before(async () => {
    requireBridge();
    port = await freePortClosed();
    client = {
      client_id: 'mcp-bridge-static-test',
      client_secret: `static-secret-${randomBytes(12).toString('hex')}`,
      redirect_uris: [`http://127.0.0.1:${port}/oauth/callback`],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      application_type: 'native',
    };
    s = await startOidcStack({ registration: false, staticClients: [client] });
  });
  after(async () => {
    await h?.close();
    raw?.kill();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('the AS offers no registration endpoint', async () => {
    const meta = await (await fetch(`${s.issuer}/.well-known/openid-configuration`)).json();
    assert.equal(meta.registration_endpoint, undefined);
  });

  test('--static-oauth-client-info + --callback-port: sign-in works', async () => {
    const home = tempHome('static');
    const info = JSON.stringify({ client_id: client.client_id, client_secret: client.client_secret });
    h = await connectBridge(s.mcpUrl, {
      args: ['--static-oauth-client-info', info, '--callback-port', String(port)],
      env: oauthEnv(home),
      connectTimeoutMs: 30000,
    }).catch((e) => {
      e.message += `\n${describeStack(s)}\n--- browser.sh ---\n${browserLog(home)}`;
      throw e;
    });
    const who = JSON.parse(resultText(await callTool(h.client, 'whoami')));
    assert.equal(who.sub, TEST_USER);
    assert.equal(who.client_id, client.client_id, 'the token was issued to the static client');
    assert.equal(s.stats.registrations, 0);
    assert.ok(!s.asHttpLog.some((e) => e.method === 'POST' && /\/reg$/.test(e.path)), 'no registration attempt');
    assert.equal(s.stats.authorizations, 1, describeStack(s));
    assert.equal(s.authRequests[0].client_id, client.client_id);
    assert.equal(s.authRequests[0].redirect_uri, client.redirect_uris[0], 'the fixed callback port');
    assert.equal(s.stats.codeGrants, 1, describeStack(s));
    assert.equal(s.grants[0].basicAuth, true, 'client_secret_basic at the token endpoint');
    assert.equal(s.grants[0].client_id, client.client_id);
    // The store is written in the background (on a worker thread, with fsync):
    // wait for it rather than assume it landed before the call's answer.
    await waitUntil(() => storedTokens(home)?.access_token, 10000, 'the tokens to be stored');
    await h.close();
    h = undefined;
  });

  test('without the flag: a JSON-RPC error naming --static-oauth-client-info; the bridge stays alive', async () => {
    const home = tempHome('static-missing');
    const before = { ...s.stats };
    raw = spawnRawBridge([s.mcpUrl], { env: oauthEnv(home) });
    const r = await rawHandshake(raw, { id: 1, timeoutMs: 20000 });
    assert.ok(r.error, `initialize fails: ${JSON.stringify(r)}`);
    assert.match(r.error.message, /--static-oauth-client-info/, `the message tells what to do: ${r.error.message}`);
    assert.equal(s.stats.authorizations, before.authorizations, 'no authorization attempted');
    assert.equal(browserLog(home), '', 'no browser opened');

    // Still alive: another request gets an answer too, and the process runs on.
    raw.send({ jsonrpc: '2.0', id: 2, method: 'ping' });
    const r2 = await raw.waitForId(2, 20000);
    assert.match(r2.error?.message ?? '', /--static-oauth-client-info/, `the next request gets the same advice: ${JSON.stringify(r2)}`);
    assert.equal(raw.exitInfo, null, `the bridge is still running\n${raw.stderr()}`);
    assert.match(raw.stderr(), /--static-oauth-client-info/, 'stderr says it too');
    raw.endStdin();
    const { code } = await raw.waitExit(10000);
    assert.equal(code, 0, 'and exits cleanly on stdin EOF');
  });
});
