// The OS keychain on Linux: a real Secret Service (gnome-keyring-daemon on a
// private D-Bus session started with dbus-run-session, its login keyring
// unlocked with a test password):
//  - a sign-in through the bridge with the default token store puts the
//    credentials in the keyring (secret-tool finds kind "tokens" and "client"),
//    and no file under XDG_CONFIG_HOME holds the access or refresh token;
//  - a second start needs no authorization; `status` lists the server;
//    `logout` removes the tokens item.
// Without D-Bus (no DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR an empty dir):
//  - --token-store keychain fails clearly (status and the relay);
//  - the default store falls back to files, with a one-line note on stderr.
// Without libsecret (its file hidden in a private mount namespace; needs root):
//  - --token-store keychain says libsecret is not installed; the default store
//    uses files.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  bridgeEnv, killAll, rawHandshake, requireBridge, spawnRawBridge, withTimeout,
} from '../lib/harness.mjs';
import {
  BROWSER_SH, filesContaining, makeDirs, removeDirs, storedTokenRecord,
} from '../lib/oauth-env.mjs';
import { startQuirkServer } from '../servers/quirks.mjs';

const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const MISSING = ['dbus-run-session', 'gnome-keyring-daemon', 'secret-tool'].filter((c) => !have(c));
const SKIP = MISSING.length
  ? `needs ${MISSING.join(', ')} (Debian: apt-get install dbus gnome-keyring libsecret-tools; scripts/setup.sh installs them)`
  : false;

/** gnome-keyring-daemon processes whose environment has XDG_RUNTIME_DIR=dir (ours only). */
function keyringPids(dir) {
  const pids = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (!fs.readFileSync(`/proc/${p}/comm`, 'utf8').startsWith('gnome-keyring')) continue;
      const env = fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      if (env.includes(`XDG_RUNTIME_DIR=${dir}`)) pids.push(Number(p));
    } catch { /* gone, or not ours to read */ }
  }
  return pids;
}

/**
 * A private D-Bus session (dbus-run-session) with gnome-keyring-daemon's
 * secrets component, unlocked with a test password. The session lives until
 * stop(): the script inside waits on its stdin.
 */
async function startKeyringSession(d) {
  const data = path.join(d.root, 'data');
  fs.mkdirSync(data, { mode: 0o700 });
  const script = path.join(d.root, 'session.sh');
  fs.writeFileSync(script, [
    '#!/bin/sh',
    'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>>"$KT_LOG"',
    'gnome-keyring-daemon --start --components=secrets >/dev/null 2>>"$KT_LOG"',
    'echo "BUS $DBUS_SESSION_BUS_ADDRESS"',
    'cat >/dev/null',
    '',
  ].join('\n'), { mode: 0o700 });
  const log = path.join(d.logs, 'keyring.log');
  const child = spawn('dbus-run-session', ['--', script], {
    env: {
      PATH: process.env.PATH, HOME: d.root, XDG_RUNTIME_DIR: d.runtime, XDG_DATA_HOME: data,
      XDG_CONFIG_HOME: path.join(d.root, 'keyring-config'), KT_LOG: log,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (x) => { err += x; });
  const bus = await withTimeout(new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (x) => {
      out += x;
      const m = /^BUS (\S+)$/m.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (c) => reject(new Error(`dbus-run-session exited (${c}): ${err}`)));
  }), 15000, 'the D-Bus session with gnome-keyring');
  const env = { DBUS_SESSION_BUS_ADDRESS: bus, XDG_RUNTIME_DIR: d.runtime };
  // The login keyring must answer before the tests start.
  const probe = spawnSync('secret-tool', ['search', '--all', 'app', 'mcp-bridge-probe'], {
    env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10000,
  });
  if (probe.status === null) throw new Error(`secret-tool did not answer: ${probe.stderr}`);
  return {
    env,
    log: () => { try { return fs.readFileSync(log, 'utf8'); } catch { return ''; } },
    async stop() {
      child.stdin.end();
      await withTimeout(new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r))), 5000, 'dbus-run-session')
        .catch(() => child.kill('SIGKILL'));
      for (const pid of keyringPids(d.runtime)) {
        try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
      }
    },
  };
}

