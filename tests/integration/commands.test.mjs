// The subcommands against OAuth-protected servers with quirks (tests/servers/quirks.mjs):
//  - login, status (what is shown, and never a secret), token (exactly the token
//    the server accepts), logout with and without a revocation endpoint, logout --all;
//  - doctor: healthy unauthenticated server, each discovery quirk (no hint,
//    sub-path issuer metadata, relative hint), no DCR without a client, resource
//    mismatch, unreachable URL;
//  - the relay signs in and calls a tool against each quirk of issue #3.
// Every test has its own XDG_CONFIG_HOME / XDG_RUNTIME_DIR and --token-store file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  callTool, connectBridge, freePortClosed, killAll, requireBridge, resultText,
} from '../lib/harness.mjs';
import {
  browserLog, cli, envFor, makeDirs, probeWithToken, removeDirs, storedTokenRecord,
} from '../lib/oauth-env.mjs';
import { startQuirkServer } from '../servers/quirks.mjs';

const FILE = ['--token-store', 'file'];

function show(r) {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

describe('commands: login, status, token, logout (revocation endpoint offered)', { timeout: 120000 }, () => {
  let s, d, rec;
  before(async () => {
    requireBridge();
    s = await startQuirkServer({ revocation: true });
    d = makeDirs('cmd-login');
  });
  after(async () => {
    await killAll();
    await s?.close();
    removeDirs();
  });

  test('login signs in once, through the browser', async () => {
    const r = await cli(d, ['login', s.url, ...FILE]);
    assert.equal(r.code, 0, `${show(r)}\n${s.describe()}\n${browserLog(d)}`);
    assert.match(r.stdout, /Signed in to/);
    assert.ok(r.stdout.includes(s.url), r.stdout);
    assert.equal(s.stats.authorizations, 1, s.describe());
    assert.equal(s.stats.grants.authorization_code, 1);
    rec = storedTokenRecord(d);
    assert.ok(rec?.access_token && rec?.refresh_token, 'tokens stored in the file store');
    for (const t of s.secrets()) assert.ok(!r.stdout.includes(t) && !r.stderr.includes(t), 'login prints no token');
  });

  test('status: server, issuer, scope, expiry, "refresh token: yes"; never a secret', async () => {
    for (const args of [['status', ...FILE], ['status', s.url, ...FILE]]) {
      const r = await cli(d, args);
      assert.equal(r.code, 0, show(r));
      const line = r.stdout.split('\n').find((l) => l.startsWith(`${s.url}:`));
      assert.ok(line, `a line for the server: ${show(r)}`);
      assert.ok(line.includes(`issuer ${s.issuer}`), line);
      assert.match(line, /scope mcp/);
      assert.match(line, /access token expires in (0h5\dm|1h00m)/);
      assert.match(line, /refresh token: yes/);
      const secrets = [...s.secrets(), ...[...s.clients.values()].map((c) => c.client_secret).filter(Boolean)];
      for (const t of secrets) {
        assert.ok(!r.stdout.includes(t) && !r.stderr.includes(t), `status shows no secret (${t.slice(0, 6)}...)`);
      }
    }
  });

  test('token prints exactly the access token the server accepts', async () => {
    const r = await cli(d, ['token', s.url, ...FILE]);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `one line on stdout: ${show(r)}`);
    const tok = lines[0];
    assert.match(r.stderr, /secret/i, 'a warning on stderr');
    assert.ok(!r.stderr.includes(tok), 'the token is not on stderr');
    assert.ok(s.isValidAccessToken(tok), `the server considers ${tok.slice(0, 6)}... valid`);
    assert.equal(tok, storedTokenRecord(d).access_token);
    assert.equal(await probeWithToken(s.url, tok), 200, 'a request with it is accepted');
    assert.equal(await probeWithToken(s.url, `${tok}x`), 401, '(and the probe can tell)');
  });

  test('logout revokes at the AS (seen server-side) and deletes; status is then empty for it', async () => {
    const before = s.stats.revocations.length;
    const r = await cli(d, ['logout', s.url, ...FILE]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /revoked/, show(r));
    const revs = s.stats.revocations.slice(before);
    assert.ok(revs.length >= 1, `revocation requests seen: ${s.describe()}`);
    assert.ok(revs.some((x) => x.kind === 'refresh'), `the refresh token was revoked: ${JSON.stringify(revs)}`);
    assert.ok(!s.isLiveRefreshToken(rec.refresh_token), 'the refresh token is dead at the AS');
    assert.equal(storedTokenRecord(d), undefined, 'no token record left on disk');

    const st = await cli(d, ['status', s.url, ...FILE]);
    assert.equal(st.code, 0, show(st));
    assert.match(st.stdout, /No stored credentials for/, show(st));
    const all = await cli(d, ['status', ...FILE]);
    assert.ok(!all.stdout.split('\n').some((l) => l.startsWith(`${s.url}:`)), `no server line left: ${show(all)}`);
    assert.ok(!/refresh token:/.test(all.stdout), show(all));

    const again = await cli(d, ['logout', s.url, ...FILE]);
    assert.equal(again.code, 0, show(again));
    assert.match(again.stdout, /Nothing stored/, show(again));
  });
});

