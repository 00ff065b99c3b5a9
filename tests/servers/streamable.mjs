// A Streamable HTTP MCP server (SDK McpServer + StreamableHTTPServerTransport)
// with knobs for the mcp-bridge integration tests.
//
// Standalone: node tests/servers/streamable.mjs --port 0 [--json] [--stateless]
//             [--no-event-store] [--retry-ms N] [--path /mcp] [--host 127.0.0.1]
// prints "LISTENING <url>" as its first stdout line and nothing else on stdout.
//
// Importable: const srv = await startStreamableServer({ json, stateless, ... })
//   srv.url, srv.port, srv.stop(), srv.log (RequestLog), srv.deletes,
//   srv.expireSessions(), srv.injectFault(f), srv.sessions (Map), srv.waitGetOpen()
//
// Admin endpoints (for standalone use):
//   POST /admin/expire       -> drop every session (next request with it gets 404)
//   POST /admin/fault        -> body = fault object (see injectFault)
//   GET  /admin/log          -> JSON { requests: [...], deletes: [...] }
//   GET  /admin/sessions     -> JSON [{ id, getOpen }]
//
// Tools: echo, add, slow, big, elicit, sample, notify, ping_client, drop_get,
//        headers, expire_sessions, poll, fail.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  RequestLog, closeServer, createTrackedServer, hostForUrl, listen, readBody, rpcError,
  runStandalone, sendJson, sleep, summarize,
} from './util.mjs';

/** Deterministic text of exactly n UTF-16 units (all ASCII, so also n bytes),
 * with quotes, backslashes, tabs and newlines to exercise JSON escaping. */
export function bigText(n) {
  const parts = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const line = `${String(i).padStart(8, '0')} "quick" brown\\fox\tjumps over the lazy dog\n`;
    parts.push(line);
    len += line.length;
  }
  return parts.join('').slice(0, n);
}

/** Minimal event store for resumability; ids are "<counter>", stream known per id. */
export class EventStore {
  constructor() {
    this.events = []; // { id, streamId, message }
    this.byId = new Map();
    this.n = 0;
  }
  async storeEvent(streamId, message) {
    const id = `ev${++this.n}`;
    const e = { id, streamId, message };
    this.events.push(e);
    this.byId.set(id, e);
    return id;
  }
  async getStreamIdForEventId(eventId) {
    return this.byId.get(eventId)?.streamId;
  }
  async replayEventsAfter(lastEventId, { send }) {
    const start = this.byId.get(lastEventId);
    if (!start) return '';
    const idx = this.events.indexOf(start);
    for (const e of this.events.slice(idx + 1)) {
      if (e.streamId !== start.streamId) continue;
      // Priming events are stored as {}: nothing to replay.
      if (!e.message || e.message.jsonrpc === undefined) continue;
      await send(e.id, e.message);
    }
    return start.streamId;
  }
}

const text = (t) => ({ content: [{ type: 'text', text: t }] });

