// Machines without a browser:
//  - export on one config dir, import into another (stdin and FILE); a bridge with
//    --no-browser there completes tools/list with no authorization (a
//    refresh_token grant is seen);
//  - --refresh-token-file and MCP_BRIDGE_REFRESH_TOKEN with
//    --static-oauth-client-info on a fresh config dir: no browser, the rotated
//    refresh token is stored, and a later plain start (no seed) still works;
//  - --no-browser with nothing stored: the JSON-RPC error says what to do
//    (`mcp-bridge login`, export/import).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { killAll, requireBridge } from '../lib/harness.mjs';
import {
  browserLog, cli, makeDirs, rawSession, removeDirs, storedTokenRecord,
} from '../lib/oauth-env.mjs';
import { startQuirkServer } from '../servers/quirks.mjs';

const FILE = ['--token-store', 'file'];

function show(r) {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

async function toolsList(b, id = 1, ms = 30000) {
  b.send({ jsonrpc: '2.0', id, method: 'tools/list', params: {} });
  return b.waitForId(id, ms);
}

async function echo(b, id, message, ms = 30000) {
  b.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message } } });
  return b.waitForId(id, ms);
}

describe('headless: export on one machine, import on another', { timeout: 120000 }, () => {
  let s, a;
  const open = [];
  before(async () => {
    requireBridge();
    s = await startQuirkServer({ rotate: true });
    a = makeDirs('export');
  });
  after(async () => {
    for (const b of open) b.kill();
    await killAll();
    await s?.close();
    removeDirs();
  });

  test('export prints a JSON document with the refresh token (and warns on stderr)', async () => {
    const l = await cli(a, ['login', s.url, ...FILE]);
    assert.equal(l.code, 0, show(l));
    const r = await cli(a, ['export', s.url, ...FILE]);
    assert.equal(r.code, 0, show(r));
    const exported = JSON.parse(r.stdout);
    const rec = storedTokenRecord(a);
    assert.equal(exported.format, 'mcp-bridge-credentials');
    assert.equal(exported.server, s.url);
    assert.equal(exported.refresh_token, rec.refresh_token);
    assert.ok(exported.client_id, 'the client goes with it');
    assert.ok(!('access_token' in exported), 'no access token exported');
    assert.match(r.stderr, /secret/i, show(r));
    assert.ok(!r.stderr.includes(rec.refresh_token), 'the refresh token is not on stderr');
  });

  for (const how of ['stdin', 'FILE']) {
    test(`import (${how}) into a fresh config; --no-browser bridge: tools/list, no authorization, a refresh`, async () => {
      const b2 = makeDirs(`import-${how}`);
      // A fresh sign-in and export each time (the previous import's refresh
      // rotated the earlier refresh token away).
      const src = makeDirs(`export-${how}`);
      const l = await cli(src, ['login', s.url, ...FILE]);
      assert.equal(l.code, 0, show(l));
      const ex = await cli(src, ['export', s.url, ...FILE]);
      assert.equal(ex.code, 0, show(ex));
      let r;
      if (how === 'stdin') {
        r = await cli(b2, ['import', '-', ...FILE], { stdin: ex.stdout });
      } else {
        const f = path.join(b2.logs, 'creds.json');
        fs.writeFileSync(f, ex.stdout, { mode: 0o600 });
        r = await cli(b2, ['import', f, ...FILE]);
      }
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /Imported/, show(r));

      assert.ok(s.isLiveRefreshToken(JSON.parse(ex.stdout).refresh_token), 'the exported refresh token is live');
      const before = { auth: s.stats.authorizations, refresh: s.stats.grants.refresh_token };
      const { b, init } = await rawSession(s.url, b2, { args: [...FILE, '--no-browser'] });
      open.push(b);
      assert.ok(init.result, `initialize: ${JSON.stringify(init)}\n${b.stderr()}\n${s.describe()}`);
      const list = await toolsList(b);
      assert.ok(list.result?.tools?.some((x) => x.name === 'echo'), JSON.stringify(list));
      assert.equal(s.stats.authorizations, before.auth, 'no authorization');
      assert.equal(s.stats.grants.refresh_token, before.refresh + 1, `one refresh_token grant\n${s.describe()}`);
      assert.deepEqual(s.stats.tokenErrors, [], s.describe());
      assert.equal(browserLog(b2), '', 'no browser');
      // The host closes stdin: the bridge exits once the rotated refresh token
      // has replaced the imported one in B's store (the exported copy is now dead).
      b.endStdin();
      assert.equal((await b.waitExit(10000)).code, 0, b.stderr());
      const recB = storedTokenRecord(b2);
      assert.ok(recB?.refresh_token && s.isLiveRefreshToken(recB.refresh_token), 'B stores the rotated, live refresh token');
    });
  }
});

