// Enterprise-managed authorization (SEP-990, cross-app access) end to end: the
// ID token from the enterprise IdP (in a file, an environment variable or a
// command's output) is exchanged at the IdP for an ID-JAG (RFC 8693), which
// the MCP server's AS verifies and takes as a jwt-bearer grant (RFC 7523) from the client of
// --static-oauth-client-info (client_secret_basic). The IdP is found from its
// issuer's metadata. With no ID token source, the bridge signs the person in at
// the IdP (OpenID Connect in the headless browser), checks the ID token (nonce,
// signature by the IdP's published key) and keeps it for the next start. No
// ID token, ID-JAG or access token in the log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  callTool, connectBridge, killAll, rawHandshake, requireBridge, resultText, spawnRawBridge,
} from '../lib/harness.mjs';
import { browserLog, cleanupHomes, oauthEnv, readCredentials, tempHome } from '../servers/oidc-stack.mjs';
import { startJwtBearerStack } from '../servers/jwt-bearer.mjs';

const clientId = 'mcp-client-at-as';
const clientSecret = 'as-secret-3c1d9a';
const idpClientId = 'mcp-client-at-idp';

describe('oauth: enterprise-managed authorization (ID token -> ID-JAG -> jwt-bearer)', { timeout: 90000 }, () => {
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

  function writeIdToken(home, text, mode = 0o600) {
    const file = path.join(home, 'id-token');
    fs.writeFileSync(file, `${text}\n`, { mode });
    fs.chmodSync(file, mode);
    return file;
  }

  function assertNoSecrets(stderr, idToken) {
    assert.ok(!stderr.includes(idToken), 'the ID token is not logged');
    assert.ok(!/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/.test(stderr), 'no JWT (ID token, ID-JAG) in the log');
    for (const g of s.grants) if (g.access_token) assert.ok(!stderr.includes(g.access_token), 'no access token in the log');
  }

  test('--id-token-file: the exchange at the IdP, then the jwt-bearer grant; the MCP server accepts the token', async () => {
    const home = tempHome('enterprise');
    const idToken = await s.issueIdToken('alice@example.test');
    h = await connectBridge(s.mcpUrl, {
      args: args('--id-token-file', writeIdToken(home, idToken), '--debug'),
      env: oauthEnv(home, { BROWSER: '/bin/false' }),
      connectTimeoutMs: 30000,
    }).catch((e) => {
      e.message += `\n${JSON.stringify({ log: s.log, grants: s.grants }, null, 1)}`;
      throw e;
    });
    const who = JSON.parse(resultText(await callTool(h.client, 'whoami')));
    assert.equal(who.sub, 'alice@example.test');
    const at = (where, type) => s.grants.filter((g) => g.at === where && g.grant_type === type && g.status === 200);
    assert.equal(at('idp', 'urn:ietf:params:oauth:grant-type:token-exchange').length, 1, JSON.stringify(s.grants));
    const jb = at('as', 'urn:ietf:params:oauth:grant-type:jwt-bearer');
    assert.equal(jb.length, 1, JSON.stringify(s.grants));
    assert.equal(jb[0].kind, 'id-jag');
    assert.equal(jb[0].resource, s.mcpUrl, 'the RFC 8707 resource at the AS');
    assert.equal(jb[0].scope, 'mcp', 'the challenged scope');
    assert.ok(s.log.some((e) => e.at === 'idp' && e.path === '/.well-known/openid-configuration'), 'the IdP found from its issuer');
    assertNoSecrets(h.stderr(), idToken);
    await h.close();
    h = undefined;
  });

  test('--id-token-env with --idp-token-endpoint: no IdP discovery', async () => {
    const home = tempHome('enterprise-env');
    const idToken = await s.issueIdToken('bob@example.test');
    const metaBefore = s.log.filter((e) => e.at === 'idp' && e.path.startsWith('/.well-known')).length;
    h = await connectBridge(s.mcpUrl, {
      args: ['--static-oauth-client-info', JSON.stringify({ client_id: clientId, client_secret: clientSecret }),
        '--idp-token-endpoint', s.idp.tokenEndpoint, '--idp-client-id', idpClientId, '--id-token-env', 'ENTERPRISE_ID_TOKEN'],
      env: oauthEnv(home, { ENTERPRISE_ID_TOKEN: idToken }),
      connectTimeoutMs: 30000,
    });
    assert.equal(JSON.parse(resultText(await callTool(h.client, 'whoami'))).sub, 'bob@example.test');
    assert.equal(s.log.filter((e) => e.at === 'idp' && e.path.startsWith('/.well-known')).length, metaBefore);
    assertNoSecrets(h.stderr(), idToken);
    await h.close();
    h = undefined;
  });

  test('--id-token-command: the ID token is what the command prints, run without a shell', async () => {
    const home = tempHome('enterprise-command');
    const idToken = await s.issueIdToken('erin@example.test');
    const file = writeIdToken(home, idToken);
    const exchanges = s.grants.filter((g) => g.at === 'idp').length;
    h = await connectBridge(s.mcpUrl, {
      // Quoted words as a shell splits them; `;` reaches sh as its own argument.
      args: args('--id-token-command', `sh -c 'cat "$1"; exit 0' 'get token' ${file}`, '--debug'),
      env: oauthEnv(home, { BROWSER: '/bin/false' }),
      connectTimeoutMs: 30000,
    });
    assert.equal(JSON.parse(resultText(await callTool(h.client, 'whoami'))).sub, 'erin@example.test');
    assert.equal(s.grants.filter((g) => g.at === 'idp').length, exchanges + 1, JSON.stringify(s.grants));
    assertNoSecrets(h.stderr(), idToken);
    await h.close();
    h = undefined;
  });

  test('--id-token-command that fails: its exit status is reported and nothing is sent', async () => {
    const home = tempHome('enterprise-command-fails');
    const exchanges = s.grants.length;
    raw = spawnRawBridge([s.mcpUrl, ...args('--id-token-command', "sh -c 'echo not-a-token; exit 4'")],
      { env: oauthEnv(home) });
    const r = await rawHandshake(raw, { id: 1, timeoutMs: 20000 });
    assert.ok(r.error, JSON.stringify(r));
    assert.match(r.error.message + raw.stderr(), /sh failed \(exit status 4\)/);
    assert.ok(!raw.stderr().includes('not-a-token') && !r.error.message.includes('not-a-token'), 'the output is not shown');
    assert.equal(s.grants.length, exchanges, 'no exchange without an ID token');
    raw.kill();
    raw = undefined;
  });

  test('an ID token file others can read: a JSON-RPC error with the chmod to run, nothing sent', async () => {
    const home = tempHome('enterprise-open');
    const idToken = await s.issueIdToken('carol@example.test');
    const exchanges = s.grants.length;
    raw = spawnRawBridge([s.mcpUrl, ...args('--id-token-file', writeIdToken(home, idToken, 0o644))], { env: oauthEnv(home) });
    const r = await rawHandshake(raw, { id: 1, timeoutMs: 20000 });
    assert.ok(r.error, JSON.stringify(r));
    assert.match(r.error.message + raw.stderr(), /chmod 600/);
    assert.equal(s.grants.length, exchanges, 'the ID token went nowhere');
    raw.kill();
    raw = undefined;
  });

  test('an expired ID token: the IdP\'s refusal is reported', async () => {
    const home = tempHome('enterprise-expired');
    const idToken = await s.issueIdToken('dave@example.test', { expiresIn: -120 });
    raw = spawnRawBridge([s.mcpUrl, ...args('--id-token-file', writeIdToken(home, idToken))], { env: oauthEnv(home) });
    const r = await rawHandshake(raw, { id: 1, timeoutMs: 20000 });
    assert.ok(r.error, JSON.stringify(r));
    assert.match(r.error.message + raw.stderr(), /refused to exchange the ID token.*invalid_grant/s);
    assertNoSecrets(raw.stderr(), idToken);
    raw.kill();
    raw = undefined;
  });

  const signInArgs = (...more) => ['--static-oauth-client-info', JSON.stringify({ client_id: clientId, client_secret: clientSecret }),
    '--idp-issuer', s.idp.issuer, '--idp-client-id', idpClientId, ...more];
  const launches = (home) => (browserLog(home).match(/^\[browser\.sh [^\]]*\] open /gm) ?? []).length;

  test('no ID token source: a sign-in at the IdP in the browser; a second start needs no browser', async () => {
    const home = tempHome('enterprise-signin');
    s.idp.signInMode = 'ok';
    const signInsBefore = s.idp.signIns.length;
    const exchanges = () => s.grants.filter((g) => g.at === 'idp' && g.grant_type === 'urn:ietf:params:oauth:grant-type:token-exchange' && g.status === 200).length;
    const exchangedBefore = exchanges();
    h = await connectBridge(s.mcpUrl, { args: signInArgs('--debug'), env: oauthEnv(home), connectTimeoutMs: 30000 })
      .catch((e) => {
        e.message += `\n${browserLog(home)}\n${JSON.stringify({ log: s.log, grants: s.grants }, null, 1)}`;
        throw e;
      });
    assert.equal(JSON.parse(resultText(await callTool(h.client, 'whoami'))).sub, 'alice@example.test');
    assert.equal(launches(home), 1, browserLog(home));
    assert.equal(s.idp.signIns.length, signInsBefore + 1);
    const req = s.idp.signIns.at(-1);
    assert.equal(req.code_challenge_method, 'S256');
    assert.deepEqual(req.scope.split(' ').sort(), ['offline_access', 'openid']);
    assert.ok(req.nonce && req.nonce.length >= 20, 'a nonce');
    assert.equal(exchanges(), exchangedBefore + 1, 'the ID token exchanged');
    assert.ok(s.log.some((e) => e.at === 'idp' && e.path === '/jwks'), 'the signature checked with the IdP keys');
    const stored = readCredentials(home).files.map((f) => f.doc).find((d) => d?.idp_issuer === s.idp.issuer);
    assert.ok(stored?.id_token && stored?.refresh_token, 'the ID token and refresh token kept');
    assert.equal(stored.client_id, idpClientId);
    assertNoSecrets(h.stderr(), stored.id_token);
    assert.ok(!h.stderr().includes(stored.refresh_token), 'no refresh token in the log');
    await h.close();
    h = undefined;

    // The MCP server forgets its tokens: the next start must go through the
    // IdP again, and does so with the kept ID token, without the browser.
    s.revokeAll();
    h = await connectBridge(s.mcpUrl, { args: signInArgs(), env: oauthEnv(home, { BROWSER: '/bin/false' }), connectTimeoutMs: 30000 });
    assert.equal(JSON.parse(resultText(await callTool(h.client, 'whoami'))).sub, 'alice@example.test');
    assert.equal(launches(home), 1, 'no second browser launch');
    assert.equal(s.idp.signIns.length, signInsBefore + 1, 'no second sign-in');
    assert.equal(exchanges(), exchangedBefore + 2, 'the kept ID token exchanged');
    await h.close();
    h = undefined;
  });

  for (const [mode, why] of [['wrong-nonce', /nonce/], ['other-key', /signature|key/]]) {
    test(`a sign-in whose ID token has ${mode === 'wrong-nonce' ? 'another nonce' : 'a signature by another key'}: refused, never exchanged`, async () => {
      const home = tempHome(`enterprise-${mode}`);
      s.idp.signInMode = mode;
      const exchanges = s.grants.filter((g) => g.at === 'idp' && g.grant_type?.endsWith('token-exchange')).length;
      const signInsBefore = s.idp.signIns.length;
      try {
        raw = spawnRawBridge([s.mcpUrl, ...signInArgs()], { env: oauthEnv(home) });
        const r = await rawHandshake(raw, { id: 1, timeoutMs: 25000 });
        assert.ok(r.error, JSON.stringify(r));
        assert.equal(s.idp.signIns.length, signInsBefore + 1, `the browser signed in at the IdP\n${browserLog(home)}`);
        assert.match(r.error.message + raw.stderr(), why);
        assert.match(r.error.message + raw.stderr(), /refused/);
        assert.equal(s.grants.filter((g) => g.at === 'idp' && g.grant_type?.endsWith('token-exchange')).length, exchanges,
          'the ID token is not exchanged');
        assert.ok(!readCredentials(home).files.some((f) => f.doc?.idp_issuer), 'nothing kept');
        assert.ok(!/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/.test(raw.stderr()), 'no JWT in the log');
      } finally {
        s.idp.signInMode = 'ok';
        raw?.kill();
        raw = undefined;
      }
    });
  }
});
