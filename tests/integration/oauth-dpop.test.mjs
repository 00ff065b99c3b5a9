// DPoP (RFC 9449) against oidc-provider with its DPoP feature on, and an MCP
// server that takes only DPoP-bound tokens and verifies the proof of every
// request (signature by the header's jwk, htm, htu, iat, ath, cnf.jkt):
//  - the AS advertises ES256 and the PRM requires DPoP: the authorization
//    request carries dpop_jkt, the code exchange and each refresh a proof, the
//    token is DPoP-bound to one key kept in the stored record, and every MCP
//    request goes out with `Authorization: DPoP` and a fresh proof;
//  - nonces: the AS answers the first token request 400 use_dpop_nonce and the
//    MCP server 401 use_dpop_nonce (also after it changes its nonce); each is
//    retried once with the nonce, without a new sign-in;
//  - the device authorization grant and the client credentials grant get
//    DPoP-bound tokens too (each poll and token request with a proof, nonces
//    from both servers), kept with their key and used with a proof on every
//    MCP request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { calculateJwkThumbprint, decodeJwt } from 'jose';
import {
  callTool, connectBridge, killAll, rawHandshake, requireBridge, resultText, runBridge, sleep, spawnRawBridge,
  waitUntil,
} from '../lib/harness.mjs';
import {
  browserLog, cleanupHomes, describeStack, oauthEnv, startOidcStack, storedTokens, tempHome,
} from '../servers/oidc-stack.mjs';

async function connect(s, home, args = []) {
  return connectBridge(s.mcpUrl, { args, env: oauthEnv(home), connectTimeoutMs: 20000 }).catch((e) => {
    e.message += `\n${describeStack(s)}\n--- browser.sh ---\n${browserLog(home)}`;
    throw e;
  });
}

/** The stored key's thumbprint (the public part of the stored private JWK). */
async function storedJkt(home) {
  const doc = storedTokens(home);
  assert.ok(doc?.dpop_key, 'the stored record holds the DPoP key');
  const { kty, crv, x, y } = JSON.parse(doc.dpop_key);
  return calculateJwkThumbprint({ kty, crv, x, y });
}

function assertNoSecretLogged(s, h, home) {
  const err = h.stderr();
  for (const { kind, value } of s.allSecrets()) assert.ok(!err.includes(value), `a ${kind} was logged`);
  const d = JSON.parse(storedTokens(home).dpop_key).d;
  assert.ok(!err.includes(d), 'the DPoP private key was logged');
}

