// Private certificate authorities and mutual TLS, for the MCP server and the
// authorization server alike: --cacert, $CURL_CA_BUNDLE, $SSL_CERT_FILE and
// $NODE_EXTRA_CA_CERTS (which adds to the others), --cert/--key, and a wrong
// or missing file refused at start (exit 2) in one sentence.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { killAll, rawHandshake, requireBridge, runBridge, spawnRawBridge } from '../lib/harness.mjs';
import { envFor, makeDirs, removeDirs } from '../lib/oauth-env.mjs';
import { makePki } from '../lib/pki.mjs';
import { startHttpsAuthServer, startHttpsMcpServer } from '../servers/tls.mjs';

let pki;
const servers = [];

before(() => {
  requireBridge();
  pki = makePki();
});

after(async () => {
  await killAll();
  await Promise.all(servers.map((s) => s.stop()));
  pki?.remove();
  removeDirs();
});

async function mcpServer(opts = {}) {
  const s = await startHttpsMcpServer({ tls: pki.server, ...opts });
  servers.push(s);
  return s;
}

/** Start the bridge, initialize, call echo; returns what happened. */
async function echoThrough(url, { args = [], env = {} } = {}) {
  const d = makeDirs('tls');
  const b = spawnRawBridge([url, '--token-store', 'memory', ...args], { env: envFor(d, env) });
  try {
    const init = await rawHandshake(b, { timeoutMs: 15000 });
    let call;
    if (init.result) {
      b.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'over tls' } } });
      call = await b.waitForId(1, 15000);
    }
    // The host closing stdin ends the bridge normally (under ASan: without leaks).
    b.endStdin();
    const exit = await b.waitExit(10000);
    return { init, call, exit, stderr: b.stderr() };
  } finally {
    b.kill();
  }
}

function assertEchoed(r) {
  assert.ok(r.init.result, `initialize failed: ${JSON.stringify(r.init.error)}\n${r.stderr}`);
  assert.equal(r.call.result?.content?.[0]?.text, 'over tls');
  assert.deepEqual(r.exit, { code: 0, signal: null }, r.stderr);
}

function assertCertificateRefused(r, url) {
  assert.ok(r.init.error, `initialize unexpectedly succeeded: ${JSON.stringify(r.init)}`);
  assert.equal(r.exit.signal, null, r.stderr);
  const said = `${r.init.error.message} ${r.stderr}`;
  assert.match(said, /certificate is not trusted; .*pass --cacert FILE or set NODE_EXTRA_CA_CERTS/,
    `no actionable word about the certificate: ${said}`);
  assert.ok(said.includes(new URL(url).host), `the server is not named: ${said}`);
}

describe('trusting a private CA for the MCP server', () => {
  test('--cacert FILE: the server certificate verifies and the session works', async () => {
    const s = await mcpServer();
    assertEchoed(await echoThrough(s.url, { args: ['--cacert', pki.caFile] }));
  });

  test('without --cacert or a variable the private CA is not trusted: a clear certificate error', async () => {
    const s = await mcpServer();
    assertCertificateRefused(await echoThrough(s.url), s.url);
  });

  test('SSL_CERT_FILE replaces the system CAs', async () => {
    const s = await mcpServer();
    assertEchoed(await echoThrough(s.url, { env: { SSL_CERT_FILE: pki.caFile } }));
  });

  test('CURL_CA_BUNDLE replaces the system CAs and wins over SSL_CERT_FILE', async () => {
    const s = await mcpServer();
    assertEchoed(await echoThrough(s.url, { env: { CURL_CA_BUNDLE: pki.caFile, SSL_CERT_FILE: pki.otherCaFile } }));
    assertCertificateRefused(
      await echoThrough(s.url, { env: { CURL_CA_BUNDLE: pki.otherCaFile, SSL_CERT_FILE: pki.caFile } }), s.url);
  });

  test('--cacert wins over CURL_CA_BUNDLE and SSL_CERT_FILE', async () => {
    const s = await mcpServer();
    assertEchoed(await echoThrough(s.url, {
      args: ['--cacert', pki.caFile], env: { CURL_CA_BUNDLE: pki.otherCaFile, SSL_CERT_FILE: pki.otherCaFile },
    }));
  });

  test('NODE_EXTRA_CA_CERTS alone: the private CA is trusted', async () => {
    const s = await mcpServer();
    assertEchoed(await echoThrough(s.url, { env: { NODE_EXTRA_CA_CERTS: pki.caFile } }));
  });

  test('NODE_EXTRA_CA_CERTS adds to the bundle in use instead of replacing it', async () => {
    // Two servers from two unrelated CAs: one CA given as the bundle, the other as extra.
    const a = await mcpServer();
    const b = await mcpServer({ tls: pki.otherServer });
    const env = { SSL_CERT_FILE: pki.otherCaFile, NODE_EXTRA_CA_CERTS: pki.caFile };
    assertEchoed(await echoThrough(a.url, { env }));
    assertEchoed(await echoThrough(b.url, { env }));
  });
});

