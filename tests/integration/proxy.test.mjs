// --enable-proxy means what it means in mcp-remote (Node's EnvHttpProxyAgent):
// http:// requests use $http_proxy/$HTTP_PROXY, https:// ones $https_proxy/
// $HTTPS_PROXY and else the http proxy, $NO_PROXY hosts (with an optional
// port) go direct, $ALL_PROXY is not read; without the flag no variable routes
// anything through a proxy. Checked through a real local proxy that records
// what passes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { killAll, rawHandshake, requireBridge, spawnRawBridge, startServer } from '../lib/harness.mjs';
import { envFor, makeDirs, removeDirs } from '../lib/oauth-env.mjs';
import { makePki } from '../lib/pki.mjs';
import { startProxy } from '../servers/proxy.mjs';
import { startHttpsAuthServer, startHttpsMcpServer } from '../servers/tls.mjs';

let pki;
let httpServer;
let httpsServer;
const stops = [];

// The harness sets NO_PROXY=* for every bridge; these tests decide it themselves.
const NO_ENV_PROXY = {
  NO_PROXY: undefined, no_proxy: undefined, HTTP_PROXY: undefined, http_proxy: undefined,
  HTTPS_PROXY: undefined, https_proxy: undefined, ALL_PROXY: undefined, all_proxy: undefined,
};

before(async () => {
  requireBridge();
  pki = makePki();
  httpServer = await startServer('streamable');
  stops.push(() => httpServer.stop());
  httpsServer = await startHttpsMcpServer({ tls: pki.server });
  stops.push(() => httpsServer.stop());
});

after(async () => {
  await killAll();
  for (const s of stops) await s();
  pki?.remove();
  removeDirs();
});

async function proxy(opts) {
  const p = await startProxy(opts);
  stops.push(() => p.stop());
  return p;
}

const port = (url) => new URL(url).port;

/** initialize + tools/call echo through the bridge; asserts both succeed. */
async function echoThrough(url, { args = [], env = {} } = {}) {
  const d = makeDirs('proxy');
  const trust = url.startsWith('https:') ? ['--cacert', pki.caFile] : [];
  const b = spawnRawBridge([url, '--token-store', 'memory', ...trust, ...args],
    { env: envFor(d, { ...NO_ENV_PROXY, ...env }) });
  try {
    const init = await rawHandshake(b, { timeoutMs: 15000 });
    assert.ok(init.result, `initialize failed: ${JSON.stringify(init.error)}\n${b.stderr()}`);
    b.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'via' } } });
    const call = await b.waitForId(1, 15000);
    assert.equal(call.result?.content?.[0]?.text, 'via', JSON.stringify(call));
    // The host closing stdin ends the bridge normally (under ASan: without leaks).
    b.endStdin();
    assert.deepEqual(await b.waitExit(10000), { code: 0, signal: null }, b.stderr());
  } finally {
    b.kill();
  }
}

describe('without --enable-proxy', () => {
  test('proxy variables are ignored for http:// and https:// servers: nothing passes the proxy', async () => {
    const p = await proxy();
    const env = { HTTP_PROXY: p.url, http_proxy: p.url, HTTPS_PROXY: p.url, https_proxy: p.url, ALL_PROXY: p.url };
    await echoThrough(httpServer.url, { env });
    assert.deepEqual(p.seen, []);
    await echoThrough(httpsServer.url, { env });
    assert.deepEqual(p.seen, []);
  });
});

