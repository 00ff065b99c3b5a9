// The configuration file's profiles against a real server: a profile's headers
// (literal, env: and keychain: through the file store) reach it; the command line
// wins; a profile is found by the server URL; a file others may read holding a
// literal secret is refused; `config check` shows the profile, secrets masked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertAllJsonRpc, killAll, rawHandshake, requireBridge, runBridge, spawnRawBridge, startServer } from '../lib/harness.mjs';

describe('profiles in the configuration file', { timeout: 60000 }, () => {
  let srv, dir, env, file;
  const ENV_TOKEN = 'env-tok-5f1c9a';
  const STORED_KEY = 'stored-key-8b2d7e';

  /** Write the configuration file at the default path with this mode. */
  function writeConfig(profiles, mode = 0o600) {
    fs.writeFileSync(file, JSON.stringify({ profiles }, null, 2));
    fs.chmodSync(file, mode);
  }

  /** Start the bridge with args, initialize, and return the headers the server saw on a call. */
  async function headersSeen(args) {
    const b = spawnRawBridge(args, { env });
    try {
      const r = await rawHandshake(b);
      assert.ok(r.result, `initialize: ${JSON.stringify(r)}\n${b.stderr()}`);
      b.send({ jsonrpc: '2.0', id: 'h', method: 'tools/call', params: { name: 'headers', arguments: {} } });
      const res = await b.waitForId('h');
      assertAllJsonRpc(b.lines);
      return { seen: JSON.parse(res.result.content[0].text), stderr: b.stderr() };
    } finally {
      b.kill();
    }
  }

  before(async () => {
    requireBridge();
    srv = await startServer('streamable');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-profiles-'));
    fs.mkdirSync(path.join(dir, 'mcp-bridge'), { mode: 0o700 });
    file = path.join(dir, 'mcp-bridge', 'config.json');
    env = { XDG_CONFIG_HOME: dir, HOME: dir, PROFILE_TOKEN: ENV_TOKEN };
    const stored = await runBridge(['config', 'set-secret', 'api-key', '--token-store', 'file'], { env, stdin: `${STORED_KEY}\n` });
    assert.equal(stored.code, 0, stored.stderr);
    assert.match(stored.stdout, /Stored keychain:api-key in files in /);
    assert.ok(!stored.stdout.includes(STORED_KEY) && !stored.stderr.includes(STORED_KEY));
    writeConfig({
      work: {
        url: srv.url,
        'token-store': 'file',
        headers: { 'X-Tenant': 'acme', Authorization: 'env:PROFILE_TOKEN', 'X-Api-Key': 'keychain:api-key' },
        'connect-timeout': 5,
      },
    }, 0o644); // only references: others may read it
  });
  after(async () => {
    await srv?.stop();
    await killAll();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('--profile without a URL: the profile\'s url and headers, references resolved', async () => {
    const { seen, stderr } = await headersSeen(['--profile', 'work']);
    assert.equal(seen['x-tenant'], 'acme');
    assert.equal(seen.authorization, ENV_TOKEN);
    assert.equal(seen['x-api-key'], STORED_KEY);
    assert.ok(!stderr.includes(ENV_TOKEN) && !stderr.includes(STORED_KEY), 'a secret in the log');
  });

  test('the command line wins over the profile, header by header', async () => {
    const { seen } = await headersSeen(['--profile', 'work', '--header', 'X-Tenant: from-cli']);
    assert.equal(seen['x-tenant'], 'from-cli');
    assert.equal(seen.authorization, ENV_TOKEN, 'the profile\'s other headers stay');
  });

  test('found by the server URL without --profile', async () => {
    const { seen } = await headersSeen([srv.url]);
    assert.equal(seen['x-tenant'], 'acme');
    assert.equal(seen['x-api-key'], STORED_KEY);
  });

  test('an unset env: reference is a usage error naming file, profile and key', async () => {
    const r = await runBridge(['--profile', 'work'], { env: { ...env, PROFILE_TOKEN: '' } });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.includes(file), r.stderr);
    assert.match(r.stderr, /profile "work": key "headers.Authorization": environment variable PROFILE_TOKEN is empty/);
  });

  test('config check shows the resolved options, secrets masked, and exits 0 or 1', async () => {
    const ok = await runBridge(['config', 'check', '--profile', 'work'], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Profile "work" in .*config\.json/);
    assert.match(ok.stdout, /--header 'Authorization: env:PROFILE_TOKEN' {2}\(profile "work"\)/);
    assert.match(ok.stdout, /--connect-timeout 5 {2}\(profile "work"\)/);
    assert.match(ok.stdout, new RegExp(`url ${srv.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.ok(!ok.stdout.includes(ENV_TOKEN) && !ok.stdout.includes(STORED_KEY));
    const bad = await runBridge(['config', 'check', '--profile', 'nope'], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /has no profile "nope"; it has: work/);
  });

  test('a file others may read with a literal secret is refused; chmod 600 accepts it', async () => {
    const literal = 'Bearer literal-3e4f5a';
    writeConfig({ lit: { url: srv.url, headers: { Authorization: literal } } }, 0o644);
    const r = await runBridge(['--profile', 'lit'], { env });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '', 'nothing but JSON-RPC on stdout');
    assert.ok(r.stderr.includes(`chmod 600 ${file}`), r.stderr);
    assert.match(r.stderr, /profile "lit": key "headers.Authorization" holds a secret/);
    assert.ok(!r.stderr.includes('literal-3e4f5a'));
    fs.chmodSync(file, 0o600);
    const { seen } = await headersSeen(['--profile', 'lit']);
    assert.equal(seen.authorization, literal);
    const check = await runBridge(['config', 'check'], { env });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /--header 'Authorization: \*\*\*\*'/);
    assert.ok(!check.stdout.includes('literal-3e4f5a'));
  });
});
