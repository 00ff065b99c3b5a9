// Test harness for the mcp-bridge integration tests.
//
//  - bridgeBin(): path of the binary under test ($MCP_BRIDGE_BIN or build/mcp-bridge)
//  - startServer(kind, opts): an in-process test server on an ephemeral loopback port
//  - spawnServer(script, args): a test server as a child process ("LISTENING <url>")
//  - connectBridge(url, opts): the real stdio client path — SDK Client +
//    StdioClientTransport spawning the bridge — with raw stdout capture
//  - spawnRawBridge(args, opts): write raw bytes to the bridge's stdin, collect
//    stdout lines / stderr, wait for messages and exit
//
// Every wait is bounded; every child is tracked so killAll() can reap leftovers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CreateMessageRequestSchema, ElicitRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const TESTS_DIR = path.resolve(here, '..');
export const REPO_DIR = path.resolve(TESTS_DIR, '..');
export const SERVERS_DIR = path.join(TESTS_DIR, 'servers');

export function bridgeBin() {
  return process.env.MCP_BRIDGE_BIN || path.join(REPO_DIR, 'build', 'mcp-bridge');
}

/** Throws a clear error when the binary is missing (call in before()). */
export function requireBridge() {
  const bin = bridgeBin();
  if (!fs.existsSync(bin)) {
    throw new Error(`mcp-bridge binary not found at ${bin} (build it, or set MCP_BRIDGE_BIN)`);
  }
  return bin;
}

/** Env passed to the bridge: minimal, plus sanitizer knobs when present. */
export function bridgeEnv(extra = {}) {
  const env = {};
  for (const k of ['HOME', 'PATH', 'LANG', 'LC_ALL', 'TMPDIR', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS',
    'MSAN_OPTIONS', 'TSAN_OPTIONS']) {
    if (process.env[k] !== undefined) env[k] = process.env[k];
  }
  // Never let the test machine's proxy settings reroute loopback traffic.
  env.NO_PROXY = '*';
  env.no_proxy = '*';
  return { ...env, ...extra };
}

const children = new Set();

/** Kill every child this harness started and that is still running. */
export async function killAll() {
  const waits = [];
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      waits.push(new Promise((r) => c.once('exit', r)));
      try { c.kill('SIGKILL'); } catch { /* gone */ }
    }
  }
  children.clear();
  await Promise.race([Promise.all(waits), sleep(3000)]);
}

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves with { code, signal } once the child has exited and its stdout and stderr have
 * ended. Node may emit 'exit' before the last bytes of the pipes are read, so a caller that
 * reads stderr on 'exit' can see it empty; a grandchild holding the pipes open delays this
 * by at most 2 s.
 */
export function exitedAndDrained(child) {
  const ended = (s) => (!s || s.readableEnded || s.destroyed ? Promise.resolve()
    : new Promise((r) => { s.once('end', r); s.once('close', r); }));
  const drained = Promise.all([ended(child.stdout), ended(child.stderr)]);
  const exit = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return exit.then(async (info) => {
    let timer;
    await Promise.race([drained, new Promise((r) => { timer = setTimeout(r, 2000); })]);
    clearTimeout(timer);
    return info;
  });
}