describe('commands: logout without a revocation endpoint; logout --all', { timeout: 120000 }, () => {
  let s1, s2;
  before(async () => {
    requireBridge();
    s1 = await startQuirkServer({ revocation: false });
    s2 = await startQuirkServer({ revocation: true });
  });
  after(async () => {
    await killAll();
    await s1?.close();
    await s2?.close();
    removeDirs();
  });

  test('no revocation endpoint: the message says the tokens were deleted', async () => {
    const d = makeDirs('cmd-norevoke');
    const r = await cli(d, ['login', s1.url, ...FILE]);
    assert.equal(r.code, 0, show(r));
    const out = await cli(d, ['logout', s1.url, ...FILE]);
    assert.equal(out.code, 0, show(out));
    assert.match(out.stdout, /no revocation/i, show(out));
    assert.match(out.stdout, /deleted/, show(out));
    assert.equal(s1.stats.revocations.length, 0);
    assert.equal(storedTokenRecord(d), undefined);
    const st = await cli(d, ['status', s1.url, ...FILE]);
    assert.match(st.stdout, /No stored credentials/, show(st));
  });

  test('logout --all forgets every server and client registration', async () => {
    const d = makeDirs('cmd-all');
    for (const s of [s1, s2]) {
      const r = await cli(d, ['login', s.url, ...FILE]);
      assert.equal(r.code, 0, show(r));
    }
    const st = await cli(d, ['status', ...FILE]);
    for (const s of [s1, s2]) assert.ok(st.stdout.includes(`${s.url}:`), show(st));
    const revBefore = s2.stats.revocations.length;
    const out = await cli(d, ['logout', '--all', ...FILE]);
    assert.equal(out.code, 0, show(out));
    for (const s of [s1, s2]) assert.ok(out.stdout.includes(`Signed out of ${s.url}`), show(out));
    assert.match(out.stdout, /Forgot the client registration/, show(out));
    assert.ok(s2.stats.revocations.length > revBefore, 'revoked where revocation is offered');
    const after = await cli(d, ['status', ...FILE]);
    assert.equal(after.code, 0, show(after));
    assert.match(after.stdout, /^No stored credentials/, show(after));
  });
});

