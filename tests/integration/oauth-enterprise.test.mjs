// Enterprise-managed authorization (SEP-990, cross-app access) end to end: the
// ID token from the enterprise IdP (in a file, an environment variable or a
// command's output) is exchanged at the IdP for an ID-JAG (RFC 8693), which
// the MCP server's AS verifies and takes as a jwt-bearer grant (RFC 7523) from the client of
// --static-oauth-client-info (client_secret_basic). The IdP is found from its
// issuer's metadata. With no ID token source, the bridge signs the person in at
// the IdP (OpenID Connect in the headless browser), checks the ID token (nonce,
// signature by the IdP's published key) and keeps it for the next start; once
// it has expired, the IdP's refresh token gets a new one without a browser. No
// ID token, ID-JAG or access token in the log.
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
const clientSecret = 'as-secret-3c1d9a';
const idpClientId = 'mcp-client-at-idp';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
// Short enough to wait past; long enough for the first start to exchange it.
const SHORT_ID_TOKEN_LIFETIME_S = 4;

describe('oauth: enterprise-managed authorization (ID token -> ID-JAG -> jwt-bearer)', { timeout: 180000 }, () => {
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
    assert.equal(at('idp', TOKEN_EXCHANGE).length, 1, JSON.stringify(s.grants));
    const jb = at('as', JWT_BEARER);
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
    const exchanges = () => s.grants.filter((g) => g.at === 'idp' && g.grant_type === TOKEN_EXCHANGE && g.status === 200).length;
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

  // When the kept ID token has expired, the next start gets a new one with the
  // IdP's refresh token (no browser) and exchanges that; when the IdP refuses the
  // refresh token and --no-browser is set, the host gets one clear error at once.
  const idpGrants = (type) => s.grants.filter((g) => g.at === 'idp' && g.grant_type === type);
  const keptIdpRecord = (home) => readCredentials(home).files.map((f) => f.doc).find((d) => d?.idp_issuer === s.idp.issuer);

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
      h = await connectBridge(s.mcpUrl, { args: signInArgs('--debug'), env: oauthEnv(home), connectTimeoutMs: 30000 })
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

  function assertNoneLogged(stderr, secrets) {
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
      args: signInArgs('--debug', '--auth-timeout', '10'),
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
    assertNoneLogged(h.stderr(), {
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

    raw = spawnRawBridge([s.mcpUrl, ...signInArgs('--no-browser', '--debug')], { env: oauthEnv(home, { BROWSER: browser.script }) });
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
    assertNoneLogged(raw.stderr(), { 'old ID token': old.id_token, 'old refresh token': old.refresh_token });
    raw = undefined;
  });
});
