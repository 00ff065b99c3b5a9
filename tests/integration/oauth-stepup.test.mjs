// Step-up authorization at a real authorization server (oidc-provider): the MCP
// server answers 403 Bearer error="insufficient_scope", scope="mcp mcp:admin"
// for one tool; the bridge signs in again (headlessly) asking for the union of
// the scopes, and the call is retried and succeeds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  callTool, connectBridge, killAll, requireBridge, resultText, waitUntil,
} from '../lib/harness.mjs';
import {
  browserLog, cleanupHomes, describeStack, oauthEnv, startOidcStack, storedTokens, tempHome,
} from '../servers/oidc-stack.mjs';

describe('oauth: step-up on 403 insufficient_scope', { timeout: 90000 }, () => {
  let s, home, h;
  before(async () => {
    requireBridge();
    s = await startOidcStack({ stepUp: { tool: 'admin', scope: 'mcp:admin' } });
    home = tempHome('stepup');
    h = await connectBridge(s.mcpUrl, { env: oauthEnv(home), connectTimeoutMs: 30000 }).catch((e) => {
      e.message += `\n${describeStack(s)}\n--- browser.sh ---\n${browserLog(home)}`;
      throw e;
    });
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('a call needing more scope: new authorization with the union of scopes, the call succeeds', async () => {
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'x' })), 'x');
    assert.equal(s.stats.authorizations, 1);
    assert.doesNotMatch(s.authRequests[0].scope ?? '', /mcp:admin/, 'the first sign-in asked for the advertised scope only');

    const r = await callTool(h.client, 'admin', {}, { timeout: 30000 });
    assert.ok(!r.isError, JSON.stringify(r));
    assert.match(resultText(r), /mcp:admin/, 'the retried call carried a token with the new scope');
    assert.ok(s.rsLog.some((e) => e.status === 403), 'the server refused the first attempt with 403');
    assert.equal(s.stats.authorizations, 2, `signed in again\n${describeStack(s)}`);
    const scopes = (s.authRequests[1].scope ?? '').split(' ');
    assert.ok(scopes.includes('mcp') && scopes.includes('mcp:admin'), `asked for the union: ${s.authRequests[1].scope}`);
    assert.equal(s.authRequests[1].resource, s.mcpUrl);
    // Other calls keep working with the new token.
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'y' })), 'y');
    const stored = await waitUntil(() => {
      const t = storedTokens(home);
      return t && /mcp:admin/.test(t.scope ?? '') && t;
    }, 10000, 'the stepped-up token to be stored').catch(() => storedTokens(home));
    assert.match(stored?.scope ?? '', /mcp:admin/, 'the stored scope includes the new scope');
    assert.equal(stored.access_token, s.grants[s.grants.length - 1].access_token);
  });
});