describe('with --enable-proxy', () => {
  test('HTTPS_PROXY: https:// requests tunnel through the proxy with CONNECT', async () => {
    const p = await proxy();
    await echoThrough(httpsServer.url, { args: ['--enable-proxy'], env: { HTTPS_PROXY: p.url } });
    assert.ok(p.seen.length > 0, 'nothing went through the proxy');
    assert.ok(p.seen.every((s) => s.kind === 'CONNECT' && s.target === `127.0.0.1:${port(httpsServer.url)}`),
      JSON.stringify(p.seen));
  });

  test('HTTP_PROXY (upper case, as Node reads it): http:// requests are forwarded by the proxy', async () => {
    const p = await proxy();
    await echoThrough(httpServer.url, { args: ['--enable-proxy'], env: { HTTP_PROXY: p.url } });
    assert.ok(p.seen.some((s) => s.kind === 'forward' && s.method === 'POST' && s.target === httpServer.url),
      JSON.stringify(p.seen));
  });

  test('only HTTP_PROXY set: https:// requests use it too, as mcp-remote does', async () => {
    const p = await proxy();
    await echoThrough(httpsServer.url, { args: ['--enable-proxy'], env: { HTTP_PROXY: p.url } });
    assert.ok(p.seen.some((s) => s.kind === 'CONNECT' && s.target === `127.0.0.1:${port(httpsServer.url)}`),
      JSON.stringify(p.seen));
  });

  test('lower-case https_proxy wins over HTTPS_PROXY', async () => {
    const lower = await proxy();
    const upper = await proxy();
    await echoThrough(httpsServer.url, { args: ['--enable-proxy'], env: { https_proxy: lower.url, HTTPS_PROXY: upper.url } });
    assert.ok(lower.seen.length > 0, 'the lower-case proxy was not used');
    assert.deepEqual(upper.seen, []);
  });

  test('NO_PROXY naming the host (or the host and its port) goes direct', async () => {
    const p = await proxy();
    await echoThrough(httpsServer.url, { args: ['--enable-proxy'], env: { HTTPS_PROXY: p.url, NO_PROXY: 'example.com,127.0.0.1' } });
    await echoThrough(httpsServer.url, {
      args: ['--enable-proxy'], env: { HTTPS_PROXY: p.url, NO_PROXY: `localhost, 127.0.0.1:${port(httpsServer.url)}` },
    });
    assert.deepEqual(p.seen, []);
  });

  test('NO_PROXY naming the host with another port still uses the proxy', async () => {
    const p = await proxy();
    const other = Number(port(httpsServer.url)) === 1 ? 2 : 1;
    await echoThrough(httpsServer.url, { args: ['--enable-proxy'], env: { HTTPS_PROXY: p.url, NO_PROXY: `127.0.0.1:${other}` } });
    assert.ok(p.seen.length > 0, 'nothing went through the proxy');
  });

  test('ALL_PROXY is not read (mcp-remote does not read it): requests go direct', async () => {
    const p = await proxy();
    await echoThrough(httpServer.url, { args: ['--enable-proxy'], env: { ALL_PROXY: p.url, all_proxy: p.url } });
    assert.deepEqual(p.seen, []);
    await echoThrough(httpsServer.url, { args: ['--enable-proxy'], env: { ALL_PROXY: p.url, all_proxy: p.url } });
    assert.deepEqual(p.seen, []);
  });

  test('an https:// proxy with a certificate from the private CA is trusted like the servers', async () => {
    const p = await proxy({ tls: pki.server });
    await echoThrough(httpsServer.url, { args: ['--enable-proxy'], env: { HTTPS_PROXY: p.url } });
    assert.ok(p.seen.some((s) => s.kind === 'CONNECT' && s.target === `127.0.0.1:${port(httpsServer.url)}`),
      JSON.stringify(p.seen));
  });

  test('an unreachable proxy is named as such in the error', async () => {
    const p = await proxy();
    await p.stop(); // nothing listens on its port any more
    const d = makeDirs('proxy-dead');
    const b = spawnRawBridge([httpServer.url, '--token-store', 'memory', '--enable-proxy'],
      { env: envFor(d, { ...NO_ENV_PROXY, HTTP_PROXY: p.url }) });
    try {
      const init = await rawHandshake(b, { timeoutMs: 15000 });
      assert.ok(init.error, JSON.stringify(init));
      assert.match(init.error.message, /the proxy \(--enable-proxy, HTTPS_PROXY\/HTTP_PROXY\) refused the connection/);
      assert.ok(init.error.message.includes(httpServer.url), init.error.message);
    } finally {
      b.kill();
    }
  });

  test('the authorization server is reached through the proxy too', async () => {
    const p = await proxy();
    let as;
    const mcp = await startHttpsMcpServer({ tls: pki.server, oauth: { get asUrl() { return as.url; }, token: () => as.lastToken() } });
    stops.push(() => mcp.stop());
    as = await startHttpsAuthServer({ tls: pki.server, clientId: 'proxied', clientSecret: 'proxied-secret' });
    stops.push(() => as.stop());
    await echoThrough(mcp.url, {
      args: ['--enable-proxy', '--client-credentials', '--static-oauth-client-info',
        JSON.stringify({ client_id: 'proxied', client_secret: 'proxied-secret' })],
      env: { HTTPS_PROXY: p.url },
    });
    assert.equal(as.issued.length, 1);
    const targets = new Set(p.seen.map((s) => s.target));
    assert.ok(targets.has(`127.0.0.1:${port(as.url)}`), `the AS was not reached through the proxy: ${[...targets]}`);
    assert.ok(targets.has(`127.0.0.1:${port(mcp.url)}`), `the MCP server was not reached through the proxy: ${[...targets]}`);
  });
});
