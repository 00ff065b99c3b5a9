// OAuth against a real authorization server (oidc-provider): the full headless
// sign-in (RFC 9728 -> RFC 8414 -> RFC 7591 -> PKCE S256 authorization code with
// RFC 8707 resource -> JWT access token checked by the MCP server), then a second
// start of the bridge with the same XDG_CONFIG_HOME reuses the stored tokens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  callTool, connectBridge, killAll, requireBridge, resultText, waitUntil,
} from '../lib/harness.mjs';
import {
  browserLog, cleanupHomes, describeStack, oauthEnv, readCredentials, startOidcStack, storedTokens, tempHome, TEST_USER,
} from '../servers/oidc-stack.mjs';

describe('oauth: headless sign-in at oidc-provider', { timeout: 90000 }, () => {
  let s, home, h, h2;
  before(async () => {
    requireBridge();
    s = await startOidcStack();
    home = tempHome('signin');
  });
  after(async () => {
    await h?.close();
    await h2?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  const connect = (what) => connectBridge(s.mcpUrl, { env: oauthEnv(home), connectTimeoutMs: 30000 })
    .catch((e) => {
      e.message += `\n--- ${what}: stack ---\n${describeStack(s)}\n--- browser.sh ---\n${browserLog(home)}`;
      throw e;
    });

  test('SDK client -> bridge -> MCP server: sign-in, listTools and callTool', async () => {
    h = await connect('first start');
    const tools = await h.client.listTools(undefined, { timeout: 15000 });
    assert.deepEqual(tools.tools.map((t) => t.name).sort(), ['echo', 'whoami']);
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'hello through oauth' })), 'hello through oauth');
    const who = JSON.parse(resultText(await callTool(h.client, 'whoami')));
    assert.equal(who.sub, TEST_USER);
    assert.equal(who.aud, s.mcpUrl, 'the JWT audience is the MCP server (RFC 8707)');
    assert.equal(who.iss, s.issuer);
    assert.match(who.scope, /\bmcp\b/);

    // Exactly one authorization and one token request at the AS.
    assert.equal(s.stats.authorizations, 1, `one authorization request\n${describeStack(s)}`);
    assert.equal(s.stats.tokenRequests, 1, `one token request\n${describeStack(s)}`);
    assert.equal(s.stats.codeGrants, 1);
    assert.equal(s.stats.registrations, 1, 'registered dynamically once');
    assert.deepEqual(s.errors, []);

    // What the bridge sent.
    const a = s.authRequests[0];
    assert.equal(a.response_type, 'code');
    assert.equal(a.code_challenge_method, 'S256');
    assert.match(a.code_challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.match(a.redirect_uri, /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/);
    assert.equal(a.resource, s.mcpUrl, 'resource on the authorization request');
    assert.ok(a.state && a.state.length >= 16, 'a state parameter');
    const g = s.grants[0];
    assert.equal(g.grant_type, 'authorization_code');
    assert.equal(g.resource, s.mcpUrl, 'resource on the token request');
    assert.match(g.code_verifier, /^[A-Za-z0-9._~-]{43,128}$/);
    assert.equal(s.registrations[0].token_endpoint_auth_method, 'none', 'a public native client');
    assert.deepEqual(s.registrations[0].redirect_uris, [a.redirect_uri]);

    // The MCP server saw a 401 first, then only requests with the issued token.
    const mcp = s.rsLog.filter((e) => e.path === '/mcp');
    assert.equal(mcp[0].status, 401);
    assert.ok(mcp.slice(1).every((e) => e.token === g.access_token && e.status !== 401),
      `every later request carries the issued token\n${describeStack(s)}`);

    // Stored 0600 in the XDG_CONFIG_HOME of this test.
    const creds = readCredentials(home);
    assert.ok(creds.files.length >= 1, 'credentials stored');
    assert.equal(creds.dirMode & 0o077, 0, `credentials dir not accessible to others (${creds.dirMode.toString(8)})`);
    for (const f of creds.files) assert.equal(f.mode, 0o600, `${f.name} is 0600 (is ${f.mode.toString(8)})`);
    // (The store is written asynchronously: allow it a moment.)
    const tok = await waitUntil(() => storedTokens(home), 10000, 'stored tokens').catch(() => undefined);
    assert.ok(tok, 'a token document');
    assert.equal(tok.access_token, g.access_token);
    assert.equal(tok.refresh_token, g.refresh_token_out);
    assert.equal(tok.resource, s.mcpUrl);
    assert.equal(tok.issuer, s.issuer);
  });

  test('a second start with the same XDG_CONFIG_HOME reuses the tokens (no authorization)', async (t) => {
    await h.close();
    h = undefined;
    const before = { ...s.stats };
    const rsBefore = s.rsLog.length;
    h2 = await connect('second start');
    assert.equal(resultText(await callTool(h2.client, 'echo', { message: 'again' })), 'again');
    assert.equal(s.stats.authorizations, before.authorizations, 'no second authorization');
    assert.equal(s.stats.tokenRequests, before.tokenRequests, 'no token request at all (the access token is still valid)');
    assert.equal(s.stats.registrations, before.registrations, 'no second registration');
    const later = s.rsLog.slice(rsBefore).filter((e) => e.path === '/mcp');
    assert.ok(later.length >= 2);
    // The stored tokens are read in the background: a first request may go out
    // before that read finished (then a 401 without a token is answered with the
    // stored one). Every request with a token uses the stored one.
    const withToken = later.filter((e) => e.token);
    assert.ok(withToken.length >= 2);
    assert.ok(withToken.every((e) => e.status !== 401 && e.token === s.grants[0].access_token),
      `the stored access token is used\n${describeStack(s)}`);
    const noToken = later.filter((e) => !e.token);
    assert.ok(noToken.length <= 1, `at most the very first request goes out before the stored token is read\n${describeStack(s)}`);
    if (noToken.length) t.diagnostic(`the first request of the second start carried no token (${noToken[0].status})`);
  });
});
