// `mcp-bridge doctor URL` agrees with a start: for each kind of server the
// integration tests use, doctor's exit status is 0 exactly when a real start
// (the SDK's stdio client, the headless sign-in script as the browser) connects
// and lists tools. Doctor runs first, in the same directories, as a person
// would run it before starting.
//
// The cases where the old doctor disagreed: (a) the first protected resource
// metadata URL answers 200 without authorization_servers (a start tries the
// next); (b) a bare 401 with no metadata and no /register (a start fails at the
// registration); (c) an Authorization header given with --header is rejected.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectBridge, killAll, requireBridge } from '../lib/harness.mjs';
import { browserLog, cli, envFor, makeDirs, removeDirs } from '../lib/oauth-env.mjs';
import { startBare401, startPrmFront } from '../servers/doctor-cases.mjs';
import { startEverythingServer } from '../servers/everything.mjs';
import { startHostileAs } from '../servers/hostile-as.mjs';
import { startLegacySseServer } from '../servers/legacy-sse.mjs';
import { startOidcStack } from '../servers/oidc-stack.mjs';
import { startQuirkServer } from '../servers/quirks.mjs';
import { startStatelessServer } from '../servers/stateless.mjs';

const FILE = ['--token-store', 'file'];

const quirks = (opts, args = []) => async () => {
  const s = await startQuirkServer(opts);
  return { url: s.url, args, stop: () => s.close() };
};
const oidc = (opts) => async () => {
  const s = await startOidcStack(opts);
  return { url: s.mcpUrl, stop: () => s.close() };
};

// [what, start() -> { url, args?, stop }, whether a start connects]
const cases = [
  ['server-everything, no authentication', async () => {
    const s = await startEverythingServer();
    return { url: s.url, stop: () => s.stop() };
  }, true],
  ['a stateless server', async () => {
    const s = await startStatelessServer({ tools: [{ name: 'hello', description: 'hi', text: 'hi' }] });
    return { url: s.url, stop: () => s.close() };
  }, true],
  ['legacy HTTP+SSE', async () => {
    const s = await startLegacySseServer();
    return { url: s.url, stop: () => s.stop() };
  }, true],
  ['OAuth with dynamic registration', quirks({}), true],
  ['OAuth: no hint, issuer with a path', quirks({ hint: 'none', asPath: '/tenant1', separateAs: true }), true],
  ['OAuth: relative hint', quirks({ hint: 'relative' }), true],
  ['OAuth: no registration endpoint, no client given', quirks({ dcr: false }), false],
  ['OAuth: no registration endpoint, a pre-registered client',
    quirks({ dcr: false, staticClients: [{ client_id: 'pre-agree', client_secret: 'pre-agree-secret' }] },
      ['--static-oauth-client-info', JSON.stringify({ client_id: 'pre-agree', client_secret: 'pre-agree-secret' })]),
    true],
  ['OAuth: metadata for another resource', quirks({ prmResource: 'https://other.example.com/mcp' }), false],
  ['(c) an Authorization header the server rejects',
    quirks({}, ['--header', 'Authorization: Bearer not-a-token-it-knows']), false],
  ['oidc-provider, authorization server at the MCP origin', oidc({ sameOrigin: true }), true],
  ['oidc-provider without registration', oidc({ registration: false }), false],
  ['(b) a bare 401: no metadata, no /register', async () => {
    const s = await startBare401();
    return { url: s.url, stop: () => s.stop() };
  }, false],
  ['(a) PRM without authorization_servers at the first URL', async () => {
    const front = await startPrmFront();
    const q = await startQuirkServer({ hint: 'none', prmAt: 'root', prmResource: front.url });
    front.setTarget(new URL(q.url).origin);
    return { url: front.url, stop: async () => { await front.stop(); await q.close(); } };
  }, true],
  ['hostile authorization server without S256', async () => {
    const as = await startHostileAs();
    as.cfg.metadata = (o) => ({
      issuer: o, authorization_endpoint: `${o}/authorize`, token_endpoint: `${o}/token`,
      registration_endpoint: `${o}/register`, code_challenge_methods_supported: ['plain'],
    });
    return { url: as.url, stop: () => as.stop() };
  }, false],
];

async function realStart(url, args, d) {
  let h;
  try {
    h = await connectBridge(url, { args, env: envFor(d), connectTimeoutMs: 30000 });
    const { tools } = await h.client.listTools();
    return { ok: tools.length > 0, why: `${tools.length} tools` };
  } catch (e) {
    return { ok: false, why: e.message.slice(0, 2000) };
  } finally {
    await h?.close();
  }
}

describe('doctor agrees with a start', { timeout: 600000 }, () => {
  before(() => requireBridge());
  after(async () => { await killAll(); removeDirs(); });

  for (const [what, start, connects] of cases) {
    test(what, async () => {
      const srv = await start();
      try {
        const d = makeDirs('doctor-agrees');
        const args = [...FILE, ...(srv.args ?? [])];
        const doc = await cli(d, ['doctor', srv.url, ...args], { timeoutMs: 60000 });
        const run = await realStart(srv.url, args, d);
        const show = `doctor exit ${doc.code}\n--- doctor stdout ---\n${doc.stdout}\n--- doctor stderr ---\n`
          + `${doc.stderr}\n--- start ---\n${run.why}\n--- browser ---\n${browserLog(d)}`;
        assert.equal(run.ok, connects, `the case is what it claims to be\n${show}`);
        assert.equal(doc.code === 0, run.ok, `doctor agrees with the start\n${show}`);
      } finally {
        await srv.stop();
      }
    });
  }
});

describe('doctor with a stored sign-in', { timeout: 120000 }, () => {
  let s;
  before(async () => { requireBridge(); s = await startQuirkServer({ ttl: 2 }); });
  after(async () => { await killAll(); await s?.close(); removeDirs(); });

  test('a token the server accepts: exit 0; an expired one is refreshed as a start would', async () => {
    const d = makeDirs('doctor-stored');
    const first = await realStart(s.url, FILE, d);
    assert.ok(first.ok, first.why);
    const fresh = await cli(d, ['doctor', s.url, ...FILE]);
    assert.equal(fresh.code, 0, fresh.stdout + fresh.stderr);
    assert.match(fresh.stdout, /A stored access token is sent/);
    assert.match(fresh.stdout, /initialize succeeded/);
    await new Promise((r) => setTimeout(r, 2500)); // the access token expires
    const refreshes = s.stats.grants.refresh_token ?? 0;
    const later = await cli(d, ['doctor', s.url, ...FILE]);
    assert.equal(later.code, 0, later.stdout + later.stderr);
    assert.match(later.stdout, /Refreshing the stored sign-in at .*: done\./);
    assert.match(later.stdout, /initialize succeeded/);
    assert.equal(s.stats.grants.refresh_token, refreshes + 1, s.describe());
    assert.equal(s.stats.authorizations, 1, 'no second sign-in');
    for (const t of s.secrets()) assert.ok(!later.stdout.includes(t) && !later.stderr.includes(t), 'no secret shown');
  });
});
