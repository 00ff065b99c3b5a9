// Fault injection on the sign-in: an authorization server that sends broken,
// huge or dangerous metadata and unusable token responses, a redirect listener
// poked by strangers, and a host that leaves in the middle of a sign-in. Every
// case ends with a clear error (or a completed sign-in where the stranger was
// ignored), no browser started for a URL that is not https (or http to
// loopback), and no token stored. Servers: tests/servers/hostile-as.mjs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  freePortClosed, initializeRequest, killAll, requireBridge, spawnRawBridge, waitUntil,
} from '../lib/harness.mjs';
import { startHostileAs } from '../servers/hostile-as.mjs';

const BROWSER_SH = path.resolve(import.meta.dirname, '..', 'conformance', 'browser.sh');

function tempHome() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-bridge-faults-oauth-'));
}

/** A $BROWSER that only records the URLs it is given. */
function recorder(home) {
  const script = path.join(home, 'record-browser.sh');
  fs.writeFileSync(script, '#!/bin/sh\nprintf "%s\\n" "$1" >> "$BROWSER_RECORD"\n', { mode: 0o700 });
  return { script, file: path.join(home, 'browser-calls.txt') };
}

function browserCalls(rec) {
  try { return fs.readFileSync(rec.file, 'utf8').split('\n').filter(Boolean); } catch { return []; }
}

/** Every file under the credential store whose content holds a token. */
function storedTokens(home) {
  const dir = path.join(home, 'mcp-bridge', 'credentials');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) => /access_token|refresh_token/.test(fs.readFileSync(path.join(dir, n), 'utf8')));
}

function strayFiles(home) {
  const dir = path.join(home, 'mcp-bridge', 'credentials');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'));
}