describe('subcommands use the same trust', () => {
  test('doctor says what TLS is verified against, passes with --cacert and points at it without', async () => {
    const s = await mcpServer();
    const d = makeDirs('tls-doctor');
    const ok = await runBridge(['doctor', s.url, '--cacert', pki.caFile], { env: envFor(d), timeoutMs: 20000 });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.ok(ok.stdout.includes(`TLS is verified against the certificates in ${pki.caFile} given by --cacert`), ok.stdout);
    const extra = await runBridge(['doctor', s.url], { env: envFor(d, { NODE_EXTRA_CA_CERTS: pki.caFile }), timeoutMs: 20000 });
    assert.equal(extra.code, 0, extra.stdout + extra.stderr);
    assert.ok(extra.stdout.includes(`the system's certificates plus those in ${pki.caFile} given by NODE_EXTRA_CA_CERTS`), extra.stdout);
    const bad = await runBridge(['doctor', s.url], { env: envFor(d), timeoutMs: 20000 });
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /certificate is not trusted; .*--cacert FILE/);
  });
});

describe('files that cannot be used are refused at start', () => {
  const cases = [
    ['--cacert naming a missing file', ['--cacert', '/nonexistent/ca.pem'], {}, /--cacert: cannot read \/nonexistent\/ca\.pem/],
    ['SSL_CERT_FILE naming a missing file', [], { SSL_CERT_FILE: '/nonexistent/ssl.pem' }, /SSL_CERT_FILE: cannot read \/nonexistent\/ssl\.pem/],
    ['CURL_CA_BUNDLE naming a missing file', [], { CURL_CA_BUNDLE: '/nonexistent/b.pem' }, /CURL_CA_BUNDLE: cannot read \/nonexistent\/b\.pem/],
    ['NODE_EXTRA_CA_CERTS naming a missing file', [], { NODE_EXTRA_CA_CERTS: '/nonexistent/x.pem' }, /NODE_EXTRA_CA_CERTS: cannot read \/nonexistent\/x\.pem/],
    ['--cert naming a missing file', ['--cert', '/nonexistent/c.pem', '--key', '/nonexistent/k.pem'], {}, /--cert: cannot read \/nonexistent\/c\.pem/],
    ['--key without --cert', () => ['--key', pki.clientKey], {}, /--key goes with --cert/],
    ['--cacert naming a file with no certificate', () => ['--cacert', pki.clientKey], {}, /holds no PEM certificate/],
    ['--key protected by a passphrase', () => ['--cert', pki.clientCert, '--key', pki.clientKeyEncrypted], {}, /passphrase/],
    ['--key that belongs to another certificate', () => ['--cert', pki.clientCert, '--key', pki.otherServerKey], {}, /does not belong to the certificate/],
  ];
  for (const [name, args, env, expect] of cases) {
    test(`${name}: exit 2 with one line naming it, nothing on stdout`, async () => {
      const d = makeDirs('tls-bad');
      const a = typeof args === 'function' ? args() : args;
      const r = await runBridge(['https://127.0.0.1:9/mcp', ...a], { env: envFor(d, env) });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, expect);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  }
});

describe('mutual TLS', () => {
  test('a server requiring a client certificate: works with --cert/--key and sees that certificate', async () => {
    const s = await mcpServer({ clientCa: pki.clientCa });
    assertEchoed(await echoThrough(s.url, { args: ['--cacert', pki.caFile, '--cert', pki.clientCert, '--key', pki.clientKey] }));
    assert.ok(s.log.length > 0);
    assert.ok(s.log.every((e) => e.clientCn === 'mcp-bridge test client'), JSON.stringify(s.log));
  });

  test('--cert with the key in the same file works', async () => {
    const s = await mcpServer({ clientCa: pki.clientCa });
    assertEchoed(await echoThrough(s.url, { args: ['--cacert', pki.caFile, '--cert', pki.clientCombined] }));
  });

  test('without --cert the server refuses the handshake and the bridge says to pass --cert/--key', async () => {
    const s = await mcpServer({ clientCa: pki.clientCa });
    const r = await echoThrough(s.url, { args: ['--cacert', pki.caFile] });
    assert.ok(r.init.error, `initialize unexpectedly succeeded: ${JSON.stringify(r.init)}`);
    const said = `${r.init.error.message} ${r.stderr}`;
    assert.ok(said.includes(new URL(s.url).host), `the server is not named: ${said}`);
    assert.match(said, /requires a client certificate; pass --cert FILE --key FILE/, said);
    assert.equal(s.log.length, 0, 'no request may get through without a certificate');
    assert.ok(s.handshakeErrors.length > 0, 'the server saw no refused handshake');
  });
});

describe('the authorization server over TLS with a private CA and a client certificate', () => {
  async function stack() {
    let as;
    const mcp = await mcpServer({ oauth: { get asUrl() { return as.url; }, token: () => as.lastToken() } });
    as = await startHttpsAuthServer({
      tls: pki.server, clientCa: pki.clientCa, clientId: 'tls-client', clientSecret: 'tls-secret-value',
    });
    servers.push(as);
    return { mcp, as };
  }
  const client = JSON.stringify({ client_id: 'tls-client', client_secret: 'tls-secret-value' });

  test('discovery and the token request use the CA and the client certificate', async () => {
    const { mcp, as } = await stack();
    const r = await echoThrough(mcp.url, {
      args: ['--client-credentials', '--static-oauth-client-info', client,
        '--cacert', pki.caFile, '--cert', pki.clientCert, '--key', pki.clientKey],
    });
    assertEchoed(r);
    assert.ok(as.log.some((e) => e.path === '/token' && e.method === 'POST'), JSON.stringify(as.log));
    assert.ok(as.log.every((e) => e.clientCn === 'mcp-bridge test client'), JSON.stringify(as.log));
    assert.equal(as.issued.length, 1);
  });

  test('without the client certificate the sign-in fails naming the authorization server', async () => {
    const { mcp, as } = await stack();
    // The MCP server does not ask for a certificate; only the authorization server does.
    const r = await echoThrough(mcp.url, {
      args: ['--client-credentials', '--static-oauth-client-info', client, '--cacert', pki.caFile],
    });
    assert.ok(r.init.error, `initialize unexpectedly succeeded: ${JSON.stringify(r.init)}`);
    const said = `${r.init.error.message} ${r.stderr}`;
    assert.ok(said.includes(new URL(as.url).host), `the authorization server is not named: ${said}`);
    assert.match(said, /requires a client certificate; pass --cert FILE --key FILE/, said);
    assert.equal(as.issued.length, 0);
    assert.ok(!said.includes('tls-secret-value'), 'the client secret was logged');
  });
});
