// A host configuration written for mcp-remote 0.15.1 keeps working when `npx
// mcp-remote` is replaced by `mcp-bridge`: every flag, as mcp-remote's README uses
// it, starts a working session (no exit 2), with its effect checked where a test
// server can see it; --ignore-tool hides exactly the tools mcp-remote's own matcher
// hides; --authorize-param refuses what mcp-remote refuses; MCP_REMOTE_CONFIG_DIR
// moves the file credential store.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import {
  assertAllJsonRpc, callTool, connectBridge, killAll, requireBridge, resultText, runBridge,
  startServer, TESTS_DIR,
} from '../lib/harness.mjs';
import { browserLog, cli, makeDirs, removeDirs } from '../lib/oauth-env.mjs';
import { startQuirkServer } from '../servers/quirks.mjs';
import { startStatelessServer } from '../servers/stateless.mjs';

const MCP_REMOTE_DIST = path.join(TESTS_DIR, 'node_modules', 'mcp-remote', 'dist');

/** mcp-remote's own shouldIncludeTool(patterns, name), taken from its installed code. */
function mcpRemoteMatcher() {
  for (const f of fs.readdirSync(MCP_REMOTE_DIST).filter((n) => n.endsWith('.js'))) {
    const src = fs.readFileSync(path.join(MCP_REMOTE_DIST, f), 'utf8');
    const conv = src.match(/\nfunction patternToRegex\(pattern\) \{\n[\s\S]*?\n\}\n/);
    const incl = src.match(/\nfunction shouldIncludeTool\(ignorePatterns, toolName\) \{\n[\s\S]*?\n\}\n/);
    if (conv && incl) return new Function(`${conv[0]}${incl[0]}return shouldIncludeTool;`)();
  }
  throw new Error(`shouldIncludeTool not found in ${MCP_REMOTE_DIST}; is mcp-remote 0.15.1 installed?`);
}

// Tool names in mixed case, with the characters a pattern might take for special.
const TOOL_NAMES = [
  'echo', 'Echo2', 'get-tiny-image', 'GET-ENV', 'getSum', 'deleteTask', 'DeleteUser', 'undelete',
  'getAccount', 'updateAccount', 'accounts', 'exactTool', 'exactToolX', 'tool.with.dots',
  'toolXwithXdots', 'add', 'ADD_numbers',
];
const PATTERNS = ['ECHO', 'GET-*', 'delete*', '*account', 'exactTool', 'tool.with.*', 'add'];

/** A Streamable HTTP server (stateless) with the tools above; each answers its own name. */
function startToolNameServer() {
  return startStatelessServer({
    name: 'tool-names',
    tools: TOOL_NAMES.map((n) => ({ name: n, description: `the tool ${n}`, text: `called ${n}` })),
  });
}

describe('--ignore-tool hides what mcp-remote hides', { timeout: 60000 }, () => {
  let srv, h;
  before(async () => {
    requireBridge();
    srv = await startToolNameServer();
  });
  after(async () => {
    await h?.close();
    await killAll();
    await srv?.close();
  });

  test('tools/list keeps exactly the tools mcp-remote keeps, matched without case', async () => {
    const shouldIncludeTool = mcpRemoteMatcher();
    const kept = TOOL_NAMES.filter((n) => shouldIncludeTool(PATTERNS, n)).sort();
    // What mcp-remote's matcher says, spelled out so the comparison cannot be vacuous.
    for (const hidden of ['echo', 'get-tiny-image', 'GET-ENV', 'deleteTask', 'DeleteUser', 'getAccount',
      'updateAccount', 'exactTool', 'tool.with.dots', 'add']) {
      assert.ok(!kept.includes(hidden), `mcp-remote hides ${hidden}`);
    }
    for (const shown of ['Echo2', 'getSum', 'undelete', 'accounts', 'exactToolX', 'toolXwithXdots', 'ADD_numbers']) {
      assert.ok(kept.includes(shown), `mcp-remote keeps ${shown}`);
    }
    const args = PATTERNS.flatMap((p) => ['--ignore-tool', p]);
    h = await connectBridge(srv.url, { args });
    const { tools } = await h.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), kept, h.stderr());
    assertAllJsonRpc(h.lines);
  });

  test('a hidden tool cannot be called, in any case; a kept one can', async () => {
    for (const name of ['echo', 'ECHO', 'DeleteUser', 'GET-ENV']) {
      let r;
      try {
        r = await callTool(h.client, name);
      } catch (e) {
        r = { error: e };
      }
      assert.ok(r.error || r.isError, `${name} refused: ${JSON.stringify(r)}`);
      assert.notEqual(resultText(r), `called ${name}`);
    }
    assert.equal(resultText(await callTool(h.client, 'Echo2')), 'called Echo2');
    assert.equal(resultText(await callTool(h.client, 'undelete')), 'called undelete');
  });
});