/** secret-tool search --all app mcp-bridge: [{ label, attributes: {app, name, kind, subject}, secret }]. */
function searchItems(sessionEnv) {
  const r = spawnSync('secret-tool', ['search', '--all', '--unlock', 'app', 'mcp-bridge'], {
    env: { ...process.env, ...sessionEnv }, encoding: 'utf8', timeout: 10000,
  });
  const text = `${r.stdout}\n${r.stderr}`;
  // secret-tool prints each item as "[/path]" then "key = value" lines (attributes on stderr).
  const items = [];
  const byPath = new Map();
  let cur;
  for (const line of text.split('\n')) {
    const head = /^\[(.+)\]$/.exec(line.trim());
    if (head) {
      cur = byPath.get(head[1]) ?? { path: head[1], attributes: {} };
      if (!byPath.has(head[1])) { byPath.set(head[1], cur); items.push(cur); }
      continue;
    }
    const kv = /^(\S+) = (.*)$/.exec(line);
    if (!kv) continue;
    if (kv[1].startsWith('attribute.')) {
      // Attributes may come on stderr after all the stdout lines: attach to the
      // last item that lacks this attribute.
      const target = [...items].reverse().find((it) => !(kv[1].slice(10) in it.attributes)) ?? cur;
      if (target) target.attributes[kv[1].slice(10)] = kv[2];
    } else if (cur) {
      cur[kv[1]] = kv[2];
    }
  }
  return { items, raw: text, status: r.status };
}