function buildMcpServer(ctx) {
  const mcp = new McpServer(
    { name: 'bridge-test-streamable', version: '1.0.0' },
    { capabilities: { logging: {}, tools: { listChanged: true } } },
  );

  mcp.registerTool('echo', {
    description: 'Echo the message back',
    inputSchema: { message: z.string() },
  }, async ({ message }) => text(message));

  mcp.registerTool('add', {
    description: 'Add two numbers',
    inputSchema: { a: z.number(), b: z.number() },
  }, async ({ a, b }) => text(String(a + b)));

  mcp.registerTool('slow', {
    description: 'Sleep ms milliseconds in steps, sending progress notifications',
    inputSchema: {
      ms: z.number().int().min(0).max(60000).default(1000),
      steps: z.number().int().min(1).max(1000).default(5),
      tag: z.string().optional(),
    },
  }, async ({ ms, steps, tag }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= steps; i++) {
      await sleep(ms / steps, extra.signal);
      if (token !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: i, total: steps, message: `step ${i}/${steps}` },
        });
      }
    }
    return text(tag === undefined ? `slept ${ms}` : `slept ${ms} ${tag}`);
  });

  mcp.registerTool('big', {
    description: 'Return a text result of exactly `bytes` ASCII bytes (see bigText)',
    inputSchema: { bytes: z.number().int().min(0).max(64 * 1024 * 1024) },
  }, async ({ bytes }) => text(bigText(bytes)));

  mcp.registerTool('elicit', {
    description: 'Ask the client for input (elicitation/create) and return its answer as JSON',
    inputSchema: { message: z.string().default('What is your name?'), via: z.enum(['post', 'get']).default('post') },
  }, async ({ message, via }, extra) => {
    const opts = { timeout: 20000 };
    if (via === 'post') opts.relatedRequestId = extra.requestId;
    const r = await mcp.server.elicitInput({
      message,
      requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    }, opts);
    return text(JSON.stringify(r));
  });

  mcp.registerTool('sample', {
    description: 'Ask the client to sample (sampling/createMessage) and return its answer as JSON',
    inputSchema: { prompt: z.string().default('Say hi'), via: z.enum(['post', 'get']).default('post') },
  }, async ({ prompt, via }, extra) => {
    const opts = { timeout: 20000 };
    if (via === 'post') opts.relatedRequestId = extra.requestId;
    const r = await mcp.server.createMessage({
      messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
      maxTokens: 64,
    }, opts);
    return text(JSON.stringify(r));
  });

  mcp.registerTool('ping_client', {
    description: 'Send a ping request to the client and report the result',
    inputSchema: { via: z.enum(['post', 'get']).default('post') },
  }, async ({ via }, extra) => {
    const opts = { timeout: 20000 };
    if (via === 'post') opts.relatedRequestId = extra.requestId;
    await mcp.server.request({ method: 'ping' }, z.object({}).passthrough(), opts);
    return text('pong');
  });

  mcp.registerTool('notify', {
    description: 'Send notifications/message and notifications/tools/list_changed on the GET stream. ' +
      'Waits up to waitForGetMs for the session\'s GET stream; with afterMs, returns first and sends later.',
    inputSchema: {
      data: z.string().default('hello from notify'),
      waitForGetMs: z.number().int().min(0).max(30000).default(5000),
      afterMs: z.number().int().min(0).max(30000).default(0),
    },
  }, async ({ data, waitForGetMs, afterMs }, extra) => {
    const sid = extra.sessionId;
    const send = async () => {
      const deadline = Date.now() + waitForGetMs;
      while (!ctx.isGetOpen(sid) && Date.now() < deadline) await sleep(20);
      const open = ctx.isGetOpen(sid);
      try {
        await mcp.server.sendLoggingMessage({ level: 'info', logger: 'notify', data }, sid);
        await mcp.server.sendToolListChanged();
      } catch { /* session gone */ }
      return open;
    };
    if (afterMs > 0) {
      setTimeout(() => { send().catch(() => {}); }, afterMs);
      return text(JSON.stringify({ scheduled: true }));
    }
    const open = await send();
    return text(JSON.stringify({ getOpen: open }));
  });

  mcp.registerTool('drop_get', {
    description: 'Send a logging message on the GET stream, close that stream, then send `missed` more ' +
      'logging messages while it is down; a client that resumes with Last-Event-ID gets them replayed',
    inputSchema: { missed: z.number().int().min(0).max(100).default(2), waitForGetMs: z.number().int().min(0).max(30000).default(5000) },
  }, async ({ missed, waitForGetMs }, extra) => {
    const sid = extra.sessionId;
    const deadline = Date.now() + waitForGetMs;
    while (!ctx.isGetOpen(sid) && Date.now() < deadline) await sleep(20);
    if (!ctx.isGetOpen(sid)) return text(JSON.stringify({ getOpen: false }));
    await mcp.server.sendLoggingMessage({ level: 'info', logger: 'drop_get', data: 'before-drop' }, sid);
    await sleep(100);
    ctx.closeGet(sid);
    for (let i = 1; i <= missed; i++) {
      await mcp.server.sendLoggingMessage({ level: 'info', logger: 'drop_get', data: `missed-${i}` }, sid);
    }
    return text(JSON.stringify({ getOpen: true, missed }));
  });

  mcp.registerTool('headers', {
    description: 'Return the HTTP request headers of this tools/call as JSON',
    inputSchema: {},
  }, async (_args, extra) => text(JSON.stringify(extra.requestInfo?.headers ?? {})));

  mcp.registerTool('expire_sessions', {
    description: 'Drop every session shortly after answering; the next request with an old id gets 404',
    inputSchema: { delayMs: z.number().int().min(0).max(10000).default(100) },
  }, async ({ delayMs }) => {
    setTimeout(() => { ctx.expireSessions().catch(() => {}); }, delayMs);
    return text('expiring');
  });

  mcp.registerTool('poll', {
    description: 'Close this request\'s SSE stream (2025-11-25 polling) after a progress event, ' +
      'then answer after ms; the client must resume with GET + Last-Event-ID',
    inputSchema: { ms: z.number().int().min(0).max(30000).default(500) },
  }, async ({ ms }, extra) => {
    const token = extra._meta?.progressToken;
    if (token !== undefined) {
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2 } });
    }
    const closed = typeof extra.closeSSEStream === 'function';
    if (closed) extra.closeSSEStream();
    await sleep(ms);
    if (token !== undefined) {
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 2, total: 2 } });
    }
    return text(JSON.stringify({ closedStream: closed }));
  });

  mcp.registerTool('fail', {
    description: 'Throw; the result has isError true',
    inputSchema: { message: z.string().default('requested failure') },
  }, async ({ message }) => { throw new Error(message); });

  mcp.registerResource('greeting', 'test://greeting', { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'hello resource' }] }));

  mcp.registerPrompt('greet', { description: 'Greet someone', argsSchema: { name: z.string() } },
    ({ name }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Hello, ${name}!` } }] }));

  return mcp;
}

function isInitialize(body) {
  const msgs = Array.isArray(body) ? body : [body];
  return msgs.some((m) => m && typeof m === 'object' && m.method === 'initialize');
}

/**
 * Options: port (0), host ('127.0.0.1'), path ('/mcp'), json (enableJsonResponse),
 * stateless, eventStore (default true; 'no-event-store' flag disables), retryMs.
 */
export async function startStreamableServer(opts = {}) {
  const host = opts.host ?? '127.0.0.1';
  const mcpPath = opts.path ?? '/mcp';
  const json = !!opts.json;
  const stateless = !!opts.stateless;
  const useEventStore = opts.eventStore !== false && !opts['no-event-store'];
  const retryMs = opts.retryMs ?? (opts['retry-ms'] !== undefined ? Number(opts['retry-ms']) : 200);

  const log = new RequestLog();
  const deletes = [];
  const sessions = new Map(); // sid -> { transport, mcp, getOpen, createdAt }
  const faults = [];
  let sessionsCreated = 0;

  const ctx = {
    isGetOpen: (sid) => (sessions.get(sid)?.getOpen ?? 0) > 0,
    closeGet: (sid) => sessions.get(sid)?.transport._webStandardTransport?.closeStandaloneSSEStream?.(),
    expireSessions,
  };

  async function expireSessions() {
    const all = [...sessions.values()];
    sessions.clear();
    for (const s of all) {
      try { await s.transport.close(); } catch { /* ignore */ }
    }
    return all.length;
  }

  /** Fault for the next matching POST: { match: 'tools/call' (method; '*' any),
   *  status, body, contentType } | { match, kind: 'malformed' | 'reset' | 'hang' }
   *  | { match, kind: 'pretty-json' | 'sse-multiline', text } (a valid canned result) */
  function injectFault(f) {
    faults.push({ match: 'tools/call', ...f });
  }

  async function newSession() {
    const mcp = buildMcpServer(ctx);
    let transport;
    const s = { mcp, transport: null, getOpen: 0, createdAt: Date.now() };
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: json,
      eventStore: useEventStore ? new EventStore() : undefined,
      retryInterval: retryMs,
      onsessioninitialized: (sid) => {
        sessions.set(sid, s);
        sessionsCreated++;
      },
    });
    transport.onerror = () => {};
    s.transport = transport;
    mcp.server.onerror = () => {};
    await mcp.connect(transport);
    return s;
  }

  async function handleMcp(req, res, entry) {
    const sid = req.headers['mcp-session-id'];
    if (req.method === 'POST') {
      const raw = await readBody(req);
      if (raw === null) return sendJson(res, 413, rpcError(-32000, 'body too large'));
      let body;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        entry.rpc = [{ kind: 'unparseable' }];
        return sendJson(res, 400, rpcError(-32700, 'Parse error'));
      }
      entry.rpc = summarize(body);
      entry.bodySize = raw.length;
      const init = (Array.isArray(body) ? body : [body]).find((m) => m && m.method === 'initialize');
      if (init) entry.initParams = init.params;
      log.touch();

      const methods = entry.rpc.map((m) => m.method).filter(Boolean);
      const fi = faults.findIndex((f) => f.match === '*' || methods.includes(f.match));
      if (fi >= 0) {
        const f = faults.splice(fi, 1)[0];
        entry.fault = f;
        if (f.kind === 'reset') { req.socket.destroy(); return; }
        if (f.kind === 'hang') { return; }
        const reqMsg = (Array.isArray(body) ? body : [body]).find((m) => m && m.id !== undefined && m.method);
        const canned = { jsonrpc: '2.0', id: reqMsg?.id ?? null, result: { content: [{ type: 'text', text: f.text ?? 'canned' }] } };
        if (f.kind === 'pretty-json') {
          // A valid JSON-RPC response spread over many lines.
          const extra = sid ? { 'mcp-session-id': sid } : {};
          res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', ...extra });
          return res.end(JSON.stringify(canned, null, 2) + '\n');
        }
        if (f.kind === 'sse-multiline') {
          // One event whose JSON is split over several data: lines, CRLF line
          // endings, a comment, a retry field, and an event with no data first.
          const extra = sid ? { 'mcp-session-id': sid } : {};
          res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', ...extra });
          const lines = JSON.stringify(canned, null, 2).split('\n');
          res.write(': a comment\r\nretry: 1000\r\n\r\n');
          res.write('event: message\r\nid: x1\r\n' + lines.map((l) => `data: ${l}`).join('\r\n') + '\r\n\r\n');
          return res.end();
        }
        if (f.kind === 'malformed') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          return res.end('{"jsonrpc": "2.0", "result": {oops');
        }
        res.writeHead(f.status ?? 500, { 'Content-Type': f.contentType ?? 'text/plain' });
        return res.end(f.body ?? 'injected failure');
      }

      if (stateless) {
        const mcp = buildMcpServer(ctx);
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: json });
        transport.onerror = () => {};
        mcp.server.onerror = () => {};
        res.on('close', () => { transport.close().catch(() => {}); mcp.close().catch(() => {}); });
        await mcp.connect(transport);
        await transport.handleRequest(req, res, body);
        return;
      }
      if (sid) {
        const s = sessions.get(sid);
        if (!s) return sendJson(res, 404, rpcError(-32001, 'Session not found'));
        await s.transport.handleRequest(req, res, body);
        return;
      }
      if (!isInitialize(body)) {
        return sendJson(res, 400, rpcError(-32000, 'Bad Request: Mcp-Session-Id header is required'));
      }
      const s = await newSession();
      await s.transport.handleRequest(req, res, body);
      return;
    }

    if (req.method === 'GET') {
      if (stateless) return sendJson(res, 405, rpcError(-32000, 'Method not allowed'), { Allow: 'POST' });
      if (!sid) return sendJson(res, 400, rpcError(-32000, 'Bad Request: Mcp-Session-Id header is required'));
      const s = sessions.get(sid);
      if (!s) return sendJson(res, 404, rpcError(-32001, 'Session not found'));
      entry.lastEventId = req.headers['last-event-id'] ?? null;
      const origWriteHead = res.writeHead;
      let counted = false;
      res.writeHead = function (status, ...rest) {
        if (status === 200 && !counted) {
          counted = true;
          s.getOpen++;
          entry.streamOpen = true;
          log.touch();
        }
        return origWriteHead.call(this, status, ...rest);
      };
      res.on('close', () => {
        if (counted) { s.getOpen--; counted = false; entry.streamClosedAt = Date.now(); }
      });
      await s.transport.handleRequest(req, res);
      return;
    }

    if (req.method === 'DELETE') {
      const rec = { sessionId: sid ?? null, headers: { ...req.headers }, time: Date.now(), known: !!(sid && sessions.has(sid)) };
      deletes.push(rec);
      log.touch();
      if (stateless) return sendJson(res, 405, rpcError(-32000, 'Method not allowed'), { Allow: 'POST' });
      if (!sid) return sendJson(res, 400, rpcError(-32000, 'Bad Request: Mcp-Session-Id header is required'));
      const s = sessions.get(sid);
      if (!s) return sendJson(res, 404, rpcError(-32001, 'Session not found'));
      sessions.delete(sid);
      await s.transport.handleRequest(req, res);
      return;
    }

    res.writeHead(405, { Allow: 'GET, POST, DELETE', 'Content-Type': 'text/plain' });
    res.end('method not allowed');
  }

  async function handleAdmin(req, res, url) {
    if (req.method === 'POST' && url.pathname === '/admin/expire') {
      const n = await expireSessions();
      return sendJson(res, 200, { expired: n });
    }
    if (req.method === 'POST' && url.pathname === '/admin/fault') {
      const raw = await readBody(req);
      try {
        injectFault(JSON.parse(raw.toString('utf8') || '{}'));
      } catch {
        return sendJson(res, 400, { error: 'bad fault json' });
      }
      return sendJson(res, 200, { ok: true });
    }
    if (req.method === 'GET' && url.pathname === '/admin/log') {
      return sendJson(res, 200, { requests: log.entries.filter((e) => !e.path.startsWith('/admin/')), deletes });
    }
    if (req.method === 'GET' && url.pathname === '/admin/sessions') {
      return sendJson(res, 200, [...sessions.entries()].map(([id, s]) => ({ id, getOpen: s.getOpen })));
    }
    return sendJson(res, 404, { error: 'no such admin endpoint' });
  }

  const server = createTrackedServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const entry = {
      time: Date.now(), method: req.method, path: url.pathname, search: url.search,
      headers: { ...req.headers }, sessionId: req.headers['mcp-session-id'] ?? null, rpc: null, status: null,
    };
    if (!url.pathname.startsWith('/admin/')) log.push(entry);
    res.on('finish', () => { entry.status = res.statusCode; log.touch(); });
    res.on('close', () => { if (entry.status === null) entry.status = res.statusCode; entry.closed = true; log.touch(); });
    if (url.pathname.startsWith('/admin/')) return handleAdmin(req, res, url);
    if (url.pathname !== mcpPath) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return res.end('not found');
    }
    return handleMcp(req, res, entry);
  });

  const port = await listen(server, opts.port ?? 0, host);
  const url = `http://${hostForUrl(host)}:${port}${mcpPath}`;

  return {
    url,
    port,
    host,
    log,
    deletes,
    sessions,
    get sessionsCreated() { return sessionsCreated; },
    expireSessions,
    injectFault,
    /** Resolve when some session has an open GET stream. */
    waitGetOpen(ms = 5000) {
      return log.waitFor((e) => e.method === 'GET' && e.streamOpen, ms, 'an open GET stream');
    },
    /** Requests whose JSON-RPC body included the given method. */
    posts(method) {
      return log.filter((e) => e.method === 'POST' && e.rpc?.some((m) => m.method === method));
    },
    async stop() {
      await expireSessions().catch(() => {});
      await closeServer(server);
    },
    server,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runStandalone(startStreamableServer, process.argv.slice(2));
}