describe('DPoP-bound tokens: sign-in, a proof on every request, refresh with the same key', { timeout: 90000 }, () => {
  let s, home, h;
  before(async () => {
    requireBridge();
    s = await startOidcStack({ dpop: {}, accessTokenTTL: 5 });
    home = tempHome('oauth-dpop');
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('calls succeed over two token lifetimes, every MCP request proven', async () => {
    h = await connect(s, home);
    const started = Date.now();
    let n = 0;
    while (Date.now() - started < 9000) {
      n++;
      assert.equal(resultText(await callTool(h.client, 'echo', { message: `m${n}` }, { timeout: 20000 })), `m${n}`,
        describeStack(s));
      await sleep(1500);
    }
    assert.equal(s.stats.authorizations, 1, describeStack(s));
    const jkt = await storedJkt(home);
    assert.equal(s.authRequests[0].dpop_jkt, jkt, 'the authorization request names the stored key');
    const ok = s.grants.filter((g) => g.status === 200);
    assert.equal(ok[0].grant_type, 'authorization_code', describeStack(s));
    assert.ok(s.stats.refreshGrants >= 1, `at least one refresh\n${describeStack(s)}`);
    for (const g of ok) {
      assert.ok(g.dpopProof, `${g.grant_type} carried a proof`);
      assert.equal(g.token_type, 'DPoP', `${g.grant_type} answered a DPoP-bound token`);
      assert.equal(decodeJwt(g.access_token).cnf?.jkt, jkt, `${g.grant_type}: bound to the one stored key`);
    }
    assert.equal(storedTokens(home).token_type, 'DPoP');
    const mcp = s.rsLog.filter((e) => e.path === new URL(s.mcpUrl).pathname && e.token);
    assert.ok(mcp.length >= n, describeStack(s));
    // server/discover is answered 400 by this 2025-era server: not a refused proof.
    assert.ok(mcp.every((e) => !(e.status >= 400) || e.why === 'use_dpop_nonce' || (e.rpc ?? []).includes('server/discover')),
      `no proof refused\n${describeStack(s)}`);
    assert.ok(s.stats.dpopProofs >= n + 1, `initialize and every call proven\n${describeStack(s)}`);
    assert.deepEqual(s.errors, []);
    assertNoSecretLogged(s, h, home);
  });
});

describe('DPoP nonces from the authorization server and the MCP server', { timeout: 60000 }, () => {
  let s, home, h;
  before(async () => {
    requireBridge();
    s = await startOidcStack({ dpop: { asNonce: true, rsNonce: true } });
    home = tempHome('oauth-dpop-nonce');
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('use_dpop_nonce is retried once with the nonce, at both, without signing in again', async () => {
    h = await connect(s, home);
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'a' })), 'a', describeStack(s));
    const first = s.grants[0];
    assert.equal(first.status, 400, describeStack(s));
    assert.equal(first.error, 'use_dpop_nonce');
    assert.equal(s.grants[1].status, 200, describeStack(s));
    assert.equal(s.grants[1].token_type, 'DPoP');
    assert.ok(s.stats.dpopNonceChallenges >= 1, `the MCP server asked for its nonce\n${describeStack(s)}`);
    // The server's GET stream open first: the new nonce then meets the call only.
    await waitUntil(() => s.rsLog.some((e) => e.method === 'GET' && e.path === new URL(s.mcpUrl).pathname
      && e.dpopVerified && e.status === undefined), 10000, 'the GET stream open');
    await sleep(200); // its answer on its way back
    const before = s.stats.dpopNonceChallenges;
    s.rotateDpopNonce();
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'b' })), 'b', describeStack(s));
    const retried = s.stats.dpopNonceChallenges - before;
    assert.equal(retried, 1, `one retry for the new nonce\n${describeStack(s)}`);
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'c' })), 'c', describeStack(s));
    assert.equal(s.stats.dpopNonceChallenges, before + retried, 'the nonce from the last answer is used');
    assert.equal(s.stats.refreshGrants, 0, `a nonce is not a reason to refresh\n${describeStack(s)}`);
    assert.equal(s.stats.authorizations, 1, describeStack(s));
    assert.equal(s.stats.codeGrants, 1, describeStack(s));
    assert.deepEqual(s.errors.filter((e) => !/nonce/i.test(`${e.error} ${e.detail}`)), []);
    assertNoSecretLogged(s, h, home);
  });

  test('`login` and `doctor` use the stored DPoP-bound token as a start does: no new sign-in', async () => {
    const signIns = s.stats.authorizations;
    s.rotateDpopNonce(); // the probe meets a nonce it does not hold yet
    const login = await runBridge(['login', s.mcpUrl], { env: oauthEnv(home), timeoutMs: 20000 });
    assert.equal(login.code, 0, `${login.stdout}\n${login.stderr}\n${describeStack(s)}`);
    assert.match(login.stdout, /^Signed in to /m);
    const doctor = await runBridge(['doctor', s.mcpUrl], { env: oauthEnv(home), timeoutMs: 20000 });
    assert.equal(doctor.code, 0, `${doctor.stdout}\n${doctor.stderr}\n${describeStack(s)}`);
    assert.equal(s.stats.authorizations, signIns, `no second sign-in\n${describeStack(s)}`);
    const d = JSON.parse(storedTokens(home).dpop_key).d;
    assert.ok(!`${login.stdout}${login.stderr}${doctor.stdout}${doctor.stderr}`.includes(d), 'the key was shown');
  });
});

