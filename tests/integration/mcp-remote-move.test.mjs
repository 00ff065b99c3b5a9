// Moving from mcp-remote 0.15.1 without signing in again:
//  - --mcp-remote-callback: a client pre-registered (no dynamic registration,
//    oidc-provider with exact redirect URIs) for mcp-remote's redirect URI for
//    this server URL signs in through the bridge. The expected URI comes from
//    mcp-remote's own parseCommandLineArgs when the package is installed
//    (tests/node_modules/mcp-remote or $MCP_REMOTE_PKG), else from its
//    published formula (MD5 of the URL, port 3335 + first 16 bits mod 45816);
//  - import --from-mcp-remote [URL]: the sign-in mcp-remote left in
//    $MCP_REMOTE_CONFIG_DIR is used with no browser, with and without the URL,
//    and a later sign-in uses the imported client and its redirect URI. The
//    files come from running mcp-remote itself (headless, through
//    tests/conformance/browser.sh) when the package is installed, else they
//    are written in its format from a real registration and sign-in;
//  - --resource: two tenants behind one URL keep two records, and status,
//    token and logout address the one the flags name; a plain sign-in keeps
//    the record name it always had.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  callTool, connectBridge, killAll, requireBridge, resultText, TESTS_DIR, waitUntil,
} from '../lib/harness.mjs';
import {
  BROWSER_SH, browserLog, cli, envFor, makeDirs, removeDirs, storedDocs,
} from '../lib/oauth-env.mjs';
import { startQuirkServer } from '../servers/quirks.mjs';
import {
  cleanupHomes, describeStack, oauthEnv, startOidcStack, tempHome, TEST_USER,
} from '../servers/oidc-stack.mjs';

const FILE = ['--token-store', 'file'];
const show = (r) => `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;

/** mcp-remote's installed package directory, or null. */
function mcpRemotePackage() {
  for (const dir of [process.env.MCP_REMOTE_PKG, path.join(TESTS_DIR, 'node_modules', 'mcp-remote')]) {
    if (dir && fs.existsSync(path.join(dir, 'dist', 'proxy.js'))) return dir;
  }
  return null;
}

/** mcp-remote's redirect URI for `url` (and its store hash), by its own code when installed. */
async function mcpRemoteRedirect(url, args = []) {
  const pkg = mcpRemotePackage();
  if (pkg) {
    const dist = path.join(pkg, 'dist');
    const chunk = fs.readdirSync(dist).filter((f) => f.endsWith('.js'))
      .find((f) => /export \{[^}]*\bparseCommandLineArgs\b/s.test(fs.readFileSync(path.join(dist, f), 'utf8')));
    assert.ok(chunk, `mcp-remote at ${pkg} exports parseCommandLineArgs`);
    const { parseCommandLineArgs } = await import(pathToFileURL(path.join(dist, chunk)).href);
    const saved = process.env.MCP_REMOTE_CONFIG_DIR;
    process.env.MCP_REMOTE_CONFIG_DIR = makeDirs('mr-parse').root;
    try {
      const o = await parseCommandLineArgs([url, ...args], 'usage');
      return { uri: `http://${o.host}:${o.callbackPort}${o.callbackPath}`, hash: o.serverUrlHash, by: 'mcp-remote' };
    } finally {
      if (saved === undefined) delete process.env.MCP_REMOTE_CONFIG_DIR;
      else process.env.MCP_REMOTE_CONFIG_DIR = saved;
    }
  }
  assert.equal(args.length, 0, 'the formula below covers the plain URL only');
  const hash = createHash('md5').update(url).digest('hex');
  const port = 3335 + (parseInt(hash.slice(0, 4), 16) % 45816);
  return { uri: `http://localhost:${port}/oauth/callback`, hash, by: 'formula' };
}