describe('every mcp-remote flag, as its README writes it', { timeout: 180000 }, () => {
  let srv, legacy, dir;
  before(async () => {
    requireBridge();
    srv = await startServer('streamable');
    legacy = await startServer('legacy-sse');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-bridge-remote-flags-'));
    fs.writeFileSync(path.join(dir, 'headers.txt'), '# from a file\nX-From-File: file-value\n');
    fs.writeFileSync(path.join(dir, 'client_metadata.json'), '{ "scope": "space separated scopes" }');
    fs.writeFileSync(path.join(dir, 'client_info.json'),
      '{ "client_id": "my-client", "client_secret": "${MCP_CLIENT_SECRET}" }');
  });
  after(async () => {
    await killAll();
    await srv?.stop();
    await legacy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const requestsWith = (pred) => srv.log.entries.filter((e) => e.path === '/mcp' && pred(e));

  /** A session with these arguments: initialize, tools/list and a call work; stdout is JSON-RPC. */
  async function session(args, { url = srv.url, env = {} } = {}) {
    const h = await connectBridge(url, { args, env: { MCP_CLIENT_SECRET: 'secret-from-env', ...env } });
    try {
      const { tools } = await h.client.listTools();
      assert.ok(tools.some((t) => t.name === 'echo'), `tools/list: ${JSON.stringify(tools.map((t) => t.name))}`);
      assert.match(resultText(await callTool(h.client, 'echo', { message: 'hi' })), /hi/);
      assertAllJsonRpc(h.lines);
      return h;
    } catch (e) {
      e.message += `\n--- bridge stderr ---\n${h.stderr().slice(-3000)}`;
      await h.close();
      throw e;
    }
  }

  // Flags whose effect the test server cannot see (sign-in, timeouts, proxy, cookies),
  // or that mcp-remote accepts and the bridge makes automatic: they start a session.
  const accepted = [
    ['3334'],
    ['--allow-http'],
    ['--enable-proxy'],
    ['--ipv4'],
    ['--connect-timeout', '5', '--body-timeout', '0'],
    ['--headers-timeout', '60'],
    ['--disable-cookies'],
    ['--host', 'localhost'],
    ['--callback-path', '/oauth/done'],
    ['--auth-success-url', 'https://example.com/signed-in'],
    ['--auth-timeout', '60'],
    ['--resource', 'https://example.remote/mcp'],
    ['--resource', ''],
    ['--disable-resource-parameter'],
    ['--authorize-param', 'audience=https://api.example.com', '--authorize-param', 'prompt=consent'],
    ['--static-oauth-client-metadata', '{ "scope": "space separated scopes" }'],
    ['--static-oauth-client-metadata', '{ "token_endpoint_auth_method": "client_secret_post" }'],
    ['--static-oauth-client-info', '{ "client_id": "my-client", "client_secret": "s3cret" }'],
    ['--client-metadata-url', 'https://client.example.com/.well-known/oauth-client-metadata'],
    ['3334', '--client-metadata-url', 'https://client.example.com/.well-known/oauth-client-metadata'],
    ['--use-id-token'],
    ['--use-id-token', '--static-oauth-client-metadata', '{ "scope": "openid email" }'],
    ['--device-code'],
    ['--client-credentials', '--static-oauth-client-info',
      '{"client_id":"my-client","client_secret":"${MCP_CLIENT_SECRET}"}'],
    ['--client-credentials', '--token-endpoint', 'https://auth.example.com/oauth/token',
      '--static-oauth-client-info', '{"client_id":"my-client","client_secret":"${MCP_CLIENT_SECRET}"}',
      '--static-oauth-client-metadata', '{"scope":"mcp.read mcp.write","token_endpoint_auth_method":"client_secret_basic"}'],
    ['--protocol', 'auto'],
    ['--protocol', 'legacy'],
  ];
  for (const args of accepted) {
    test(`accepted: ${args.join(' ') || '(none)'}`, async () => {
      const h = await session(args);
      await h.close();
    });
  }

  test('@FILE arguments: --static-oauth-client-metadata @file, --static-oauth-client-info @file', async () => {
    const h = await session([
      '--static-oauth-client-metadata', `@${path.join(dir, 'client_metadata.json')}`,
      '--static-oauth-client-info', `@${path.join(dir, 'client_info.json')}`,
    ]);
    await h.close();
  });

  test('--header "Authorization:${AUTH_HEADER}" and --header-file reach the server', async () => {
    const h = await session(['--header', 'Authorization:${AUTH_HEADER}', '--header-file',
      path.join(dir, 'headers.txt')], { env: { AUTH_HEADER: 'Bearer from-env' } });
    await h.close();
    assert.ok(requestsWith((e) => e.headers.authorization === 'Bearer from-env').length > 0, 'Authorization sent');
    assert.ok(requestsWith((e) => e.headers['x-from-file'] === 'file-value').length > 0, 'X-From-File sent');
  });

  test('--transport sse-only talks HTTP+SSE; http-only Streamable HTTP', async () => {
    const h = await session(['--transport', 'sse-only'], { url: legacy.url });
    await h.close();
    const h2 = await session(['--transport', 'http-only']);
    await h2.close();
  });

  test('--protocol auto: the host\'s initialize goes through with its own protocol version', async () => {
    const from = srv.log.entries.length;
    const h = await session(['--protocol', 'auto']);
    await h.close();
    const init = srv.log.entries.slice(from).find((e) => e.initParams);
    assert.equal(init?.initParams?.protocolVersion, LATEST_PROTOCOL_VERSION);
  });

  test('--keep-alive --ping-interval 1: the server is pinged', async () => {
    const from = srv.log.entries.length;
    const h = await session(['--keep-alive', '--ping-interval', '1']);
    try {
      await srv.log.waitFor((e) => srv.log.entries.indexOf(e) >= from
        && e.rpc?.some((m) => m.method === 'ping'), 5000, 'a ping');
    } finally {
      await h.close();
    }
  });

  test('--debug logs on stderr, never on stdout; --silent logs nothing', async () => {
    const d = await session(['--debug']);
    await d.close();
    assert.match(d.stderr(), /\S/, 'a debug log');
    const quiet = await session(['--silent', '--transport', 'bogus']);
    await quiet.close();
    assert.equal(quiet.stderr(), '');
  });

  test('an unknown --transport value: a warning on stderr, and the session works with http-first', async () => {
    const h = await session(['--transport', 'carrier-pigeon']);
    await h.close();
    assert.match(h.stderr(), /carrier-pigeon.*http-first/);
  });

  test('-h and --help print the usage; --version the version; exit 0', async () => {
    for (const flag of ['-h', '--help']) {
      const r = await runBridge([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: mcp-bridge /);
    }
    const r = await runBridge(['https://example.remote/server', '-h']);
    assert.equal(r.code, 0, r.stderr);
    const v = await runBridge(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^mcp-bridge \d/);
  });

  test('--authorize-param refuses what mcp-remote refuses, in one sentence and exit 2', async () => {
    for (const key of ['client_id', 'redirect_uri', 'response_type', 'state', 'code_challenge',
      'code_challenge_method']) {
      const r = await runBridge([srv.url, '--authorize-param', `${key}=x`]);
      assert.equal(r.code, 2, `${key}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], new RegExp(`--authorize-param cannot set ${key}:`));
    }
  });
});

describe('sign-in flags reach the authorization request; MCP_REMOTE_CONFIG_DIR moves the store',
  { timeout: 120000 }, () => {
    let s, d, moved;
    before(async () => {
      requireBridge();
      s = await startQuirkServer();
      d = makeDirs('remote-flags');
      moved = path.join(d.root, 'mcp-remote-config');
    });
    after(async () => {
      await killAll();
      await s?.close();
      removeDirs();
    });

    test('login --host localhost --callback-path /cb --authorize-param prompt=consent', async () => {
      const r = await cli(d, ['login', s.url, '--token-store', 'file', '--host', 'localhost',
        '--callback-path', '/cb', '--authorize-param', 'prompt=consent', '--authorize-param',
        'audience=https://api.example.com'], { env: { MCP_REMOTE_CONFIG_DIR: moved } });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${browserLog(d)}`);
      const opened = browserLog(d).match(/https?:\/\/\S*\/authorize\?\S*/);
      assert.ok(opened, browserLog(d));
      const q = new URL(opened[0]).searchParams;
      assert.equal(q.get('prompt'), 'consent');
      assert.equal(q.get('audience'), 'https://api.example.com');
      const redirect = new URL(q.get('redirect_uri'));
      assert.equal(redirect.hostname, 'localhost');
      assert.equal(redirect.pathname, '/cb');
      assert.equal(s.stats.authorizations, 1);

      const store = path.join(moved, 'mcp-bridge', 'credentials');
      assert.ok(fs.existsSync(store) && fs.readdirSync(store).length > 0, `credentials in ${store}`);
      assert.ok(!fs.existsSync(path.join(d.config, 'mcp-bridge', 'credentials')),
        'nothing under $XDG_CONFIG_HOME');
      const st = await cli(d, ['status', '--token-store', 'file'], { env: { MCP_REMOTE_CONFIG_DIR: moved } });
      assert.equal(st.code, 0, st.stderr);
      assert.ok(st.stdout.includes(s.url), st.stdout);
    });
  });