describe('headless: --refresh-token-file / MCP_BRIDGE_REFRESH_TOKEN with --static-oauth-client-info', { timeout: 120000 }, () => {
  const client = { client_id: 'pre-headless', client_secret: 'pre-headless-secret' };
  const info = JSON.stringify(client);
  let s;
  const open = [];
  before(async () => {
    requireBridge();
    s = await startQuirkServer({ rotate: true, dcr: false, staticClients: [client] });
  });
  after(async () => {
    for (const b of open) b.kill();
    await killAll();
    await s?.close();
    removeDirs();
  });

  /** A live refresh token for the static client, from a sign-in elsewhere. */
  async function obtainRefreshToken() {
    const elsewhere = makeDirs('rt-source');
    const l = await cli(elsewhere, ['login', s.url, ...FILE, '--static-oauth-client-info', info]);
    assert.equal(l.code, 0, show(l));
    const rt = storedTokenRecord(elsewhere)?.refresh_token;
    assert.ok(rt && s.isLiveRefreshToken(rt));
    return rt;
  }

  for (const how of ['--refresh-token-file', 'MCP_BRIDGE_REFRESH_TOKEN']) {
    test(`${how}: works with no browser, stores the rotated token; a later plain start works`, async () => {
      const rt = await obtainRefreshToken();
      const d = makeDirs('seed');
      let args = [...FILE, '--no-browser', '--static-oauth-client-info', info];
      let env = {};
      if (how === '--refresh-token-file') {
        const f = path.join(d.logs, 'rt.txt');
        fs.writeFileSync(f, `${rt}\n`, { mode: 0o600 });
        args = [...args, '--refresh-token-file', f];
      } else {
        env = { MCP_BRIDGE_REFRESH_TOKEN: rt };
      }
      const before = { auth: s.stats.authorizations, refresh: s.stats.grants.refresh_token };
      const { b, init } = await rawSession(s.url, d, { args, env });
      open.push(b);
      assert.ok(init.result, `initialize: ${JSON.stringify(init)}\n${b.stderr()}\n${s.describe()}`);
      const r = await echo(b, 1, 'seeded');
      assert.equal(r.result?.content?.[0]?.text, 'seeded', JSON.stringify(r));
      assert.equal(s.stats.authorizations, before.auth, 'no authorization');
      assert.equal(s.stats.grants.refresh_token, before.refresh + 1, `one refresh with the seed\n${s.describe()}`);
      assert.deepEqual(s.stats.tokenErrors, [], s.describe());
      assert.ok(!s.isLiveRefreshToken(rt), 'the seed was rotated away');
      assert.ok(!b.stderr().includes(rt), 'the seed is not logged');
      // The host closes stdin: the bridge exits once the rotated token is stored.
      b.endStdin();
      assert.equal((await b.waitExit(10000)).code, 0, b.stderr());
      const rec = storedTokenRecord(d);
      assert.ok(rec?.refresh_token, `tokens stored in the fresh config dir\n${b.stderr()}`);
      assert.notEqual(rec.refresh_token, rt, 'the rotated refresh token is stored, not the seed');
      assert.ok(s.isLiveRefreshToken(rec.refresh_token), 'the stored refresh token is live');

      // A second start: no seed (no file, no env var); the access token is made
      // to expire so the stored rotated refresh token must be used.
      s.expireAccessTokens();
      const before2 = { auth: s.stats.authorizations, refresh: s.stats.grants.refresh_token };
      const second = await rawSession(s.url, d, { args: [...FILE, '--no-browser', '--static-oauth-client-info', info] });
      open.push(second.b);
      assert.ok(second.init.result, `second start: ${JSON.stringify(second.init)}\n${second.b.stderr()}\n${s.describe()}`);
      const r2 = await echo(second.b, 1, 'again');
      assert.equal(r2.result?.content?.[0]?.text, 'again', JSON.stringify(r2));
      assert.equal(s.stats.authorizations, before2.auth, 'still no authorization');
      assert.equal(s.stats.grants.refresh_token, before2.refresh + 1, s.describe());
      assert.deepEqual(s.stats.tokenErrors, [], s.describe());
      assert.equal(browserLog(d), '', 'no browser');
      second.b.kill();
    });
  }
});

describe('headless: --no-browser with nothing stored', { timeout: 60000 }, () => {
  let s;
  const open = [];
  before(async () => {
    requireBridge();
    s = await startQuirkServer({});
  });
  after(async () => {
    for (const b of open) b.kill();
    await killAll();
    await s?.close();
    removeDirs();
  });

  test('the JSON-RPC error names `mcp-bridge login` and export/import; no authorization; still running', async () => {
    const d = makeDirs('nobrowser');
    const { b, init } = await rawSession(s.url, d, { args: [...FILE, '--no-browser'] });
    open.push(b);
    assert.ok(init.error, `initialize fails: ${JSON.stringify(init)}`);
    const msg = init.error.message;
    assert.match(msg, /mcp-bridge login/, msg);
    assert.match(msg, /export/, msg);
    assert.match(msg, /import/, msg);
    assert.equal(s.stats.authorizations, 0);
    assert.equal(browserLog(d), '', 'no browser');
    b.send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    const r2 = await b.waitForId(2, 20000);
    assert.match(r2.error?.message ?? '', /--no-browser is set.*mcp-bridge login/, `a later request gets the same advice: ${JSON.stringify(r2)}`);
    assert.equal(s.stats.authorizations, 0, 'still no authorization');
    assert.equal(b.exitInfo, null, 'the bridge keeps running');
    b.endStdin();
    const { code } = await b.waitExit(10000);
    assert.equal(code, 0);
  });

  test('login --no-browser with nothing stored fails (non-zero) with the same advice', async () => {
    const d = makeDirs('nobrowser-login');
    const r = await cli(d, ['login', s.url, ...FILE, '--no-browser']);
    assert.notEqual(r.code, 0, show(r));
    assert.match(r.stderr, /--no-browser|browser/, show(r));
    assert.equal(s.stats.authorizations, 0);
  });
});