describe('keychain: a real Secret Service (gnome-keyring on a private D-Bus session)', { skip: SKIP, timeout: 120000 }, () => {
  let s, d, ks, env;
  before(async () => {
    requireBridge();
    s = await startQuirkServer({ revocation: true });
    d = makeDirs('keychain');
    ks = await startKeyringSession(d);
    env = {
      XDG_CONFIG_HOME: d.config, ...ks.env, BROWSER: BROWSER_SH, BROWSER_SH_LOG: d.browserLog,
    };
  });
  after(async () => {
    await killAll();
    await ks?.stop();
    await s?.close();
    removeDirs();
  });

  const run = async (args, ms = 20000) => {
    const b = spawnRawBridge(args, { env });
    b.endStdin();
    const { code } = await b.waitExit(ms);
    return { code, stdout: b.lines.join('\n') + b.partial(), stderr: b.stderr() };
  };

  async function session() {
    const b = spawnRawBridge([s.url], { env });
    const init = await rawHandshake(b, { id: 0, timeoutMs: 30000 });
    assert.ok(init.result, `initialize: ${JSON.stringify(init)}\n${b.stderr()}\n${s.describe()}\n--- keyring ---\n${ks.log()}`);
    b.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'kc' } } });
    const r = await b.waitForId(1, 20000);
    assert.equal(r.result?.content?.[0]?.text, 'kc', JSON.stringify(r));
    b.endStdin();
    await b.waitExit(10000);
    return b;
  }

  test('sign-in with the default store: the credentials go to the keyring, not to files', async () => {
    const b = await session();
    assert.equal(s.stats.authorizations, 1, s.describe());
    assert.doesNotMatch(b.stderr(), /no OS keychain answered/, 'no fallback note: the keyring answered');
    const { items, raw } = searchItems(ks.env);
    const kinds = items.map((i) => i.attributes.kind);
    assert.ok(kinds.includes('tokens'), `an item of kind tokens:\n${raw}`);
    assert.ok(kinds.includes('client'), `an item of kind client:\n${raw}`);
    for (const it of items) assert.equal(it.attributes.app, 'mcp-bridge');
    const tok = items.find((i) => i.attributes.kind === 'tokens');
    assert.equal(tok.attributes.subject, s.url, 'the tokens item names the server');
    const secrets = s.secrets();
    assert.ok(secrets.length >= 2);
    assert.deepEqual(filesContaining(d.config, secrets), [], 'no file under XDG_CONFIG_HOME holds a token');
    assert.equal(storedTokenRecord(d), undefined, 'no credentials file');
    assert.deepEqual(filesContaining(d.runtime, secrets), [], 'nor under XDG_RUNTIME_DIR');
  });

  test('a second start needs no authorization', async () => {
    await session();
    assert.equal(s.stats.authorizations, 1, s.describe());
    assert.equal(s.stats.grants.authorization_code, 1);
  });

  test('status lists it (stored in the Secret Service), without secrets', async () => {
    const r = await run(['status']);
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${s.url}:`));
    assert.ok(line, r.stdout);
    assert.match(line, /Secret Service/);
    assert.match(line, /refresh token: yes/);
    for (const t of s.secrets()) assert.ok(!r.stdout.includes(t) && !r.stderr.includes(t));
  });

  test('logout removes the tokens item from the keyring', async () => {
    const r = await run(['logout', s.url]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /Signed out of/);
    assert.ok(s.stats.revocations.length >= 1, 'revoked at the AS');
    const { items, raw } = searchItems(ks.env);
    assert.ok(!items.some((i) => i.attributes.kind === 'tokens'), `no tokens item left:\n${raw}`);
    const st = await run(['status', s.url]);
    assert.match(st.stdout, /No stored credentials/, st.stdout);
  });
});

describe('keychain: no D-Bus session', { timeout: 60000 }, () => {
  let s, d, env;
  before(async () => {
    requireBridge();
    s = await startQuirkServer({});
    d = makeDirs('nodbus');
    // bridgeEnv() passes only a minimal environment: no DBUS_SESSION_BUS_ADDRESS, no DISPLAY.
    assert.equal(bridgeEnv().DBUS_SESSION_BUS_ADDRESS, undefined);
    env = { XDG_CONFIG_HOME: d.config, XDG_RUNTIME_DIR: d.runtime, BROWSER: BROWSER_SH, BROWSER_SH_LOG: d.browserLog };
  });
  after(async () => {
    await killAll();
    await s?.close();
    removeDirs();
  });

  test('status --token-store keychain fails clearly', async () => {
    const b = spawnRawBridge(['status', '--token-store', 'keychain'], { env });
    b.endStdin();
    const { code } = await b.waitExit(15000);
    assert.notEqual(code, 0, b.stderr());
    assert.match(b.stderr(), /keychain is not available/, b.stderr());
  });

  test('the relay with --token-store keychain fails clearly at start-up', async () => {
    const b = spawnRawBridge([s.url, '--token-store', 'keychain'], { env });
    b.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    const { code } = await b.waitExit(15000);
    assert.notEqual(code, 0, b.stderr());
    assert.match(b.stderr(), /--token-store keychain/, b.stderr());
    assert.match(b.stderr(), /keychain is not available/, b.stderr());
    assert.equal(s.stats.authorizations, 0);
  });

  test('the relay with --token-store keychain: no misleading "out of memory" line', async () => {
    const b = spawnRawBridge([s.url, '--token-store', 'keychain'], { env });
    b.endStdin();
    await b.waitExit(15000);
    assert.doesNotMatch(b.stderr(), /out of memory/, b.stderr());
  });

  test('the default store falls back to files, with a one-line note', async () => {
    const b = spawnRawBridge([s.url], { env });
    const init = await rawHandshake(b, { id: 0, timeoutMs: 30000 });
    assert.ok(init.result, `initialize: ${JSON.stringify(init)}\n${b.stderr()}\n${s.describe()}`);
    b.endStdin();
    await b.waitExit(10000);
    const notes = b.stderr().split('\n').filter((l) => /no OS keychain answered/.test(l));
    assert.equal(notes.length, 1, `exactly one note line:\n${b.stderr()}`);
    assert.ok(notes[0].includes(path.join(d.config, 'mcp-bridge', 'credentials')), notes[0]);
    assert.ok(storedTokenRecord(d)?.refresh_token, 'tokens stored in files');
    assert.equal(s.stats.authorizations, 1);
  });
});

// libsecret is loaded with dlopen() on first use: without it the bridge still
// starts, --token-store keychain says why, and the default store uses files.
// Hiding the library needs a private mount namespace (root and unshare).
function libsecretPath() {
  const r = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  const m = /libsecret-1\.so\.0 \([^)]*x86-64[^)]*\) => (\S+)/.exec(r.stdout ?? '') ??
    /libsecret-1\.so\.0 .*=> (\S+)/.exec(r.stdout ?? '');
  return m ? fs.realpathSync(m[1]) : null;
}
const LIB = libsecretPath();
const CAN_HIDE = process.getuid?.() === 0 && have('unshare') && LIB &&
  spawnSync('unshare', ['-m', 'true'], { stdio: 'ignore' }).status === 0;

describe('keychain: libsecret not installed', {
  skip: CAN_HIDE ? false : 'needs root, unshare and libsecret to hide (a private mount namespace)', timeout: 60000,
}, () => {
  let d;
  before(() => { d = makeDirs('nolibsecret'); });
  after(() => removeDirs());

  /** Runs `mcp-bridge ARGS` with libsecret's file replaced by /dev/null. */
  function withoutLibsecret(args) {
    const cmd = `mount --bind /dev/null "$1" && shift && exec "$@"`;
    return spawnSync('unshare', ['-m', 'sh', '-c', cmd, 'sh', LIB, requireBridge(), ...args], {
      encoding: 'utf8', timeout: 20000,
      // A bus address, so that the bridge gets as far as loading libsecret.
      env: bridgeEnv({ XDG_CONFIG_HOME: d.config, XDG_RUNTIME_DIR: d.runtime, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' }),
    });
  }

  test('--token-store keychain says libsecret is missing; the default store uses files', () => {
    const k = withoutLibsecret(['status', '--token-store', 'keychain']);
    assert.equal(k.status, 1, `${k.stdout}\n${k.stderr}`);
    assert.match(k.stderr, /keychain is not available: libsecret is not installed/, k.stderr);
    const f = withoutLibsecret(['status']);
    assert.equal(f.status, 0, `${f.stdout}\n${f.stderr}`);
    assert.match(f.stdout, new RegExp(`files in ${path.join(d.config, 'mcp-bridge', 'credentials').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), f.stdout);
  });
});