function startBridge(as, home, { browser, extraArgs = [], extraEnv = {} } = {}) {
  return spawnRawBridge([
    as.url, '--token-store', 'file', '--static-oauth-client-info', '{"client_id":"faults-client"}',
    '--auth-timeout', '20', ...extraArgs,
  ], {
    env: { XDG_CONFIG_HOME: home, XDG_RUNTIME_DIR: path.join(home, 'run'), BROWSER: browser, ...extraEnv },
  });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Send an HTTP request to the callback listener; resolves to the status code (or null). */
function poke(port, pathAndQuery, { hold = false } = {}) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.once('connect', () => {
      if (hold) { s.write('GET /oauth/callback?state=x HTTP/1.1\r\nHost: 127.0.0.1\r\n'); resolve(s); return; }
      s.write(`GET ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    s.on('data', (d) => { data += d; });
    s.once('close', () => { if (!hold) resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0) || null); });
    s.once('error', () => resolve(null));
  });
}

describe('faults: authorization server metadata', { timeout: 60000 }, () => {
  let as;
  before(async () => { requireBridge(); as = await startHostileAs(); });
  after(async () => { await killAll(); await as?.stop(); });

  const cases = [
    ['not JSON', () => '{"issuer": oops', /no authorization server metadata/],
    ['5 MB', (o) => JSON.stringify({ issuer: o, pad: 'p'.repeat(5 * 1024 * 1024) }), /no authorization server metadata|larger/],
    ['a javascript: authorization_endpoint', (o) => ({ ...meta(o), authorization_endpoint: 'javascript:alert(document.cookie)' }), /refusing the authorization endpoint/],
    ['a file: authorization_endpoint', (o) => ({ ...meta(o), authorization_endpoint: 'file:///etc/passwd' }), /refusing the authorization endpoint/],
    ['a data: authorization_endpoint', (o) => ({ ...meta(o), authorization_endpoint: 'data:text/html,<script>alert(1)</script>' }), /refusing the authorization endpoint/],
    ['a plain-http token endpoint off loopback', (o) => ({ ...meta(o), token_endpoint: 'http://example.invalid/token' }), /refusing the token endpoint "http:\/\/example.invalid\/token"/],
    ['no S256', (o) => ({ ...meta(o), code_challenge_methods_supported: ['plain'] }), /S256/],
    ['another issuer', (o) => ({ ...meta(o), issuer: 'https://evil.example' }), /names issuer/],
  ];
  function meta(o) {
    return {
      issuer: o, authorization_endpoint: `${o}/authorize`, token_endpoint: `${o}/token`,
      response_types_supported: ['code'], code_challenge_methods_supported: ['S256'],
    };
  }
  for (const [what, metadata, message] of cases) {
    test(`${what}: refused, no browser, nothing stored`, async () => {
      const home = tempHome();
      const rec = recorder(home);
      as.cfg.metadata = metadata;
      as.cfg.issuer = undefined;
      const b = startBridge(as, home, { browser: rec.script, extraEnv: { BROWSER_RECORD: rec.file } });
      b.send(initializeRequest(1));
      const r = await b.waitForId(1, 20000);
      assert.ok(r.error, `initialize fails: ${JSON.stringify(r)}`);
      assert.match(b.stderr(), message);
      assert.deepEqual(browserCalls(rec), [], 'the browser was never started');
      assert.equal(b.exitInfo, null, 'the bridge is still running');
      b.endStdin();
      assert.equal((await b.waitExit(10000)).code, 0);
      assert.deepEqual(storedTokens(home), []);
    });
  }

  test('an authorization server on plain http off loopback: refused', async () => {
    const home = tempHome();
    const rec = recorder(home);
    as.cfg.metadata = meta;
    as.cfg.issuer = 'http://example.invalid';
    const b = startBridge(as, home, { browser: rec.script, extraEnv: { BROWSER_RECORD: rec.file } });
    b.send(initializeRequest(1));
    assert.ok((await b.waitForId(1, 20000)).error);
    assert.match(b.stderr(), /refusing the authorization server "http:\/\/example.invalid"/);
    assert.ok(!as.log.some((l) => l.includes('example.invalid')));
    assert.deepEqual(browserCalls(rec), []);
    as.cfg.issuer = undefined;
    b.kill();
  });
});

describe('faults: unusable token responses', { timeout: 60000 }, () => {
  let as;
  before(async () => { requireBridge(); as = await startHostileAs(); });
  after(async () => { await killAll(); await as?.stop(); });

  for (const [what, answer, message] of [
    ['no access_token', { token_type: 'Bearer', expires_in: 3600 }, /no access_token/],
    ['expires_in 0', { access_token: 'tok-zero-expiry-1234567', token_type: 'Bearer', expires_in: 0 }, /expires_in/],
    ['expires_in negative', { access_token: 'tok-negative-expiry-7654', token_type: 'Bearer', expires_in: -60 }, /expires_in/],
    ['a token with a newline', { access_token: 'abc\r\nX-Injected: 1', token_type: 'Bearer' }, /access_token/],
    ['token_type mac', { access_token: 'tok-mac-type-99999999', token_type: 'mac' }, /token_type/],
  ]) {
    test(`${what}: refused with a message, nothing stored`, async () => {
      const home = tempHome();
      as.cfg.token = () => answer;
      const b = startBridge(as, home, { browser: BROWSER_SH, extraEnv: { BROWSER_SH_LOG: path.join(home, 'browser.log') } });
      b.send(initializeRequest(1));
      const r = await b.waitForId(1, 30000);
      assert.ok(r.error, `initialize fails: ${JSON.stringify(r)}`);
      assert.match(b.stderr(), message);
      assert.ok(as.log.includes('POST /token'), 'the token endpoint was reached');
      b.endStdin();
      assert.equal((await b.waitExit(10000)).code, 0);
      assert.deepEqual(storedTokens(home), [], 'no token stored');
      assert.deepEqual(strayFiles(home), []);
      if (answer.access_token) assert.ok(!b.stderr().includes(answer.access_token), 'the refused token is not logged');
    });
  }
});

describe('faults: the redirect listener and the host leaving', { timeout: 60000 }, () => {
  let as;
  before(async () => { requireBridge(); as = await startHostileAs(); });
  after(async () => { await killAll(); await as?.stop(); });

  test('wrong state, other path, a second request, a slow client: ignored; the right one completes', async () => {
    const home = tempHome();
    const rec = recorder(home);
    as.cfg.token = () => ({
      access_token: 'good-token-5d1c0a7e9b', token_type: 'Bearer', expires_in: 3600, refresh_token: 'refresh-3c9d8e7f6a5b4c3d',
    });
    const port = await freePortClosed();
    const logFile = path.join(home, 'bridge.log');
    const b = startBridge(as, home, {
      browser: rec.script, extraArgs: ['--callback-port', String(port), '--debug', '--log-file', logFile],
      extraEnv: { BROWSER_RECORD: rec.file },
    });
    b.send(initializeRequest(1));
    const url = new URL(await waitUntil(() => browserCalls(rec)[0], 15000, 'the browser to be started'));
    const redirect = new URL(url.searchParams.get('redirect_uri'));
    assert.equal(redirect.hostname, '127.0.0.1');
    assert.equal(Number(redirect.port), port);
    const state = url.searchParams.get('state');
    assert.ok(state && state.length >= 32, 'state has at least 128 bits');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');

    const slow = await poke(port, '', { hold: true }); // never finishes its headers
    assert.equal(await poke(port, `${redirect.pathname}?code=stolen&state=${'A'.repeat(state.length)}`), 400, 'wrong state');
    assert.equal(await poke(port, `${redirect.pathname}?code=stolen`), 400, 'no state');
    assert.equal(await poke(port, `/other?code=stolen&state=${state}`), 404, 'another path');
    assert.ok(!as.log.includes('POST /token'), 'nothing was exchanged');
    // The right redirect, while the slow client still holds its connection.
    const code = 'code-right-one';
    assert.equal(await poke(port, `${redirect.pathname}?code=${code}&state=${state}`), 200);
    const r = await b.waitForId(1, 15000);
    assert.ok(r.result, `signed in: ${JSON.stringify(r)}\n${b.stderr()}`);
    assert.equal(as.log.filter((l) => l === 'POST /token').length, 1, 'one code exchange');
    // A second redirect after completion: the listener stopped listening when the
    // right redirect came, so the connection is refused.
    const again = await poke(port, `${redirect.pathname}?code=${code}&state=${state}`);
    assert.equal(again, null, `a replayed redirect finds no listener (got HTTP ${again})`);
    assert.equal(as.log.filter((l) => l === 'POST /token').length, 1, 'still one code exchange');
    slow.destroy();
    b.endStdin();
    assert.equal((await b.waitExit(10000)).code, 0);
    // No secret in the debug log: the code, the verifier, the tokens (the AS recorded them).
    const texts = { stderr: b.stderr(), log: fs.readFileSync(logFile, 'utf8') };
    assert.ok(as.secrets.size >= 4, `secrets recorded: ${as.secrets.size}`);
    for (const secret of as.secrets) {
      for (const [where, text] of Object.entries(texts)) {
        assert.ok(!text.includes(secret), `a secret (${secret.slice(0, 6)}…) is in the ${where}`);
      }
    }
    assert.ok(storedTokens(home).length > 0, 'the tokens were stored');
  });

  test('the host closes stdin during a sign-in: clean exit, no listener, no lock, nothing half-written', async () => {
    const home = tempHome();
    const rec = recorder(home);
    const port = await freePortClosed();
    const b = startBridge(as, home, {
      browser: rec.script, extraArgs: ['--callback-port', String(port)], extraEnv: { BROWSER_RECORD: rec.file },
    });
    b.send(initializeRequest(1));
    await waitUntil(() => browserCalls(rec)[0], 15000, 'the browser to be started');
    assert.ok(await portOpen(port), 'the listener is up during the sign-in');
    b.endStdin();
    // The bridge gives requests in flight EOF_GRACE_MS (10 s, relay.c) to finish,
    // the sign-in included, then fails them and exits 0.
    const { code, signal } = await b.waitExit(15000);
    assert.equal(signal, null);
    const r = b.messages().find((m) => m?.id === 1);
    assert.ok(r?.error, `the pending initialize got an error: ${JSON.stringify(r)}`);
    assert.equal(code, 0, b.stderr());
    assert.equal(await portOpen(port), false, 'no listener left');
    assert.deepEqual(storedTokens(home), []);
    assert.deepEqual(strayFiles(home), []);
    // The sign-in lock is free: another bridge can take it at once and reach the browser.
    const rec2 = recorder(fs.mkdtempSync(path.join(home, 'again-')));
    const b2 = startBridge(as, home, { browser: rec2.script, extraEnv: { BROWSER_RECORD: rec2.file } });
    b2.send(initializeRequest(1));
    await waitUntil(() => browserCalls(rec2)[0], 10000, 'a second bridge to reach the browser (lock free)');
    b2.kill();
    await b2.waitExit(5000);
  });
});
