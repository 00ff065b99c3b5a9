// A client's private key kept in the credential store, and private_key_jwt for
// dynamically registered clients, at a real authorization server
// (oidc-provider, registration on, private_key_jwt listed beside none):
//  - `mcp-bridge key store NAME --from FILE` (or stdin) stores a PEM key in the
//    file store and says where; a text that is no key is refused and nothing is
//    kept; `key list` names it; `key delete` removes it;
//  - a start with --client-private-key keychain:NAME (or a key file) and no
//    pre-registered client registers one with token_endpoint_auth_method private_key_jwt and
//    the public key as jwks (no private member), and its token request carries
//    a signed client assertion, not a secret; the key is never logged;
//  - keychain:NAME of a key not stored: the start fails, saying how to store it;
//  - the same through a real Secret Service (gnome-keyring-daemon on a private
//    D-Bus session): the key is an item of kind "key", in no file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { callTool, connectBridge, killAll, requireBridge, resultText, runBridge, withTimeout } from '../lib/harness.mjs';
import { cleanupHomes, describeStack, oauthEnv, startOidcStack, tempHome } from '../servers/oidc-stack.mjs';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function newKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }), jwk: publicKey.export({ format: 'jwk' }) };
}

const keyLines = (pem) => pem.split('\n').filter((l) => l && !l.startsWith('-----'));

/** Signs in with --client-private-key `keyArg` (keychain:NAME or a file) and
 * checks the registration and the token request. */
async function signInWithKey(s, keyArg, key, env, extraArgs = []) {
  const h = await connectBridge(s.mcpUrl, {
    args: ['--client-private-key', keyArg, '--debug', ...extraArgs],
    env,
    connectTimeoutMs: 30000,
  }).catch((e) => {
    e.message += `\n${describeStack(s)}`;
    throw e;
  });
  try {
    const who = JSON.parse(resultText(await callTool(h.client, 'whoami')));
    const reg = s.registrations.at(-1);
    assert.equal(reg.status, 201, describeStack(s));
    assert.equal(reg.token_endpoint_auth_method, 'private_key_jwt', JSON.stringify(reg));
    assert.equal(reg.jwks?.keys?.length, 1, JSON.stringify(reg));
    const pub = reg.jwks.keys[0];
    assert.deepEqual([pub.kty, pub.crv, pub.x, pub.y], ['EC', 'P-256', key.jwk.x, key.jwk.y], 'the public half of the stored key');
    assert.equal(pub.d, undefined, 'no private member registered');
    assert.equal(who.client_id, reg.client_id, 'the token went to the registered client');
    const code = s.grants.filter((g) => g.grant_type === 'authorization_code' && g.client_id === reg.client_id);
    assert.equal(code.length, 1, describeStack(s));
    assert.equal(code[0].status, 200, describeStack(s));
    assert.equal(code[0].client_assertion_type, ASSERTION_TYPE, 'authenticated by a client assertion');
    assert.equal(code[0].basicAuth, false, 'no Basic header');
    const stderr = h.stderr();
    for (const line of keyLines(key.pem)) assert.ok(!stderr.includes(line), 'the private key is not logged');
    assert.ok(!/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/.test(stderr), 'no assertion or token in the log');
  } finally {
    await h.close();
  }
}