export function withTimeout(promise, ms, what = 'operation') {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Poll fn() until truthy or ms elapse; returns the truthy value or throws. */
export async function waitUntil(fn, ms = 5000, what = 'condition', every = 25) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** Bytes a process has written through write(2) and its kin so far (/proc/PID/io wchar). */
export function bytesWritten(pid) {
  const m = /^wchar:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'));
  if (!m) throw new Error(`no wchar in /proc/${pid}/io`);
  return Number(m[1]);
}

/** True when no loopback TCP connection to or from `port` holds unread or unsent
 * bytes in the kernel (/proc/net/tcp{,6}: every tx_queue and rx_queue is 0). */
export function tcpQueuesEmpty(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try { text = fs.readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const [, local, remote, , queues] = line.trim().split(/\s+/);
      if (!queues || !(local.endsWith(`:${hex}`) || remote.endsWith(`:${hex}`))) continue;
      if (queues !== '00000000:00000000') return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------- servers

/** Start an in-process server: kind = 'streamable' | 'legacy-sse' | 'everything'. */
export async function startServer(kind, opts = {}) {
  switch (kind) {
    case 'streamable': {
      const { startStreamableServer } = await import('../servers/streamable.mjs');
      return startStreamableServer(opts);
    }
    case 'legacy-sse': {
      const { startLegacySseServer } = await import('../servers/legacy-sse.mjs');
      return startLegacySseServer(opts);
    }
    case 'everything': {
      const { startEverythingServer } = await import('../servers/everything.mjs');
      const srv = await startEverythingServer(opts);
      children.add(srv.child);
      srv.child.once('exit', () => children.delete(srv.child));
      return srv;
    }
    default:
      throw new Error(`unknown server kind ${kind}`);
  }
}

/** Spawn tests/servers/<script> as a child; resolves once it printed LISTENING. */
export async function spawnServer(script, args = [], { timeoutMs = 10000 } = {}) {
  const file = path.isAbsolute(script) ? script : path.join(SERVERS_DIR, script);
  // --exit-on-stdin-close: the server dies with us even if we are SIGKILLed.
  const child = track(spawn(process.execPath, [file, ...args, '--exit-on-stdin-close'], { stdio: ['pipe', 'pipe', 'pipe'] }));
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d.toString(); });
  const url = await withTimeout(new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        child.stdout.off('data', onData);
        const m = /^LISTENING (\S+)$/.exec(out.slice(0, nl).trim());
        if (m) resolve(m[1]); else reject(new Error(`unexpected first line from ${script}: ${out.slice(0, nl)}`));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before LISTENING: ${stderr}`)));
  }), timeoutMs, `${script} to print LISTENING`);
  child.stdout.resume();
  const exited = new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', r);
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    stderr: () => stderr,
    async stop(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await withTimeout(exited, 5000, `${script} to exit`).catch(() => {});
    },
  };
}

/** A loopback port that nothing listens on (bound, then released). */
export function freePortClosed(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- JSON-RPC checks

/** True when obj is one JSON-RPC 2.0 message (request, notification, or response). */
export function isJsonRpcMessage(obj) {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return false;
  if (obj.jsonrpc !== '2.0') return false;
  const idOk = (id) => typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
  if (typeof obj.method === 'string') {
    return obj.id === undefined || idOk(obj.id);
  }
  const hasResult = 'result' in obj;
  const hasError = 'error' in obj;
  if (hasResult === hasError) return false;
  if (hasError) {
    const e = obj.error;
    if (!e || typeof e !== 'object' || !Number.isInteger(e.code) || typeof e.message !== 'string') return false;
    return obj.id === null || idOk(obj.id);
  }
  return idOk(obj.id);
}

/** Throws unless every line is a JSON-RPC message; returns the parsed messages. */
export function assertAllJsonRpc(lines, context = 'stdout') {
  const out = [];
  lines.forEach((line, i) => {
    let m;
    try {
      m = JSON.parse(line);
    } catch {
      throw new Error(`${context} line ${i + 1} is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
    }
    if (!isJsonRpcMessage(m)) {
      throw new Error(`${context} line ${i + 1} is not a JSON-RPC 2.0 message: ${line.slice(0, 300)}`);
    }
    out.push(m);
  });
  return out;
}

// ---------------------------------------------------------------- stdio client

/**
 * Keep the lines a StdioClientTransport's child writes to stdout, exactly as written,
 * beside the SDK's own parsing (either SDK's transport). Call before the transport starts;
 * onProcess(child) runs once it has. Returns { lines, partial } (partial: bytes after the
 * last newline, which should stay empty).
 */
export function tapStdoutLines(transport, onProcess) {
  const tap = { lines: [], partial: '' };
  const origStart = transport.start.bind(transport);
  transport.start = async () => {
    await origStart();
    const proc = transport._process;
    onProcess?.(proc);
    proc.stdout.on('data', (d) => {
      tap.partial += d.toString('utf8');
      let nl;
      while ((nl = tap.partial.indexOf('\n')) >= 0) {
        tap.lines.push(tap.partial.slice(0, nl).replace(/\r$/, ''));
        tap.partial = tap.partial.slice(nl + 1);
      }
    });
  };
  return tap;
}

export const DEFAULT_CLIENT_CAPS = { elicitation: { form: {} }, sampling: {} };

