// private_key_jwt (RFC 7523 §2.2) at a real authorization server: oidc-provider
// with a client registered with its public key (jwks) and
// token_endpoint_auth_method private_key_jwt. The bridge, given the client's
// PEM key with --client-private-key and --client-credentials, obtains a token
// with a signed client assertion (no secret, no Basic header) and the MCP
// server accepts it; a key file others can read is refused before any request,
// with the chmod to run; the key never appears in the log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exportJWK } from 'jose';
import { callTool, connectBridge, killAll, requireBridge, resultText, runBridge } from '../lib/harness.mjs';
import { cleanupHomes, describeStack, oauthEnv, startOidcStack, tempHome } from '../servers/oidc-stack.mjs';

describe('oauth: private_key_jwt client credentials at oidc-provider', { timeout: 90000 }, () => {
  let s, h, keyPem;
  const clientId = 'mcp-bridge-machine';
  before(async () => {
    requireBridge();
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' });
    const jwk = { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid: 'machine-1' };
    s = await startOidcStack({
      registration: false,
      clientCredentials: true,
      clientAuthMethods: ['client_secret_basic', 'private_key_jwt'],
      staticClients: [{
        client_id: clientId,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [jwk] },
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      }],
    });
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  function writeKey(home, mode) {
    const file = path.join(home, 'client-key.pem');
    fs.writeFileSync(file, keyPem, { mode });
    fs.chmodSync(file, mode);
    return file;
  }

  test('the AS offers private_key_jwt', async () => {
    const meta = await (await fetch(`${s.issuer}/.well-known/openid-configuration`)).json();
    assert.ok(meta.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
  });

  test('--client-private-key + --client-credentials: a token from a signed assertion', async () => {
    const home = tempHome('pkjwt');
    const key = writeKey(home, 0o600);
    h = await connectBridge(s.mcpUrl, {
      args: ['--static-oauth-client-info', JSON.stringify({ client_id: clientId }), '--client-credentials',
        '--client-private-key', key, '--scope', 'mcp', '--debug'],
      env: oauthEnv(home),
      connectTimeoutMs: 30000,
    }).catch((e) => {
      e.message += `\n${describeStack(s)}`;
      throw e;
    });
    const who = JSON.parse(resultText(await callTool(h.client, 'whoami')));
    assert.equal(who.client_id, clientId, 'the token was issued to the key\'s client');
    const cc = s.grants.filter((g) => g.grant_type === 'client_credentials');
    assert.equal(cc.length, 1, describeStack(s));
    assert.equal(cc[0].status, 200, describeStack(s));
    assert.equal(cc[0].client_id, clientId);
    assert.equal(cc[0].basicAuth, false, 'no Basic header with private_key_jwt');
    const stderr = h.stderr();
    const body = keyPem.split('\n').filter((l) => l && !l.startsWith('-----'));
    for (const line of body) assert.ok(!stderr.includes(line), 'the private key is not logged');
    assert.ok(!/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/.test(stderr), 'no assertion or token in the log');
    await h.close();
    h = undefined;
  });

  test('a key file others can read is refused, saying what to run', async () => {
    const home = tempHome('pkjwt-open');
    const key = writeKey(home, 0o644);
    const before = s.stats.tokenRequests;
    const r = await runBridge([s.mcpUrl, '--static-oauth-client-info', JSON.stringify({ client_id: clientId }),
      '--client-credentials', '--client-private-key', key], { env: oauthEnv(home), timeoutMs: 10000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /chmod 600/);
    assert.equal(r.stdout, '', 'nothing but JSON-RPC on stdout');
    assert.equal(s.stats.tokenRequests, before, 'no token request');
  });
});

// With DPoP and an authorization server that demands a nonce, the first token
// request is answered 400 use_dpop_nonce and sent again: with a new client
// assertion, since oidc-provider (as RFC 7523 §3 allows) refuses a replayed jti.
describe('oauth: private_key_jwt with DPoP and an AS nonce: a fresh assertion on the retry', { timeout: 90000 }, () => {
  let s, h, keyPem;
  const clientId = 'mcp-bridge-machine-dpop';
  before(async () => {
    requireBridge();
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' });
    const jwk = { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid: 'machine-2' };
    s = await startOidcStack({
      registration: false,
      clientCredentials: true,
      dpop: { asNonce: true },
      clientAuthMethods: ['client_secret_basic', 'private_key_jwt'],
      staticClients: [{
        client_id: clientId,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [jwk] },
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      }],
    });
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('the nonce retry carries a new assertion and the DPoP-bound token works', async () => {
    const home = tempHome('pkjwt-dpop');
    const key = path.join(home, 'client-key.pem');
    fs.writeFileSync(key, keyPem, { mode: 0o600 });
    h = await connectBridge(s.mcpUrl, {
      args: ['--static-oauth-client-info', JSON.stringify({ client_id: clientId }), '--client-credentials',
        '--client-private-key', key, '--scope', 'mcp'],
      env: oauthEnv(home),
      connectTimeoutMs: 30000,
    }).catch((e) => {
      e.message += `\n${describeStack(s)}`;
      throw e;
    });
    assert.equal(JSON.parse(resultText(await callTool(h.client, 'whoami'))).client_id, clientId);
    const cc = s.grants.filter((g) => g.grant_type === 'client_credentials');
    assert.equal(cc[0].status, 400, describeStack(s));
    assert.equal(cc[0].error, 'use_dpop_nonce', describeStack(s));
    assert.equal(cc[1].status, 200, describeStack(s));
    assert.equal(cc[1].token_type, 'DPoP', describeStack(s));
    assert.deepEqual(s.errors.filter((e) => !/nonce/i.test(`${e.error} ${e.detail}`)), [], describeStack(s));
  });
});