/** Run mcp-remote itself until it has answered initialize (so it has signed in). */
async function runMcpRemote(pkg, url, configDir, logDir, extra = []) {
  const p = spawn(process.execPath, [path.join(pkg, 'dist', 'proxy.js'), url, ...extra], {
    env: {
      PATH: process.env.PATH,
      HOME: configDir,
      MCP_REMOTE_CONFIG_DIR: configDir,
      BROWSER: BROWSER_SH,
      BROWSER_SH_LOG: path.join(logDir, 'mcp-remote-browser.log'),
      NO_PROXY: '*',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { err += d; });
  p.stdin.write(`${JSON.stringify({
    jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'move-test', version: '1' } },
  })}\n`);
  try {
    await waitUntil(() => /"id":1\b/.test(out), 60000, `mcp-remote's initialize answer\n${err.slice(-3000)}`, 50);
  } finally {
    p.kill();
  }
  assert.match(out, /"result"/, `mcp-remote initialized: ${out}\n${err.slice(-2000)}`);
}

/** Without the package: register and sign in at the quirk server as mcp-remote does,
 * and write its files (mcp-remote-v1/<hash>_client_info.json, _tokens.json). */
async function writeLikeMcpRemote(s, url, configDir) {
  const { uri, hash } = await mcpRemoteRedirect(url);
  const reg = await (await fetch(`${s.issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      redirect_uris: [uri], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], application_type: 'native', client_name: 'MCP CLI Proxy', scope: 'mcp',
    }),
  })).json();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: reg.client_id, code_challenge: challenge, code_challenge_method: 'S256',
    redirect_uri: uri, state: 's', scope: 'mcp', resource: url,
  });
  const loc = new URL((await fetch(`${s.issuer}/authorize?${q}`, { redirect: 'manual' })).headers.get('location'));
  const tok = await (await fetch(`${s.issuer}/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: loc.searchParams.get('code'), code_verifier: verifier,
      redirect_uri: uri, client_id: reg.client_id, resource: url,
    }),
  })).json();
  assert.ok(tok.access_token, JSON.stringify(tok));
  const dir = path.join(configDir, 'mcp-remote-v1');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${hash}_client_info.json`), JSON.stringify({ ...reg, issuer: s.issuer }, null, 2));
  fs.writeFileSync(path.join(dir, `${hash}_tokens.json`), JSON.stringify({
    ...tok, issuer: s.issuer, expires_at: Date.now() + tok.expires_in * 1000, requested_scope: 'mcp',
  }, null, 2));
}

describe('--mcp-remote-callback: a client pre-registered for mcp-remote\'s redirect URI', { timeout: 90000 }, () => {
  let s, expected, h;
  const client = { client_id: 'registered-for-mcp-remote', token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], application_type: 'native' };
  before(async () => {
    requireBridge();
    // The MCP URL has an ephemeral port: the client is registered once it is known.
    s = await startOidcStack({
      registration: false,
      staticClients: async ({ mcpUrl }) => {
        expected = await mcpRemoteRedirect(mcpUrl);
        return [{ ...client, redirect_uris: [expected.uri] }];
      },
    });
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
    removeDirs();
  });

  test('signs in with exactly mcp-remote\'s redirect URI (oidc-provider, no dynamic registration)', async () => {
    const home = tempHome('mr-callback');
    h = await connectBridge(s.mcpUrl, {
      args: ['--mcp-remote-callback', '--static-oauth-client-info', JSON.stringify({ client_id: client.client_id })],
      env: oauthEnv(home),
      connectTimeoutMs: 30000,
    }).catch((e) => {
      e.message += `\n(expected ${expected.uri} by ${expected.by})\n${describeStack(s)}`;
      throw e;
    });
    const who = JSON.parse(resultText(await callTool(h.client, 'whoami')));
    assert.equal(who.sub, TEST_USER);
    assert.equal(who.client_id, client.client_id);
    assert.equal(s.authRequests.length, 1, describeStack(s));
    assert.equal(s.authRequests[0].redirect_uri, expected.uri, `mcp-remote's URI (computed by ${expected.by})`);
    assert.equal(s.stats.registrations, 0);
  });
});

