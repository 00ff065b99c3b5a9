// Dynamic registration at a real authorization server (oidc-provider) that
// refuses a scope it does not know in the client metadata: a scope given with
// --static-oauth-client-metadata is answered 400 invalid_client_metadata; the
// bridge registers again without it and the sign-in completes, the scope then
// asked for in the authorization request as usual.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { callTool, connectBridge, killAll, requireBridge, resultText } from '../lib/harness.mjs';
import {
  browserLog, cleanupHomes, describeStack, oauthEnv, startOidcStack, tempHome, TEST_USER,
} from '../servers/oidc-stack.mjs';

describe('oauth: registration retried without the scope the AS refuses', { timeout: 90000 }, () => {
  let s, h;
  before(async () => {
    requireBridge();
    s = await startOidcStack();
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('invalid_client_metadata for the scope: registered again without it, and signed in', async () => {
    const home = tempHome('reg-scope');
    h = await connectBridge(s.mcpUrl, {
      args: ['--static-oauth-client-metadata', JSON.stringify({ scope: 'mcp' })],
      env: oauthEnv(home),
      connectTimeoutMs: 30000,
    }).catch((e) => {
      e.message += `\n${describeStack(s)}\n${JSON.stringify(s.registrations)}\n--- browser.sh ---\n${browserLog(home)}`;
      throw e;
    });
    const who = JSON.parse(resultText(await callTool(h.client, 'whoami')));
    assert.equal(who.sub, TEST_USER);
    assert.equal(s.registrations.length, 2, JSON.stringify(s.registrations));
    assert.equal(s.registrations[0].status, 400, 'the AS refused the first registration');
    assert.equal(s.registrations[1].status, 201);
    assert.equal(who.client_id, s.registrations[1].client_id, 'signed in as the second registration');
    assert.match(s.authRequests[0].scope ?? '', /\bmcp\b/, 'the scope is asked for at the authorization endpoint');
    assert.match(h.stderr(), /registering without it/);
    await h.close();
    h = undefined;
  });
});
