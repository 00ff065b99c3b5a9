// Authorization server migration (SEP-2352): a server signed in through AS A
// moves to AS B (its protected resource metadata names B) between two starts
// of the bridge. Credentials are kept per issuer: the second start registers
// with B and signs in there, and sends A's refresh token to nobody, although
// A still answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  callTool, connectBridge, killAll, requireBridge, resultText,
} from '../lib/harness.mjs';
import {
  browserLog, cleanupHomes, describeStack, oauthEnv, startOidcStack, storedTokens, tempHome,
} from '../servers/oidc-stack.mjs';

async function connect(s, home) {
  return connectBridge(s.mcpUrl, { env: oauthEnv(home), connectTimeoutMs: 20000 }).catch((e) => {
    e.message += `\n${describeStack(s)}\n--- browser.sh ---\n${browserLog(home)}`;
    throw e;
  });
}

describe('the server moves to another authorization server between two starts', { timeout: 90000 }, () => {
  let a, b, home, h;
  before(async () => {
    requireBridge();
    a = await startOidcStack();
    home = tempHome('oauth-as-migration');
  });
  after(async () => {
    await h?.close();
    await killAll();
    await a?.close();
    await b?.close();
    cleanupHomes();
  });

  test('signs in at the new AS with a new client; the old refresh token is not sent', async () => {
    h = await connect(a, home);
    const whoA = JSON.parse(resultText(await callTool(h.client, 'whoami')));
    assert.equal(whoA.iss, a.issuer);
    await h.close();
    await killAll();
    h = undefined;
    const stored = storedTokens(home);
    assert.equal(stored.issuer, a.issuer);
    assert.ok(stored.refresh_token, `A issued a refresh token\n${describeStack(a)}`);

    // Same MCP URL, now behind B; A keeps answering.
    await a.closeResourceServer();
    b = await startOidcStack({ rsPort: Number(new URL(a.mcpUrl).port) });
    assert.equal(b.mcpUrl, a.mcpUrl);
    const aTokenRequests = a.stats.tokenRequests;

    h = await connect(b, home);
    const whoB = JSON.parse(resultText(await callTool(h.client, 'whoami')));
    assert.equal(whoB.iss, b.issuer, describeStack(b));
    assert.equal(a.stats.tokenRequests, aTokenRequests, `nothing more sent to A's token endpoint\n${describeStack(a)}`);
    assert.equal(b.stats.registrations, 1, `a client registered at B\n${describeStack(b)}`);
    assert.notEqual(whoB.client_id, whoA.client_id, 'not the client registered at A');
    assert.equal(b.stats.authorizations, 1, describeStack(b));
    const aRefreshTokens = new Set(a.secrets.refreshTokens);
    assert.ok(!b.grants.some((g) => aRefreshTokens.has(g.refresh_token_in)), 'A\'s refresh token was not sent to B');
    assert.equal(storedTokens(home).issuer, b.issuer, 'the stored sign-in is now from B');
  });
});
