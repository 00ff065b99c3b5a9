// Shared plumbing for the test servers: CLI parsing, body reading, a request
// recorder, listen/stop with connection tracking. No stdout output here.
import http from 'node:http';

/** Parse `--port N --host H --flag --key value` into an object. Flags without a
 * value become true. Numbers stay strings; callers convert. */
export function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) {
      out[a.slice(2, eq)] = a.slice(eq + 1);
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      out[a.slice(2)] = argv[++i];
    } else {
      out[a.slice(2)] = true;
    }
  }
  return out;
}

/** Read a request body fully (bounded). Resolves to a Buffer, or null when over limit. */
export function readBody(req, limit = 64 * 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    let over = false;
    req.on('data', (c) => {
      n += c.length;
      if (n > limit) over = true;
      if (!over) chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('request aborted')));
  });
}

export function sendJson(res, status, obj, extraHeaders = {}) {
  if (res.headersSent) {
    try { res.end(); } catch { /* ignore */ }
    return;
  }
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', ...extraHeaders });
  res.end(body);
}

export function rpcError(code, message, id = null) {
  return { jsonrpc: '2.0', error: { code, message }, id };
}

/** Summarise a JSON-RPC body for the request log. */
export function summarize(body) {
  const msgs = Array.isArray(body) ? body : [body];
  return msgs.map((m) => {
    if (!m || typeof m !== 'object') return { kind: 'invalid' };
    if (m.method !== undefined) {
      return { kind: m.id !== undefined ? 'request' : 'notification', method: m.method, id: m.id };
    }
    if ('result' in m || 'error' in m) return { kind: 'response', id: m.id, error: m.error ?? undefined };
    return { kind: 'invalid' };
  });
}

/** An append-only request log with a waiter. */
export class RequestLog {
  constructor() {
    this.entries = [];
    this._waiters = [];
  }
  push(e) {
    this.entries.push(e);
    this._notify();
  }
  _notify() {
    for (const w of [...this._waiters]) {
      const hit = this.entries.find(w.pred);
      if (hit) {
        clearTimeout(w.timer);
        this._waiters.splice(this._waiters.indexOf(w), 1);
        w.resolve(hit);
      }
    }
  }
  /** Call after mutating an entry in place (e.g. when its response finished). */
  touch() { this._notify(); }
  find(pred) { return this.entries.find(pred); }
  filter(pred) { return this.entries.filter(pred); }
  clear() { this.entries.length = 0; }
  /** Resolve with the first entry matching pred (now or later); reject after ms. */
  waitFor(pred, ms = 5000, what = 'request') {
    const hit = this.entries.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        this._waiters.splice(this._waiters.indexOf(w), 1);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      w.timer.unref?.();
      this._waiters.push(w);
    });
  }
}

/** Create an http.Server that tracks sockets so stop() is immediate. */
export function createTrackedServer(handler) {
  const server = http.createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err) => {
        if (process.env.TEST_SERVER_DEBUG) console.error('handler error:', err);
        try {
          if (!res.headersSent) sendJson(res, 500, rpcError(-32603, 'Internal server error: ' + String(err?.message ?? err)));
          else res.end();
        } catch { /* ignore */ }
      });
  });
  server.on('clientError', (err, socket) => {
    try { socket.destroy(); } catch { /* ignore */ }
  });
  // Long SSE streams must not be cut by Node's default timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

export function listen(server, port = 0, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const onErr = (e) => reject(e);
    server.once('error', onErr);
    server.listen(port, host, () => {
      server.off('error', onErr);
      resolve(server.address().port);
    });
  });
}

export function closeServer(server) {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

export function hostForUrl(host) {
  return host.includes(':') ? `[${host}]` : host;
}

export const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener?.('abort', () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    }, { once: true });
  });

/** Standalone entry point helper: start, print LISTENING, stop on signals. */
export async function runStandalone(start, argv) {
  const args = parseArgs(argv);
  process.on('unhandledRejection', (e) => {
    if (process.env.TEST_SERVER_DEBUG) console.error('unhandledRejection:', e);
  });
  const srv = await start({ ...args, port: Number(args.port ?? 0), host: args.host ?? '127.0.0.1' });
  process.stdout.write(`LISTENING ${srv.url}\n`);
  const shutdown = async () => {
    await srv.stop().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (args['exit-on-stdin-close']) {
    // Spawned by a test runner: die with it.
    process.stdin.on('end', shutdown);
    process.stdin.on('error', shutdown);
    process.stdin.resume();
  }
  return srv;
}
