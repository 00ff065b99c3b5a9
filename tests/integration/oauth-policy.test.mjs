// Every OAuth endpoint is checked against this run's policy where it is used,
// not only where it was discovered, and the headless path for scripts works:
//  - `token` right after `import` refreshes with the imported refresh token;
//  - a plain-http token endpoint brought in by `import` (or stored by a run
//    with --allow-http) is not sent the refresh token by a run without
//    --allow-http: the bridge looks up the current token endpoint instead;
//  - `logout` sends nothing to a plain-http revocation endpoint.
// The non-loopback http endpoints are observed through an HTTP proxy
// (--enable-proxy), so nothing leaves the machine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { callTool, connectBridge, killAll, requireBridge, resultText } from '../lib/harness.mjs';
import { cli, envFor, makeDirs, probeWithToken, removeDirs } from '../lib/oauth-env.mjs';
import { describeStack, startOidcStack } from '../servers/oidc-stack.mjs';

const FAR_TOKEN = 'http://as.example.test/token';
const FAR_REVOKE = 'http://as.example.test/revoke';

/** A forward proxy that records every request (absolute URL and body) and
 * answers 400 invalid_grant, as a stranger's endpoint would. */
async function startRecordingProxy() {
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, body, authorization: req.headers.authorization });
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end('{"error":"invalid_grant"}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    seen,
    env: { http_proxy: url, HTTP_PROXY: url, no_proxy: '127.0.0.1,localhost', NO_PROXY: '127.0.0.1,localhost' },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

describe('oauth policy: imported credentials and stored endpoints', { timeout: 120000 }, () => {
  let s, proxy, exported;
  before(async () => {
    requireBridge();
    s = await startOidcStack();
    proxy = await startRecordingProxy();
    // A refresh token to carry over: sign in where a browser is, then export.
    const d = makeDirs('policy-login');
    const login = await cli(d, ['login', s.mcpUrl, '--authorize-param', 'prompt=consent']);
    assert.equal(login.code, 0, `login: ${login.stderr}\n${describeStack(s)}`);
    const ex = await cli(d, ['export', s.mcpUrl]);
    assert.equal(ex.code, 0, ex.stderr);
    exported = JSON.parse(ex.stdout);
    assert.ok(exported.refresh_token, 'the export holds a refresh token');
  });
  after(async () => {
    await killAll();
    await proxy?.close();
    await s?.close();
    removeDirs();
  });

  /** Import this document into fresh directories; returns them. */
  async function importDoc(doc, label) {
    const d = makeDirs(label);
    const file = path.join(d.logs, 'creds.json');
    fs.writeFileSync(file, JSON.stringify(doc), { mode: 0o600 });
    const r = await cli(d, ['import', file]);
    assert.equal(r.code, 0, r.stderr);
    return d;
  }

  test('`token` right after `import` refreshes and prints a working access token', async () => {
    const d = await importDoc(exported, 'policy-import');
    const refreshes = s.stats.refreshGrants;
    const r = await cli(d, ['token', s.mcpUrl]);
    assert.equal(r.code, 0, `token: ${r.stderr}\n${describeStack(s)}`);
    const token = r.stdout.trim();
    assert.equal(await probeWithToken(s.mcpUrl, token), 200, 'the MCP server accepts the printed token');
    assert.equal(s.stats.refreshGrants, refreshes + 1, 'one refresh grant');
  });

  test('a plain-http token endpoint from `import` is not sent the refresh token', async () => {
    // Take a fresh refresh token (the one above was rotated away).
    const d0 = makeDirs('policy-login2');
    const login = await cli(d0, ['login', s.mcpUrl, '--authorize-param', 'prompt=consent']);
    assert.equal(login.code, 0, login.stderr);
    const doc = JSON.parse((await cli(d0, ['export', s.mcpUrl])).stdout);
    const d = await importDoc({ ...doc, token_endpoint: FAR_TOKEN }, 'policy-far-token');
    proxy.seen.length = 0;
    const authorizations = s.stats.authorizations;
    const refreshes = s.stats.refreshGrants;
    const h = await connectBridge(s.mcpUrl, {
      args: ['--enable-proxy'], env: envFor(d, proxy.env), connectTimeoutMs: 20000,
    });
    try {
      assert.equal(resultText(await callTool(h.client, 'echo', { message: 'far' })), 'far');
    } finally {
      await h.close();
    }
    assert.deepEqual(proxy.seen.map((x) => `${x.method} ${x.url}`), [], 'nothing went to the http endpoint');
    assert.equal(s.stats.refreshGrants, refreshes + 1, `refreshed at the AS's current endpoint\n${describeStack(s)}`);
    assert.equal(s.stats.authorizations, authorizations, 'no browser sign-in');
  });

  test('`logout` sends no token or client secret to a plain-http revocation endpoint', async () => {
    const doc = {
      format: 'mcp-bridge-credentials', version: 1, server: s.mcpUrl, issuer: s.issuer,
      token_endpoint: `${s.issuer}/token`, revocation_endpoint: FAR_REVOKE,
      client_id: 'policy-client', client_secret: 'policy-client-secret-123',
      token_endpoint_auth_method: 'client_secret_basic', refresh_token: 'policy-refresh-token-456',
    };
    const d = await importDoc(doc, 'policy-logout');
    proxy.seen.length = 0;
    const r = await cli(d, ['logout', s.mcpUrl, '--enable-proxy'], { env: proxy.env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(proxy.seen.map((x) => `${x.method} ${x.url}`), [], 'nothing went to the http revocation endpoint');
    assert.match(r.stdout, /not revoked/);
    assert.equal((await cli(d, ['status', s.mcpUrl])).stdout.includes('refresh token: yes'), false, 'deleted');
  });
});