/** The grants the AS answered 200 are DPoP-bound to the stored key, each asked with a proof. */
async function assertBoundToStoredKey(s, home, grantType) {
  await waitUntil(() => storedTokens(home)?.dpop_key, 10000, 'the DPoP-bound token to be stored');
  const jkt = await storedJkt(home);
  const ok = s.grants.filter((g) => g.status === 200);
  assert.ok(ok.length >= 1 && ok[0].grant_type === grantType, describeStack(s));
  for (const g of ok) {
    assert.ok(g.dpopProof, `${g.grant_type} carried a proof`);
    assert.equal(g.token_type, 'DPoP', `${g.grant_type} answered a DPoP-bound token\n${describeStack(s)}`);
    assert.equal(decodeJwt(g.access_token).cnf?.jkt, jkt, `${g.grant_type}: bound to the one stored key`);
  }
  assert.equal(storedTokens(home).token_type, 'DPoP');
}

describe('DPoP with the device authorization grant', { timeout: 90000 }, () => {
  let s, home, b;
  before(async () => {
    requireBridge();
    s = await startOidcStack({ dpop: { asNonce: true, rsNonce: true }, deviceFlow: true, accessTokenTTL: 4 });
    home = tempHome('oauth-dpop-device');
  });
  after(async () => {
    b?.kill();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('the polls carry proofs, the token is DPoP-bound, calls are proven, a refresh keeps the key', async () => {
    b = spawnRawBridge([s.mcpUrl, '--device-code'], { env: oauthEnv(home, { BROWSER: '/bin/false' }) });
    const init = rawHandshake(b, { id: 1, timeoutMs: 45000 });
    const shown = await b.waitStderr(/enter the code: (\S+)/, 20000);
    assert.ok(await s.approveDevice(/enter the code: (\S+)/.exec(shown)[1]), describeStack(s));
    const r = await init;
    assert.ok(r.result, `${JSON.stringify(r)}\n${describeStack(s)}\n${b.stderr()}`);
    if (r.result.serverInfo?.name === 'mcp-bridge') {
      // Answered by the bridge while the device sign-in went on (README: Start-up
      // while signing in): the real session is there once the lists changed.
      await b.waitFor((m) => m.method === 'notifications/tools/list_changed', 30000, 'the end of the sign-in');
    }
    for (const [id, message] of [[2, 'd1'], [3, 'd2']]) {
      if (id === 3) await sleep(4500); // past the first token's lifetime: a refresh
      b.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message } } });
      const call = await b.waitForId(id, 30000);
      assert.equal(call.result?.content?.[0]?.text, message, `${JSON.stringify(call)}\n${describeStack(s)}`);
    }
    assert.equal(s.stats.deviceGrants, 1, describeStack(s));
    assert.equal(s.stats.authorizations, 0, 'no browser sign-in');
    assert.ok(s.grants.some((g) => g.error === 'use_dpop_nonce'), `the AS asked for its nonce\n${describeStack(s)}`);
    assert.ok(s.stats.refreshGrants >= 1, `a refresh\n${describeStack(s)}`);
    await assertBoundToStoredKey(s, home, 'urn:ietf:params:oauth:grant-type:device_code');
    assert.ok(s.stats.dpopProofs >= 3, `initialize and the calls proven\n${describeStack(s)}`);
    const mcp = s.rsLog.filter((e) => e.path === new URL(s.mcpUrl).pathname && e.token);
    assert.ok(mcp.every((e) => !(e.status >= 400) || e.why === 'use_dpop_nonce' || (e.rpc ?? []).includes('server/discover')),
      `no proof refused\n${describeStack(s)}`);
    const err = b.stderr();
    for (const { kind, value } of s.allSecrets()) assert.ok(!err.includes(value), `a ${kind} was logged`);
    assert.ok(!err.includes(JSON.parse(storedTokens(home).dpop_key).d), 'the DPoP private key was logged');
  });
});