describe('key store / list / delete with the file store, and a registration with the stored key', { timeout: 120000 }, () => {
  let s, home, key;
  const env = () => oauthEnv(home);
  before(async () => {
    requireBridge();
    key = newKey();
    home = tempHome('keystore');
    s = await startOidcStack({ clientAuthMethods: ['none', 'client_secret_basic', 'private_key_jwt'] });
  });
  after(async () => {
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('key store --from FILE stores the key in the file store and says where', async () => {
    const file = path.join(home, 'client.pem');
    fs.writeFileSync(file, key.pem, { mode: 0o600 });
    const r = await runBridge(['key', 'store', 'ci-key', '--from', file, '--token-store', 'file'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    const dir = path.join(home, 'mcp-bridge', 'credentials');
    assert.match(r.stdout, /Stored the private key ci-key in files in /);
    assert.ok(r.stdout.includes(dir), r.stdout);
    assert.ok(fs.existsSync(path.join(dir, 'key-ci-key.json')), fs.readdirSync(dir).join(' '));
    assert.equal(fs.statSync(path.join(dir, 'key-ci-key.json')).mode & 0o777, 0o600);
    for (const line of keyLines(key.pem)) assert.ok(!`${r.stdout}${r.stderr}`.includes(line), 'the key is not printed');
  });

  test('a text that is no private key is refused and nothing is stored; stdin works', async () => {
    const bad = await runBridge(['key', 'store', 'junk', '--token-store', 'file'], { env: env(), stdin: 'not a key\n' });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /nothing stored: no PEM private key/);
    assert.ok(!fs.existsSync(path.join(home, 'mcp-bridge', 'credentials', 'key-junk.json')));
    const good = await runBridge(['key', 'store', 'from-stdin', '--token-store', 'file'], { env: env(), stdin: key.pem });
    assert.equal(good.code, 0, good.stderr);
    const list = await runBridge(['key', 'list', '--token-store', 'file'], { env: env() });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.stdout.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim()).sort(), ['ci-key', 'from-stdin']);
    const del = await runBridge(['key', 'delete', 'from-stdin', '--token-store', 'file'], { env: env() });
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /Deleted the private key from-stdin/);
    const again = await runBridge(['key', 'delete', 'from-stdin', '--token-store', 'file'], { env: env() });
    assert.notEqual(again.code, 0);
    assert.match(again.stdout, /No key named from-stdin/);
  });

  test('--client-private-key keychain:NAME: registered with private_key_jwt and jwks, token by assertion', async () => {
    await signInWithKey(s, 'keychain:ci-key', key, oauthEnv(home), ['--token-store', 'file']);
  });

  test('--client-private-key FILE without a pre-registered client: registered with jwks too', async () => {
    const other = newKey();
    const fileHome = tempHome('keyfile-dcr');
    const file = path.join(fileHome, 'client.pem');
    fs.writeFileSync(file, other.pem, { mode: 0o600 });
    await signInWithKey(s, file, other, oauthEnv(fileHome), ['--token-store', 'file']);
  });

  test('keychain:NAME of a key not stored: the start fails and says how to store it', async () => {
    const before = s.stats.registrations;
    const r = await runBridge([s.mcpUrl, '--client-private-key', 'keychain:absent', '--token-store', 'file'],
      { env: env(), timeoutMs: 10000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no key named absent in files in .*mcp-bridge key store absent --from FILE/);
    assert.equal(r.stdout, '', 'nothing but JSON-RPC on stdout');
    assert.equal(s.stats.registrations, before, 'nothing registered');
  });
});

const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const MISSING = ['dbus-run-session', 'gnome-keyring-daemon', 'secret-tool'].filter((c) => !have(c));
const SKIP = MISSING.length ? `needs ${MISSING.join(', ')} (Debian: apt-get install dbus gnome-keyring libsecret-tools)` : false;

/** gnome-keyring-daemon on a private D-Bus session, its login keyring unlocked; until stop(). */
async function startKeyring(root) {
  const runtime = path.join(root, 'runtime');
  fs.mkdirSync(runtime, { mode: 0o700 });
  const script = path.join(root, 'session.sh');
  fs.writeFileSync(script, ['#!/bin/sh',
    'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1',
    'gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1',
    'echo "BUS $DBUS_SESSION_BUS_ADDRESS"', 'cat >/dev/null', ''].join('\n'), { mode: 0o700 });
  const child = spawn('dbus-run-session', ['--', script], {
    env: { PATH: process.env.PATH, HOME: root, XDG_RUNTIME_DIR: runtime, XDG_DATA_HOME: path.join(root, 'data'),
      XDG_CONFIG_HOME: path.join(root, 'keyring-config') },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const bus = await withTimeout(new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (x) => {
      out += x;
      const m = /^BUS (\S+)$/m.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (c) => reject(new Error(`dbus-run-session exited (${c})`)));
  }), 15000, 'the D-Bus session with gnome-keyring');
  return {
    env: { DBUS_SESSION_BUS_ADDRESS: bus, XDG_RUNTIME_DIR: runtime },
    async stop() {
      child.stdin.end();
      await withTimeout(new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r))), 5000, 'dbus-run-session')
        .catch(() => child.kill('SIGKILL'));
      for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
        try {
          if (!fs.readFileSync(`/proc/${p}/comm`, 'utf8').startsWith('gnome-keyring')) continue;
          if (fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`XDG_RUNTIME_DIR=${runtime}`)) process.kill(Number(p), 'SIGTERM');
        } catch { /* gone, or not ours */ }
      }
    },
  };
}

describe('key store with a real Secret Service, and a registration with the key kept there', { skip: SKIP, timeout: 120000 }, () => {
  let s, home, key, ks, env;
  before(async () => {
    requireBridge();
    key = newKey();
    home = tempHome('keystore-ss');
    ks = await startKeyring(home);
    env = oauthEnv(home, ks.env);
    s = await startOidcStack({ clientAuthMethods: ['none', 'client_secret_basic', 'private_key_jwt'] });
  });
  after(async () => {
    await killAll();
    await ks?.stop();
    await s?.close();
    cleanupHomes();
  });

  test('key store (default store) puts the key in the keyring as an item of kind key, in no file', async () => {
    const r = await runBridge(['key', 'store', 'ss-key'], { env, stdin: key.pem, timeoutMs: 15000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Stored the private key ss-key in the Secret Service/);
    const found = spawnSync('secret-tool', ['lookup', 'app', 'mcp-bridge', 'kind', 'key', 'subject', 'ss-key'], {
      env: { ...process.env, ...ks.env }, encoding: 'utf8', timeout: 10000,
    });
    assert.equal(found.stdout.trim(), key.pem.trim(), `the keyring holds the key: ${found.stderr}`);
    const files = fs.readdirSync(home, { recursive: true }).map((f) => path.join(home, f)).filter((f) => fs.statSync(f).isFile());
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      for (const line of keyLines(key.pem)) assert.ok(!text.includes(line), `${f} holds no part of the key`);
    }
  });

  test('--client-private-key keychain:NAME signs in with the key from the keyring', async () => {
    await signInWithKey(s, 'keychain:ss-key', key, env);
  });

  test('key delete removes the item', async () => {
    const r = await runBridge(['key', 'delete', 'ss-key'], { env, timeoutMs: 15000 });
    assert.equal(r.code, 0, r.stderr);
    const list = await runBridge(['key', 'list'], { env, timeoutMs: 15000 });
    assert.match(list.stdout, /No private keys stored/);
  });
});