describe('import --from-mcp-remote: mcp-remote\'s sign-in is used without a browser', { timeout: 180000 }, () => {
  let s, src, mrDir, expected;
  const pkg = mcpRemotePackage();
  before(async () => {
    requireBridge();
    s = await startQuirkServer({});
    src = makeDirs('mr-source');
    mrDir = path.join(src.root, 'mcp-auth');
    expected = await mcpRemoteRedirect(s.url);
    if (pkg) await runMcpRemote(pkg, s.url, mrDir, src.logs, ['--debug']);
    else await writeLikeMcpRemote(s, s.url, mrDir);
  });
  after(async () => {
    await killAll();
    await s?.close();
    removeDirs();
  });

  const files = (suffix) => path.join(mrDir, 'mcp-remote-v1', `${expected.hash}_${suffix}`);
  /** mcp-remote's files copied into d's config directory, and the variable that
   * points both mcp-remote and the bridge there (it moves the bridge's own store
   * too, as it moves mcp-remote's). */
  function mcpRemoteConfigIn(d) {
    fs.cpSync(path.join(mrDir, 'mcp-remote-v1'), path.join(d.config, 'mcp-remote-v1'), { recursive: true });
    return { MCP_REMOTE_CONFIG_DIR: d.config };
  }

  test(`mcp-remote's files are there (${pkg ? 'written by mcp-remote 0.15.1 itself' : 'written in its format'})`, () => {
    const client = JSON.parse(fs.readFileSync(files('client_info.json'), 'utf8'));
    assert.deepEqual(client.redirect_uris, [expected.uri]);
    assert.ok(JSON.parse(fs.readFileSync(files('tokens.json'), 'utf8')).refresh_token);
  });

  test('with the URL: imported, no token printed, files left for the user; the bridge then needs no browser', async () => {
    const d = makeDirs('mr-import-url');
    const env = mcpRemoteConfigIn(d);
    const before = { ...s.stats };
    const r = await cli(d, ['import', '--from-mcp-remote', s.url, ...FILE], { env });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Imported mcp-remote's sign-in to/);
    assert.ok(r.stdout.includes(expected.uri), `the kept redirect URI is named: ${r.stdout}`);
    assert.match(r.stdout, /yours to delete/);
    for (const t of s.secrets()) assert.ok(!r.stdout.includes(t) && !r.stderr.includes(t), 'import prints no token');
    assert.ok(fs.existsSync(path.join(d.config, 'mcp-remote-v1', `${expected.hash}_tokens.json`)),
      'mcp-remote\'s files are left alone');
    const rec = storedDocs(d).map((x) => x.doc).find((x) => x?.server === s.url);
    const client = JSON.parse(fs.readFileSync(files('client_info.json'), 'utf8'));
    assert.equal(rec.client_id, client.client_id);
    assert.equal(rec.redirect_uri, expected.uri);

    const h = await connectBridge(s.url, { args: FILE, env: envFor(d, env), connectTimeoutMs: 20000 });
    try {
      assert.equal(resultText(await callTool(h.client, 'echo', { message: 'moved' })), 'moved');
    } finally {
      await h.close();
    }
    assert.equal(s.stats.authorizations, before.authorizations, 'no sign-in');
    assert.equal(s.stats.registrations, before.registrations, 'no registration');
    assert.equal(browserLog(d), '', 'no browser');
  });

  test('without a URL: every server whose URL the files prove is imported', async () => {
    const d = makeDirs('mr-import-all');
    const r = await cli(d, ['import', '--from-mcp-remote', ...FILE], { env: mcpRemoteConfigIn(d) });
    if (pkg) {
      // mcp-remote --debug wrote the URL in its log: the hash confirms it.
      assert.equal(r.code, 0, show(r));
      assert.ok(r.stdout.includes(`Imported mcp-remote's sign-in to ${s.url}`), show(r));
      assert.ok(storedDocs(d).some((x) => x.doc?.server === s.url && x.doc?.refresh_token));
    } else {
      // Its files never name the server (and the quirk server's tokens are opaque).
      assert.equal(r.code, 1, show(r));
      assert.match(r.stdout, /does not record which server it is for; import it with: mcp-bridge import --from-mcp-remote <server-url>/);
    }
  });

  test('a later sign-in uses the imported client and its redirect URI', async () => {
    // A sign-in mcp-remote left without a refresh token and with an expired access token.
    const d = makeDirs('mr-resignin');
    const dir = path.join(d.config, 'mcp-remote-v1');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(files('client_info.json'), path.join(dir, `${expected.hash}_client_info.json`));
    const tok = JSON.parse(fs.readFileSync(files('tokens.json'), 'utf8'));
    delete tok.refresh_token;
    tok.expires_at = Date.now() - 3600 * 1000;
    fs.writeFileSync(path.join(dir, `${expected.hash}_tokens.json`), JSON.stringify(tok));
    s.expireAccessTokens();

    const env = { MCP_REMOTE_CONFIG_DIR: d.config };
    const r = await cli(d, ['import', '--from-mcp-remote', s.url, ...FILE], { env });
    assert.equal(r.code, 0, show(r));
    const before = { ...s.stats };
    const h = await connectBridge(s.url, { args: FILE, env: envFor(d, env), connectTimeoutMs: 30000 });
    try {
      assert.equal(resultText(await callTool(h.client, 'echo', { message: 'again' })), 'again');
    } finally {
      await h.close();
    }
    assert.equal(s.stats.authorizations, before.authorizations + 1, `one sign-in\n${browserLog(d)}`);
    assert.equal(s.stats.registrations, before.registrations, 'no new registration');
    // The authorization URL the bridge handed to the browser.
    const opened = browserLog(d).match(/\] open (\S+)/);
    assert.ok(opened, browserLog(d));
    const q = new URL(opened[1]).searchParams;
    assert.equal(q.get('redirect_uri'), expected.uri);
    assert.equal(q.get('client_id'), JSON.parse(fs.readFileSync(files('client_info.json'), 'utf8')).client_id);
  });

  test('a sign-in mcp-remote got from another authorization server is never sent to this one', async () => {
    const d = makeDirs('mr-other-as');
    const dir = path.join(d.config, 'mcp-remote-v1');
    fs.mkdirSync(dir, { recursive: true });
    const client = JSON.parse(fs.readFileSync(files('client_info.json'), 'utf8'));
    const tok = JSON.parse(fs.readFileSync(files('tokens.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, `${expected.hash}_client_info.json`),
      JSON.stringify({ ...client, issuer: 'https://other-as.example' }));
    const foreignRt = `rt_from_elsewhere_${randomBytes(8).toString('hex')}`;
    fs.writeFileSync(path.join(dir, `${expected.hash}_tokens.json`), JSON.stringify({
      ...tok, access_token: `at_from_elsewhere_${randomBytes(8).toString('hex')}`, refresh_token: foreignRt,
      issuer: 'https://other-as.example', expires_at: Date.now() - 1000,
    }));
    const env = { MCP_REMOTE_CONFIG_DIR: d.config };
    const r = await cli(d, ['import', '--from-mcp-remote', s.url, ...FILE], { env });
    assert.equal(r.code, 0, show(r));
    const before = { ...s.stats, refresh: s.stats.grants.refresh_token, tokenRequests: s.asLog.filter((e) => e.path === '/token').length };
    const h = await connectBridge(s.url, { args: FILE, env: envFor(d, env), connectTimeoutMs: 30000 });
    try {
      assert.equal(resultText(await callTool(h.client, 'echo', { message: 'fresh' })), 'fresh');
      assert.ok(!h.stderr().includes(foreignRt), 'the refresh token is not logged');
    } finally {
      await h.close();
    }
    assert.equal(s.stats.grants.refresh_token, before.refresh, 'no refresh with the other server\'s token');
    assert.deepEqual(s.stats.tokenErrors, [], 'the token endpoint never saw it');
    assert.equal(s.stats.authorizations, before.authorizations + 1, 'a sign-in here instead');
    assert.equal(s.stats.registrations, before.registrations + 1, 'with a client registered here');
  });

  test('policy: a plain-http server that is not loopback is refused', async () => {
    const d = makeDirs('mr-policy');
    const r = await cli(d, ['import', '--from-mcp-remote', 'http://mcp.example.com/mcp', ...FILE],
      { env: mcpRemoteConfigIn(d) });
    assert.equal(r.code, 1, show(r));
    assert.deepEqual(storedDocs(d), []);
  });
});

describe('--resource: a record per resource, addressed by the same flags', { timeout: 120000 }, () => {
  let s, d;
  const tenants = ['https://tenant-a.example/mcp', 'https://tenant-b.example/mcp'];
  before(async () => {
    requireBridge();
    s = await startQuirkServer({ extraResources: tenants });
    d = makeDirs('mr-resource');
  });
  after(async () => {
    await killAll();
    await s?.close();
    removeDirs();
  });

  test('a plain sign-in keeps the record name it always had (the URL alone)', async () => {
    const r = await cli(d, ['login', s.url, ...FILE]);
    assert.equal(r.code, 0, show(r));
    const name = `server-${createHash('sha256').update(s.url).digest('hex').slice(0, 32)}`;
    assert.ok(storedDocs(d).some((x) => x.name === `${name}.json` && x.doc?.access_token), storedDocs(d).map((x) => x.name).join());
  });

  test('two --resource values: two sign-ins, two records, two tokens', async () => {
    const tokens = [];
    for (const t of tenants) {
      const before = s.stats.authorizations;
      const r = await cli(d, ['login', s.url, '--resource', t, ...FILE]);
      assert.equal(r.code, 0, show(r));
      assert.equal(s.stats.authorizations, before + 1, `a sign-in for ${t}`);
      const tok = await cli(d, ['token', s.url, '--resource', t, ...FILE]);
      assert.equal(tok.code, 0, show(tok));
      tokens.push(tok.stdout.trim());
      assert.equal(s.resourceOf.get(tok.stdout.trim()), t, `the token for ${t} was issued for it`);
    }
    assert.notEqual(tokens[0], tokens[1]);
    const recs = storedDocs(d).map((x) => x.doc).filter((x) => x?.server === s.url);
    assert.equal(recs.length, 3, 'plain, tenant a, tenant b');
    assert.deepEqual(recs.map((x) => x.for?.resource ?? '').sort(), ['', ...tenants]);
  });

  test('export and import keep the record of the flags', async () => {
    const ex = await cli(d, ['export', s.url, '--resource', tenants[1], ...FILE]);
    assert.equal(ex.code, 0, show(ex));
    const doc = JSON.parse(ex.stdout);
    assert.equal(doc.for?.resource, tenants[1]);
    const mine = storedDocs(d).map((x) => x.doc).find((x) => x?.for?.resource === tenants[1]);
    assert.equal(doc.refresh_token, mine.refresh_token, 'tenant b\'s refresh token');
    const other = makeDirs('mr-resource-imported');
    const im = await cli(other, ['import', ...FILE], { stdin: ex.stdout });
    assert.equal(im.code, 0, show(im));
    const names = (dd) => storedDocs(dd).filter((x) => x.doc?.for?.resource === tenants[1]).map((x) => x.name);
    assert.deepEqual(names(other), names(d), 'the same record name in the other store');
  });

  test('status and logout address the record of the flags', async () => {
    const st = await cli(d, ['status', s.url, '--resource', tenants[0], ...FILE]);
    assert.equal(st.code, 0, show(st));
    const lines = st.stdout.split('\n').filter((l) => l.startsWith(s.url));
    assert.equal(lines.length, 1, show(st));
    assert.ok(lines[0].includes(tenants[0]) && !lines[0].includes(tenants[1]), lines[0]);
    const out = await cli(d, ['logout', s.url, '--resource', tenants[0], ...FILE]);
    assert.equal(out.code, 0, show(out));
    const left = storedDocs(d).map((x) => x.doc).filter((x) => x?.server === s.url);
    assert.deepEqual(left.map((x) => x.for?.resource ?? '').sort(), ['', tenants[1]]);
  });
});