describe('DPoP with the client credentials grant', { timeout: 60000 }, () => {
  const clientId = 'mcp-bridge-dpop-machine';
  const clientSecret = 'dpop-machine-secret-5e2b';
  let s, home, h;
  before(async () => {
    requireBridge();
    s = await startOidcStack({
      dpop: { asNonce: true, rsNonce: true },
      registration: false,
      clientCredentials: true,
      staticClients: [{
        client_id: clientId, client_secret: clientSecret, grant_types: ['client_credentials'],
        response_types: [], redirect_uris: [],
      }],
    });
    home = tempHome('oauth-dpop-cc');
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('the token request carries a proof, the token is DPoP-bound and every call is proven', async () => {
    h = await connect(s, home, ['--static-oauth-client-info', JSON.stringify({ client_id: clientId, client_secret: clientSecret }),
      '--client-credentials']);
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'c1' })), 'c1', describeStack(s));
    // The server's GET stream open first: the new nonce then meets the call only.
    await waitUntil(() => s.rsLog.some((e) => e.method === 'GET' && e.path === new URL(s.mcpUrl).pathname
      && e.dpopVerified && e.status === undefined), 10000, 'the GET stream open');
    await sleep(200);
    s.rotateDpopNonce();
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'c2' })), 'c2', describeStack(s));
    const cc = s.grants.filter((g) => g.grant_type === 'client_credentials');
    assert.equal(cc.filter((g) => g.status === 200).length, 1, describeStack(s));
    assert.equal(cc[0].error, 'use_dpop_nonce', `the AS asked for its nonce\n${describeStack(s)}`);
    await assertBoundToStoredKey(s, home, 'client_credentials');
    assert.ok(s.stats.dpopProofs >= 3, `initialize and the calls proven\n${describeStack(s)}`);
    assert.ok(s.stats.dpopNonceChallenges >= 2, `the MCP server's nonces\n${describeStack(s)}`);
    assert.deepEqual(s.errors.filter((e) => !/nonce/i.test(`${e.error} ${e.detail}`)), []);
    const err = h.stderr();
    assert.ok(!err.includes(clientSecret), 'the client secret was logged');
    for (const { kind, value } of s.allSecrets()) assert.ok(!err.includes(value), `a ${kind} was logged`);
    await h.close();
    h = undefined;
  });

  test('--token-endpoint (no metadata read): the DPoP-only challenge is enough to ask for a DPoP-bound token', async () => {
    const home2 = tempHome('oauth-dpop-cc-endpoint');
    const before = s.grants.length;
    const metadataReads = s.asHttpLog.filter((e) => e.path.startsWith('/.well-known')).length;
    h = await connect(s, home2, ['--static-oauth-client-info', JSON.stringify({ client_id: clientId, client_secret: clientSecret }),
      '--client-credentials', '--token-endpoint', `${s.issuer}/token`, '--scope', 'mcp']);
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'e1' })), 'e1', describeStack(s));
    assert.equal(s.asHttpLog.filter((e) => e.path.startsWith('/.well-known')).length, metadataReads, 'no discovery');
    const ok = s.grants.slice(before).filter((g) => g.status === 200);
    assert.equal(ok.length, 1, describeStack(s));
    assert.ok(ok[0].dpopProof, 'the token request carried a proof');
    assert.equal(ok[0].token_type, 'DPoP', describeStack(s));
    await waitUntil(() => storedTokens(home2)?.dpop_key, 10000, 'the DPoP-bound token to be stored');
    assert.equal(decodeJwt(ok[0].access_token).cnf?.jkt, await storedJkt(home2));
    await h.close();
    h = undefined;
  });
});
