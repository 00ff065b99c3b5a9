// Helpers for the OAuth command / instance / headless / keychain tests:
// private XDG directories per test, the bridge's env with the headless browser,
// CLI runs of the subcommands, raw stdio sessions, and leak checks on files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  rawHandshake, runBridge, spawnRawBridge, TESTS_DIR,
} from './harness.mjs';

export const BROWSER_SH = path.join(TESTS_DIR, 'conformance', 'browser.sh');

const made = [];

/** A fresh XDG_CONFIG_HOME and XDG_RUNTIME_DIR (mode 0700) plus a log directory. */
export function makeDirs(label = 'oauth') {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `mcp-bridge-${label}-`));
  const d = {
    root,
    config: path.join(root, 'config'),
    runtime: path.join(root, 'runtime'),
    logs: path.join(root, 'logs'),
  };
  for (const p of [d.config, d.runtime, d.logs]) fs.mkdirSync(p, { mode: 0o700 });
  d.browserLog = path.join(d.logs, 'browser.log');
  made.push(root);
  return d;
}

/** Remove every directory makeDirs() created (call in after()). */
export function removeDirs() {
  for (const r of made.splice(0)) {
    try { fs.rmSync(r, { recursive: true, force: true }); } catch { /* ignore */ }
  }
}

/** The bridge's env for these directories: headless browser, private XDG dirs. */
export function envFor(d, extra = {}) {
  return {
    XDG_CONFIG_HOME: d.config,
    XDG_RUNTIME_DIR: d.runtime,
    BROWSER: BROWSER_SH,
    BROWSER_SH_LOG: d.browserLog,
    ...extra,
  };
}

export function browserLog(d) {
  try { return fs.readFileSync(d.browserLog, 'utf8'); } catch { return ''; }
}

/** Run `mcp-bridge <args...>` to completion; returns { code, stdout, stderr }. */
export function cli(d, args, { env = {}, timeoutMs = 30000, stdin = '' } = {}) {
  return runBridge(args, { env: envFor(d, env), timeoutMs, stdin });
}

/** Every regular file under dir, recursively: [{ file, text }]. */
export function filesUnder(dir) {
  const out = [];
  const walk = (p) => {
    let st;
    try { st = fs.lstatSync(p); } catch { return; }
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
    else if (st.isFile()) out.push({ file: p, text: fs.readFileSync(p, 'latin1') });
  };
  walk(dir);
  return out;
}

/** Files under dir containing any of the given strings: [{ file, secret }]. */
export function filesContaining(dir, strings) {
  const hits = [];
  for (const { file, text } of filesUnder(dir)) {
    for (const s of strings) if (s && text.includes(s)) hits.push({ file, secret: `${s.slice(0, 6)}...` });
  }
  return hits;
}

/** The parsed stored documents under <config>/mcp-bridge/credentials (file store). */
export function storedDocs(d) {
  const dir = path.join(d.config, 'mcp-bridge', 'credentials');
  if (!fs.existsSync(dir)) return [];
  // A bridge may be writing meanwhile: skip its NAME.tmp files and any file
  // renamed away between listing and reading.
  return fs.readdirSync(dir).filter((name) => !name.endsWith('.tmp')).map((name) => {
    let text;
    try {
      text = fs.readFileSync(path.join(dir, name), 'utf8');
    } catch (e) {
      if (e.code === 'ENOENT') return null;
      throw e;
    }
    try {
      const j = JSON.parse(text);
      return { name, doc: typeof j.secret === 'string' ? JSON.parse(j.secret) : j };
    } catch {
      return { name, doc: undefined };
    }
  }).filter(Boolean);
}

/** The stored token record (file store) or undefined. */
export function storedTokenRecord(d) {
  return storedDocs(d).map((x) => x.doc).find((x) => x && (x.access_token || x.refresh_token));
}

/** Start a raw bridge and do the initialize handshake. */
export async function rawSession(url, d, { args = [], env = {}, timeoutMs = 30000 } = {}) {
  const b = spawnRawBridge([url, ...args], { env: envFor(d, env) });
  const init = await rawHandshake(b, { id: 0, timeoutMs });
  return { b, init };
}

/** POST an initialize straight to the MCP server with this bearer token; returns the HTTP status. */
export async function probeWithToken(url, token) {
  const r = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'probe', version: '1' } },
    }),
  });
  await r.arrayBuffer().catch(() => {});
  return r.status;
}