describe('commands: doctor', { timeout: 180000 }, () => {
  const servers = [];
  const start = async (o) => { const s = await startQuirkServer(o); servers.push(s); return s; };
  before(() => requireBridge());
  after(async () => {
    await killAll();
    for (const s of servers) await s.close();
    removeDirs();
  });

  const doctor = (s, extra = []) => cli(makeDirs('doctor'), ['doctor', typeof s === 'string' ? s : s.url, ...FILE, ...extra]);

  test('a healthy server without authentication: exit 0', async () => {
    const s = await start({ oauth: false });
    const r = await doctor(s);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^ 1\. /m, 'numbered steps');
    assert.match(r.stdout, /initialize succeeded/, show(r));
    assert.match(r.stdout, /A connection would succeed/, show(r));
  });

  test('a healthy OAuth server (not signed in): exit 0, a sign-in would be possible', async () => {
    const s = await start({});
    const r = await doctor(s);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /sign-in would be possible/, show(r));
    assert.equal(s.stats.authorizations, 0, 'doctor signs nothing in');
  });

  test('no resource_metadata hint: exit 0, names the well-known URL that found the metadata', async () => {
    const s = await start({ hint: 'none', prmAt: 'root' });
    const r = await doctor(s);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /No resource_metadata hint/, show(r));
    assert.ok(r.stdout.includes(`${s.rsOrigin}/.well-known/oauth-protected-resource -> HTTP 200 (found)`), show(r));
    assert.ok(r.stdout.includes(`${s.rsOrigin}/.well-known/oauth-protected-resource/mcp -> HTTP 404`), show(r));
  });

  test('AS metadata only at the sub-path issuer location: exit 0, names that URL', async () => {
    const s = await start({ asPath: '/tenant1', separateAs: true });
    const r = await doctor(s);
    assert.equal(r.code, 0, show(r));
    assert.ok(r.stdout.includes(`authorization server: ${s.issuer}`), show(r));
    assert.ok(r.stdout.includes(`${s.asOrigin}/.well-known/oauth-authorization-server/tenant1 -> HTTP 200 (found)`), show(r));
  });

  test('a relative resource_metadata hint: exit 0, shows it resolved', async () => {
    const s = await start({ hint: 'relative' });
    const r = await doctor(s);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /relative/, show(r));
    assert.ok(r.stdout.includes(`${s.prmUrl} -> HTTP 200 (found)`), show(r));
  });

  test('no DCR and no client_id: exit non-zero, mentions --static-oauth-client-info; with one: exit 0', async () => {
    const s = await start({ dcr: false, staticClients: [{ client_id: 'pre-doctor', client_secret: 'pre-doctor-secret' }] });
    const r = await doctor(s);
    assert.notEqual(r.code, 0, show(r));
    assert.match(r.stdout, /--static-oauth-client-info/, show(r));
    const ok = await doctor(s, ['--static-oauth-client-info', JSON.stringify({ client_id: 'pre-doctor', client_secret: 'pre-doctor-secret' })]);
    assert.equal(ok.code, 0, show(ok));
    assert.ok(!ok.stdout.includes('pre-doctor-secret') && !ok.stderr.includes('pre-doctor-secret'), 'no secret shown');
  });

  test('resource mismatch: exit non-zero, names both resources', async () => {
    const s = await start({ prmResource: 'https://other.example.com/mcp' });
    const r = await doctor(s);
    assert.notEqual(r.code, 0, show(r));
    assert.ok(r.stdout.includes('https://other.example.com/mcp'), show(r));
    assert.ok(r.stdout.includes(s.url), show(r));
    assert.match(r.stdout, /refuses/, show(r));
  });

  test('an unreachable URL: exit non-zero, says so', async () => {
    const port = await freePortClosed();
    const r = await doctor(`http://127.0.0.1:${port}/mcp`, ['--connect-timeout', '3']);
    assert.notEqual(r.code, 0, show(r));
    assert.match(r.stdout, /failed/, show(r));
  });
});

describe('relay: sign-in and tools/call against each quirk of issue #3', { timeout: 180000 }, () => {
  const servers = [];
  const handles = [];
  before(() => requireBridge());
  after(async () => {
    for (const h of handles) await h.close();
    await killAll();
    for (const s of servers) await s.close();
    removeDirs();
  });

  const cases = [
    ['no resource_metadata hint (bare invalid_token, PRM at the root)', { hint: 'none', prmAt: 'root' }, []],
    ['no resource_metadata hint (PRM at the path)', { hint: 'none', prmAt: 'path' }, []],
    ['AS metadata only at the sub-path issuer (separate origin)', { asPath: '/tenant1', separateAs: true }, []],
    ['AS metadata only at the sub-path issuer (same origin)', { asPath: '/tenant1' }, []],
    ['relative resource_metadata hint', { hint: 'relative' }, []],
    ['pre-registered client, no DCR', {
      dcr: false, staticClients: [{ client_id: 'pre-relay', client_secret: 'pre-relay-secret' }],
    }, ['--static-oauth-client-info', JSON.stringify({ client_id: 'pre-relay', client_secret: 'pre-relay-secret' })]],
    ['pre-registered public client (no secret), no DCR', {
      dcr: false, staticClients: [{ client_id: 'pre-public' }],
    }, ['--static-oauth-client-info', JSON.stringify({ client_id: 'pre-public' })]],
  ];
  for (const [name, o, args] of cases) {
    test(name, async () => {
      const s = await startQuirkServer(o);
      servers.push(s);
      const d = makeDirs('relay-quirk');
      const h = await connectBridge(s.url, { args: [...FILE, ...args], env: envFor(d), connectTimeoutMs: 30000 })
        .catch((e) => { e.message += `\n${s.describe()}\n--- browser ---\n${browserLog(d)}`; throw e; });
      handles.push(h);
      assert.equal(resultText(await callTool(h.client, 'echo', { message: 'quirk ok' })), 'quirk ok');
      assert.equal(s.stats.authorizations, 1, s.describe());
      assert.equal(s.stats.grants.authorization_code, 1, s.describe());
      assert.deepEqual(s.stats.tokenErrors, []);
      if (o.staticClients) {
        const who = JSON.parse(resultText(await callTool(h.client, 'whoami')));
        assert.equal(who.client_id, o.staticClients[0].client_id, 'token issued to the pre-registered client');
        assert.equal(s.stats.registrations, 0, 'no registration attempted');
      } else {
        assert.equal(s.stats.registrations, 1);
      }
      await h.close();
    });
  }
});
