// OAuth discovery against a real authorization server (oidc-provider):
//  - an issuer with a path (provider mounted under /oidc): its metadata exists
//    only at /oidc/.well-known/openid-configuration (OpenID Connect Discovery's
//    path-appending form), or also at /.well-known/openid-configuration/oidc;
//    the bridge must find it after RFC 8414's path-inserting form 404s;
//  - a 401 without the resource_metadata hint (a bare "Bearer" challenge, or
//    Bearer error="invalid_token"): the protected resource metadata is found at
//    /.well-known/oauth-protected-resource/mcp (RFC 9728 path-inserted form),
//    or only at the root /.well-known/oauth-protected-resource.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  callTool, connectBridge, killAll, requireBridge, resultText, waitUntil,
} from '../lib/harness.mjs';
import {
  browserLog, cleanupHomes, describeStack, oauthEnv, startOidcStack, storedTokens, tempHome, TEST_USER,
} from '../servers/oidc-stack.mjs';

/** Sign in through the stack and check the session works end to end. */
async function signInAndCall(s, home) {
  const h = await connectBridge(s.mcpUrl, { env: oauthEnv(home), connectTimeoutMs: 30000 }).catch((e) => {
    e.message += `\n${describeStack(s)}\n--- browser.sh ---\n${browserLog(home)}`;
    throw e;
  });
  const tools = await h.client.listTools(undefined, { timeout: 15000 });
  assert.ok(tools.tools.some((t) => t.name === 'whoami'));
  const who = JSON.parse(resultText(await callTool(h.client, 'whoami')));
  assert.equal(who.sub, TEST_USER);
  assert.equal(who.iss, s.issuer);
  assert.equal(who.aud, s.mcpUrl);
  assert.equal(s.stats.authorizations, 1, describeStack(s));
  assert.equal(s.stats.codeGrants, 1, describeStack(s));
  assert.deepEqual(s.errors, []);
  return h;
}

const asGets = (s) => s.asHttpLog.filter((e) => e.method === 'GET' && e.path.includes('/.well-known/'));

for (const variant of ['only at <issuer>/.well-known/openid-configuration', 'also at /.well-known/openid-configuration/oidc']) {
  describe(`oauth discovery: issuer http://127.0.0.1:P/oidc, metadata ${variant}`, { timeout: 60000 }, () => {
    let s, home, h;
    const extra = variant.startsWith('also');
    before(async () => {
      requireBridge();
      s = await startOidcStack({
        issuerPath: '/oidc',
        extraMetadataAt: extra ? ['/.well-known/openid-configuration/oidc'] : [],
      });
      home = tempHome('issuer-path');
    });
    after(async () => {
      await h?.close();
      await killAll();
      await s?.close();
      cleanupHomes();
    });

    test('the bridge finds the metadata and signs in', async () => {
      h = await signInAndCall(s, home);
      assert.match(s.issuer, /\/oidc$/);
      const gets = asGets(s);
      const found = gets.find((e) => e.status === 200);
      assert.ok(found, `metadata fetched\n${describeStack(s)}`);
      assert.equal(found.path, extra ? '/.well-known/openid-configuration/oidc' : '/oidc/.well-known/openid-configuration',
        `found at the expected location\n${describeStack(s)}`);
      // RFC 8414 order: the path-inserted OAuth location comes first.
      assert.equal(gets[0].path, '/.well-known/oauth-authorization-server/oidc', describeStack(s));
      // Nothing at the origin's root was taken for this issuer's metadata.
      assert.ok(!gets.some((e) => e.path === '/.well-known/oauth-authorization-server'
        || e.path === '/.well-known/openid-configuration'), `no root-level metadata lookups\n${describeStack(s)}`);
      // The endpoints used are the ones under the issuer's path.
      assert.ok(s.asHttpLog.some((e) => e.path === '/oidc/auth'), 'authorization endpoint under /oidc');
      assert.ok(s.asHttpLog.some((e) => e.path === '/oidc/token' && e.status === 200), 'token endpoint under /oidc');
      assert.ok(s.asHttpLog.some((e) => e.path === '/oidc/reg' && e.status === 201), 'registration under /oidc');
      // The store is written on a worker thread after the sign-in: wait for it.
      const stored = await waitUntil(() => storedTokens(home), 10000, 'the tokens to be stored');
      assert.equal(stored.issuer, s.issuer, 'the stored issuer keeps its path');
    });
  });
}

for (const [challenge, prmAt] of [['bare', 'path'], ['invalid_token', 'path'], ['bare', 'root']]) {
  const header = challenge === 'bare' ? 'Bearer' : 'Bearer error="invalid_token"';
  const where = prmAt === 'path' ? '/.well-known/oauth-protected-resource/mcp' : '/.well-known/oauth-protected-resource';
  describe(`oauth discovery: 401 "${header}" (no resource_metadata), metadata only at ${where}`, { timeout: 60000 }, () => {
    let s, home, h;
    before(async () => {
      requireBridge();
      s = await startOidcStack({ challenge, prmAt });
      home = tempHome('no-hint');
    });
    after(async () => {
      await h?.close();
      await killAll();
      await s?.close();
      cleanupHomes();
    });

    test('the bridge finds the protected resource metadata and signs in', async () => {
      h = await signInAndCall(s, home);
      const first = s.rsLog.find((e) => e.path === '/mcp');
      assert.equal(first.status, 401, 'the first request was refused');
      const prmGets = s.rsLog.filter((e) => e.path.startsWith('/.well-known/oauth-protected-resource'));
      assert.ok(prmGets.some((e) => e.path === where && e.status === 200),
        `fetched ${where}\n${describeStack(s)}`);
      if (prmAt === 'root') {
        // RFC 9728 order: the path-inserted form first, then the root.
        assert.equal(prmGets[0].path, '/.well-known/oauth-protected-resource/mcp', describeStack(s));
      } else {
        assert.equal(prmGets[0].path, where, `the path-inserted form is tried first\n${describeStack(s)}`);
      }
      assert.equal(s.grants[0].resource, s.mcpUrl, 'RFC 8707 resource from the metadata');
    });
  });
}
