// Workload identity federation (SEP-1933): the platform's token (here, as a
// Kubernetes projected service account token would be, a JWT from a trusted
// issuer with the AS as audience) is traded at the authorization server with
// the jwt-bearer grant (RFC 7523), the client authenticated with
// client_secret_basic. The AS checks the assertion as RFC 7523 §3 asks
// (signature, iss, aud, exp, sub). The file is read again for every grant (the
// platform rotates it); one others can read, or an assertion for another
// audience, ends in an error that says what happened.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import {
  callTool, connectBridge, killAll, rawHandshake, requireBridge, resultText, spawnRawBridge,
} from '../lib/harness.mjs';
import { cleanupHomes, oauthEnv, tempHome } from '../servers/oidc-stack.mjs';
import { startJwtBearerStack } from '../servers/jwt-bearer.mjs';

const clientId = 'workload-client';
const clientSecret = 'workload-secret-77a1';
const platformIssuer = 'https://kubernetes.default.svc.cluster.local';

describe('oauth: workload identity (platform token -> jwt-bearer grant)', { timeout: 90000 }, () => {
  let s, h, raw, platformKeys;
  before(async () => {
    requireBridge();
    platformKeys = await generateKeyPair('ES256');
    s = await startJwtBearerStack({
      clientId, clientSecret, idpClientId: 'unused', platform: { issuer: platformIssuer, publicKey: platformKeys.publicKey },
    });
  });
  after(async () => {
    await h?.close();
    raw?.kill();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  const platformToken = (sub, { audience = s.as.issuer } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'platform-1' }).setIssuer(platformIssuer)
      .setSubject(sub).setAudience(audience).setIssuedAt(now).setExpirationTime(now + 600).sign(platformKeys.privateKey);
  };
  const args = (...more) => ['--static-oauth-client-info', JSON.stringify({ client_id: clientId, client_secret: clientSecret }), ...more];
  const writeToken = (file, text, mode = 0o600) => {
    fs.writeFileSync(file, `${text}\n`, { mode });
    fs.chmodSync(file, mode);
  };
  const workloadGrants = () => s.grants.filter((g) => g.kind === 'workload' && g.status === 200);

  test('--workload-token-file: a token for the platform\'s subject; the rotated file is read for the next grant', async () => {
    const home = tempHome('workload');
    const file = path.join(home, 'token');
    const first = await platformToken('system:serviceaccount:prod:agent');
    writeToken(file, first);
    h = await connectBridge(s.mcpUrl, { args: args('--workload-token-file', file, '--debug'), env: oauthEnv(home), connectTimeoutMs: 30000 })
      .catch((e) => {
        e.message += `\n${JSON.stringify({ log: s.log, grants: s.grants }, null, 1)}`;
        throw e;
      });
    assert.equal(JSON.parse(resultText(await callTool(h.client, 'whoami'))).sub, 'system:serviceaccount:prod:agent');
    assert.equal(workloadGrants().length, 1, JSON.stringify(s.grants));
    assert.equal(workloadGrants()[0].resource, s.mcpUrl);
    // The platform rotates the token; the server stops accepting the access token.
    const second = await platformToken('system:serviceaccount:prod:agent-rotated');
    writeToken(file, second);
    s.revokeAll();
    assert.equal(JSON.parse(resultText(await callTool(h.client, 'whoami'))).sub, 'system:serviceaccount:prod:agent-rotated');
    assert.equal(workloadGrants().length, 2, JSON.stringify(s.grants));
    const stderr = h.stderr();
    for (const t of [first, second]) assert.ok(!stderr.includes(t), 'the platform token is not logged');
    assert.ok(!/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/.test(stderr), 'no JWT in the log');
    await h.close();
    h = undefined;
  });

  test('--workload-token-env', async () => {
    const home = tempHome('workload-env');
    h = await connectBridge(s.mcpUrl, {
      args: args('--workload-token-env', 'CI_OIDC_TOKEN'),
      env: oauthEnv(home, { CI_OIDC_TOKEN: await platformToken('repo:example/app:ref:refs/heads/main') }),
      connectTimeoutMs: 30000,
    });
    assert.equal(JSON.parse(resultText(await callTool(h.client, 'whoami'))).sub, 'repo:example/app:ref:refs/heads/main');
    await h.close();
    h = undefined;
  });

  test('a token for another audience is refused by the AS, and the bridge says so', async () => {
    const home = tempHome('workload-aud');
    const file = path.join(home, 'token');
    writeToken(file, await platformToken('system:serviceaccount:prod:agent', { audience: 'https://other.example' }));
    raw = spawnRawBridge([s.mcpUrl, ...args('--workload-token-file', file)], { env: oauthEnv(home) });
    const r = await rawHandshake(raw, { id: 1, timeoutMs: 20000 });
    assert.ok(r.error, JSON.stringify(r));
    assert.match(r.error.message + raw.stderr(), /refused the workload identity token.*invalid_grant/s);
    assert.ok(s.grants.some((g) => g.at === 'as' && g.error === 'invalid_grant' && /aud/.test(g.why)), JSON.stringify(s.grants));
    raw.kill();
    raw = undefined;
  });

  test('a token file others can read: refused with the chmod to run, nothing sent', async () => {
    const home = tempHome('workload-open');
    const file = path.join(home, 'token');
    writeToken(file, await platformToken('system:serviceaccount:prod:agent'), 0o644);
    const n = s.grants.length;
    raw = spawnRawBridge([s.mcpUrl, ...args('--workload-token-file', file)], { env: oauthEnv(home) });
    const r = await rawHandshake(raw, { id: 1, timeoutMs: 20000 });
    assert.ok(r.error, JSON.stringify(r));
    assert.match(r.error.message + raw.stderr(), /chmod 600/);
    assert.equal(s.grants.length, n);
    raw.kill();
    raw = undefined;
  });
});