/**
 * Spawn the bridge through the SDK's StdioClientTransport and connect a Client.
 * opts: args (extra CLI args), env (extra env), capabilities, clientInfo,
 *       onElicit(request) / onSample(request) handlers, connectTimeoutMs.
 * Returns { client, transport, pid, stderr(), lines, messages, errors, notifications,
 *           exit (Promise<{code, signal}>), close() }.
 */
export async function connectBridge(url, opts = {}) {
  const bin = requireBridge();
  const transport = new StdioClientTransport({
    command: bin,
    args: [url, ...(opts.args ?? [])],
    env: bridgeEnv(opts.env),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d.toString(); });

  let exitResolve;
  const exit = new Promise((r) => { exitResolve = r; });
  let proc;
  const { lines } = tapStdoutLines(transport, (p) => { // raw stdout lines, exactly as written
    proc = p;
    track(proc);
    exitedAndDrained(proc).then(exitResolve);
  });

  const client = new Client(
    opts.clientInfo ?? { name: 'bridge-integration-test', version: '1.0.0' },
    { capabilities: opts.capabilities ?? DEFAULT_CLIENT_CAPS },
  );
  const errors = [];
  client.onerror = (e) => { errors.push(e); };
  const notifications = [];
  client.fallbackNotificationHandler = async (n) => { notifications.push(n); };

  const caps = opts.capabilities ?? DEFAULT_CLIENT_CAPS;
  if (caps.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (req) =>
      (opts.onElicit ? opts.onElicit(req) : { action: 'accept', content: { name: 'bridge-tester' } }));
  }
  if (caps.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (req) =>
      (opts.onSample ? opts.onSample(req) : {
        role: 'assistant', model: 'test-model', stopReason: 'endTurn',
        content: { type: 'text', text: 'sampled answer' },
      }));
  }

  const handle = {
    client,
    transport,
    get pid() { return proc?.pid; },
    get proc() { return proc; },
    stderr: () => stderr,
    lines,
    errors,
    notifications,
    exit,
    /** Parsed stdout messages so far. */
    messages: () => lines.map((l) => { try { return JSON.parse(l); } catch { return { __unparseable: l }; } }),
    async close() {
      try { await withTimeout(client.close(), 8000, 'client.close()'); } catch { /* fall through */ }
      if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
  try {
    await withTimeout(client.connect(transport, { timeout: opts.connectTimeoutMs ?? 15000 }),
      (opts.connectTimeoutMs ?? 15000) + 1000, `bridge initialize via ${url}`);
  } catch (e) {
    await handle.close();
    e.message += `\n--- bridge stderr ---\n${stderr.slice(-3000)}`;
    throw e;
  }
  return handle;
}

/** Progress values relayed on stdout for the tools/call whose result text is
 * `text`, and whether they all came before that result. (The SDK client runs
 * notification handlers a microtask after responses, so a progress line read in
 * the same chunk as its result is dropped by the client; stdout is the truth.) */
export function progressOnStdout(h, text) {
  const msgs = h.lines.map((l) => JSON.parse(l));
  const ri = msgs.findIndex((m) => m.result?.content?.[0]?.text === text);
  if (ri < 0) throw new Error(`result ${text} not on stdout`);
  const id = msgs[ri].id;
  const idx = [];
  msgs.forEach((m, i) => {
    if (m.method === 'notifications/progress' && m.params.progressToken === id) idx.push(i);
  });
  return { progress: idx.map((i) => msgs[i].params.progress), beforeResult: idx.every((i) => i < ri) };
}

/** tools/call with a bounded timeout; returns the result. */
export function callTool(client, name, args = {}, { timeout = 15000, onprogress } = {}) {
  return client.callTool({ name, arguments: args }, undefined, { timeout, onprogress, resetTimeoutOnProgress: false });
}

/** Text of the first content block of a CallToolResult. */
export function resultText(r) {
  return r?.content?.find((c) => c.type === 'text')?.text;
}

// ---------------------------------------------------------------- raw spawner

/**
 * Spawn the bridge with raw stdio. args: full argv (URL included).
 * Returns { child, lines, stderr(), send(obj), sendLine(str), write(buf), endStdin(),
 *           waitFor(pred, ms, what), waitForId(id, ms), waitStderr(re, ms, from), waitExit(ms), kill() }.
 */
export function spawnRawBridge(args, opts = {}) {
  const bin = opts.bin ?? requireBridge();
  // opts.stdinFd: a descriptor the bridge reads as its stdin (a file), instead of a pipe.
  const child = track(spawn(bin, args, { env: bridgeEnv(opts.env), stdio: [opts.stdinFd ?? 'pipe', 'pipe', 'pipe'] }));
  const lines = [];
  let stdoutBuf = Buffer.alloc(0);
  let stderr = '';
  const waiters = [];
  const check = () => {
    for (const w of [...waiters]) {
      const hit = lines.map(parseLine).find((m) => m !== undefined && w.pred(m));
      if (hit !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(hit);
      }
    }
  };
  child.stdout.on('data', (d) => {
    stdoutBuf = Buffer.concat([stdoutBuf, d]);
    let nl;
    while ((nl = stdoutBuf.indexOf(0x0a)) >= 0) {
      lines.push(stdoutBuf.subarray(0, nl).toString('utf8').replace(/\r$/, ''));
      stdoutBuf = stdoutBuf.subarray(nl + 1);
    }
    check();
  });
  child.stderr.on('data', (d) => { stderr += d.toString(); });
  child.stdin?.on('error', () => { /* EPIPE when the bridge exits first */ });
  let exitInfo = null;
  child.once('exit', (code, signal) => { exitInfo = { code, signal }; });
  const exited = exitedAndDrained(child);
  const spawned = new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });

  return {
    child,
    lines,
    spawned,
    stderr: () => stderr,
    /** Bytes written to stdout after the last newline (should stay empty). */
    partial: () => stdoutBuf.toString('utf8'),
    get exitInfo() { return exitInfo; },
    messages: () => lines.map(parseLine),
    send(obj) { child.stdin.write(JSON.stringify(obj) + '\n'); },
    sendLine(str) { child.stdin.write(str + '\n'); },
    write(buf) { child.stdin.write(buf); },
    endStdin() { child.stdin.end(); },
    waitFor(pred, ms = 10000, what = 'a matching stdout message') {
      const hit = lines.map(parseLine).find((m) => m !== undefined && pred(m));
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`timed out after ${ms} ms waiting for ${what}; stdout so far:\n${lines.join('\n').slice(-2000)}\nstderr:\n${stderr.slice(-2000)}`));
        }, ms);
        waiters.push(w);
      });
    },
    waitForId(id, ms = 10000) {
      return this.waitFor((m) => m && typeof m === 'object' && m.id === id && ('result' in m || 'error' in m), ms,
        `response id ${JSON.stringify(id)}`);
    },
    /** Resolves with stderr once it matches re (looking from byte `from` on). */
    waitStderr(re, ms = 10000, from = 0) {
      return waitUntil(() => re.test(stderr.slice(from)) && stderr, ms, `stderr to match ${re}`).catch((e) => {
        e.message += `; stderr:\n${stderr.slice(-2000)}`;
        throw e;
      });
    },
    waitExit(ms = 5000) {
      return withTimeout(exited, ms, `bridge exit (args ${JSON.stringify(args)})`);
    },
    kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

function parseLine(l) {
  try { return JSON.parse(l); } catch { return { __unparseable: l }; }
}

/** Run the bridge to completion with no stdin (for CLI usage tests). */
export async function runBridge(args, { env, timeoutMs = 5000, stdin = '' } = {}) {
  const b = spawnRawBridge(args, { env });
  await b.spawned.catch(() => {});
  if (stdin) b.write(stdin);
  b.endStdin();
  try {
    const { code, signal } = await b.waitExit(timeoutMs);
    return { code, signal, stdout: b.lines.join('\n') + b.partial(), stderr: b.stderr() };
  } finally {
    b.kill();
  }
}

/** A standard initialize request for raw tests. */
export function initializeRequest(id = 0, protocolVersion = '2025-06-18') {
  return {
    jsonrpc: '2.0', id, method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } },
  };
}

/** Initialize over a raw bridge (request + initialized notification); returns the result message. */
export async function rawHandshake(b, { id = 0, protocolVersion, timeoutMs = 10000 } = {}) {
  b.send(initializeRequest(id, protocolVersion));
  const r = await b.waitForId(id, timeoutMs);
  if (r.result) b.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return r;
}
