// A minimal Streamable HTTP MCP server on plain node:http, with as little work per
// request as possible, so that the benchmark measures the bridge and not the server.
//
//   node bench/servers/minimal.mjs [--port 0] [--host 127.0.0.1] [--sse] [--tools N] [--modern]
//
// Prints "LISTENING http://HOST:PORT/mcp" as its only stdout line; exits on SIGTERM,
// SIGINT or when its stdin is a pipe that closes.
//
// Implements just what the benchmark needs:
//   POST initialize    -> result (protocolVersion echoes 2025-03-26/2025-06-18/2025-11-25),
//                         Mcp-Session-Id header
//   POST notification or client response -> 202
//   POST tools/list    -> echo, blob and N dummy tools (--tools N, default 0)
//   POST tools/call    -> echo {text} returns the text; blob {bytes} returns that many bytes
//   POST ping          -> {}
//   DELETE             -> 200 (ends the session), GET -> 405
//   GET /stats         -> {"connections":N,"requests":N} so far (to see connection reuse)
// Every request needs "Authorization: Bearer bench-token" (401 otherwise). Responses are
// application/json, or one-event text/event-stream bodies with --sse.
//
// With --modern it speaks only the 2026-07-28 revision instead: no initialize and no
// sessions (Mcp-Session-Id is ignored, never minted); every request must carry _meta
// with io.modelcontextprotocol/protocolVersion 2026-07-28 and clientCapabilities
// (400, -32602 otherwise; another version: 400, -32022 naming the supported one) and
// the headers MCP-Protocol-Version, Mcp-Method and, for tools/call, Mcp-Name, equal to
// the body's values (400, -32020 otherwise);
//   POST server/discover -> supportedVersions, capabilities, serverInfo in _meta
//   POST initialize      -> 400, -32022 naming 2026-07-28 (what a legacy client can show)
//   POST tools/list, tools/call, notifications: as above, results with
//                           resultType "complete" (no per-result _meta: that is a SHOULD,
//                           and the benchmark wants the server's work to stay small)
//   GET and DELETE       -> 405
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { fstatSync } from 'node:fs';

const TOKEN = 'Bearer bench-token';
const VERSIONS = new Set(['2025-03-26', '2025-06-18', '2025-11-25']);
const LATEST = '2025-11-25';
const MODERN = '2026-07-28';
const META_VERSION = 'io.modelcontextprotocol/protocolVersion';
const META_CAPS = 'io.modelcontextprotocol/clientCapabilities';

function parseArgs(argv) {
  const o = { port: 0, host: '127.0.0.1', sse: false, tools: 0, modern: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') o.port = Number(argv[++i]);
    else if (a === '--host') o.host = argv[++i];
    else if (a === '--sse') o.sse = true;
    else if (a === '--json') o.sse = false;
    else if (a === '--tools') o.tools = Number(argv[++i]);
    else if (a === '--modern') o.modern = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function toolList(extra, modern) {
  const tools = [
    {
      name: 'echo',
      description: 'Returns its text argument.',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    },
    {
      name: 'blob',
      description: 'Returns a text of the given number of bytes.',
      inputSchema: { type: 'object', properties: { bytes: { type: 'integer', minimum: 0 } }, required: ['bytes'] },
    },
  ];
  for (let i = 0; i < extra; i++) {
    tools.push({
      name: `dummy_${i}`,
      description: `Dummy tool number ${i}; does nothing useful, exists to make tools/list large.`,
      inputSchema: {
        type: 'object',
        properties: { a: { type: 'string', description: 'first argument' }, b: { type: 'number' } },
      },
    });
  }
  return JSON.stringify(modern ? { resultType: 'complete', tools } : { tools });
}

/** An Mcp-Name header's value as the client meant it (the Base64 sentinel decoded). */
function headerValue(h) {
  if (typeof h === 'string' && h.startsWith('=?base64?') && h.endsWith('?=')) {
    return Buffer.from(h.slice(9, -2), 'base64').toString('utf8');
  }
  return h;
}

export function startMinimalServer(opts = {}) {
  const o = { port: 0, host: '127.0.0.1', sse: false, tools: 0, modern: false, ...opts };
  const sessions = new Set();
  const toolsJson = toolList(o.tools, o.modern);
  // What a 2026-07-28 result starts with; the 2025 results have nothing there.
  const complete = o.modern ? '"resultType":"complete",' : '';
  const discoverJson = JSON.stringify({
    resultType: 'complete',
    supportedVersions: [MODERN],
    capabilities: { tools: { listChanged: false } },
    _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'bench-minimal', version: '1.0.0' } },
  });
  const blobCache = new Map(); // bytes -> Buffer of the JSON result text `{"content":[...]}`
  const jsonHeaders = { 'Content-Type': 'application/json' };
  const sseHeaders = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' };

  function blobResult(n) {
    let b = blobCache.get(n);
    if (!b) {
      if (blobCache.size > 4) blobCache.clear();
      b = Buffer.from(`{${complete}"content":[{"type":"text","text":"${'x'.repeat(n)}"}]}`);
      blobCache.set(n, b);
    }
    return b;
  }

  // Sends `{"jsonrpc":"2.0","id":ID,"result":RESULT}` where RESULT is a string or Buffer.
  function send(res, id, result, extraHeaders) {
    const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":`;
    let body;
    if (typeof result === 'string') {
      body = o.sse ? `event: message\ndata: ${head}${result}}\n\n` : `${head}${result}}`;
    } else {
      body = Buffer.concat([Buffer.from(o.sse ? `event: message\ndata: ${head}` : head), result,
        Buffer.from(o.sse ? '}\n\n' : '}')]);
    }
    const headers = o.sse ? sseHeaders : jsonHeaders;
    res.writeHead(200, extraHeaders ? { ...headers, ...extraHeaders } : headers);
    res.end(body);
  }

  function sendError(res, status, id, code, message, data) {
    const error = data === undefined ? { code, message } : { code, message, data };
    const body = JSON.stringify({ jsonrpc: '2.0', id: id ?? null, error });
    res.writeHead(status, jsonHeaders);
    res.end(body);
  }

  function handleMessage(req, res, msg) {
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      return sendError(res, 400, null, -32600, 'batches and non-objects are not supported');
    }
    const { method, id } = msg;
    if (method === 'initialize') {
      const asked = msg.params?.protocolVersion;
      const sid = randomUUID();
      sessions.add(sid);
      const result = JSON.stringify({
        protocolVersion: VERSIONS.has(asked) ? asked : LATEST,
        capabilities: { tools: { listChanged: false } },
        serverInfo: { name: 'bench-minimal', version: '1.0.0' },
      });
      return send(res, id, result, { 'Mcp-Session-Id': sid });
    }
    const sid = req.headers['mcp-session-id'];
    if (!sid) return sendError(res, 400, id, -32000, 'missing Mcp-Session-Id');
    if (!sessions.has(sid)) return sendError(res, 404, id, -32001, 'session not found');
    if (id === undefined || method === undefined) { // notification, or a response to us
      res.writeHead(202);
      return res.end();
    }
    return answerRequest(res, id, method, msg.params);
  }

  // The requests both eras answer alike (a modern result starts with resultType).
  function answerRequest(res, id, method, params) {
    switch (method) {
      case 'tools/call': {
        const p = params || {};
        if (p.name === 'echo') {
          const text = String(p.arguments?.text ?? '');
          return send(res, id, `{${complete}"content":[{"type":"text","text":${JSON.stringify(text)}}]}`);
        }
        if (p.name === 'blob') return send(res, id, blobResult(Math.max(0, Number(p.arguments?.bytes) | 0)));
        if (typeof p.name === 'string' && p.name.startsWith('dummy_')) {
          return send(res, id, `{${complete}"content":[{"type":"text","text":"ok"}]}`);
        }
        return send(res, id, `{${complete}"content":[{"type":"text","text":"unknown tool"}],"isError":true}`);
      }
      case 'tools/list': return send(res, id, toolsJson);
      case 'ping': return send(res, id, o.modern ? '{"resultType":"complete"}' : '{}');
      default: return sendError(res, o.modern ? 404 : 200, id, -32601, `method not found: ${method}`);
    }
  }

  // 2026-07-28: no session; each request stands alone and is checked against its headers.
  function handleModernMessage(req, res, msg) {
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      return sendError(res, 400, null, -32600, 'batches and non-objects are not supported');
    }
    const { method, id } = msg;
    if (id === undefined || method === undefined) { // notification, or a response to us
      res.writeHead(202);
      return res.end();
    }
    const meta = msg.params?._meta;
    const version = meta?.[META_VERSION];
    if (method === 'initialize') {
      return sendError(res, 400, id, -32022, `this server speaks only MCP ${MODERN}`,
        { supported: [MODERN], requested: msg.params?.protocolVersion ?? null });
    }
    if (typeof version !== 'string' || meta[META_CAPS] === null || typeof meta[META_CAPS] !== 'object') {
      return sendError(res, 400, id, -32602, `_meta needs ${META_VERSION} and ${META_CAPS}`);
    }
    if (version !== MODERN) {
      return sendError(res, 400, id, -32022, 'Unsupported protocol version', { supported: [MODERN], requested: version });
    }
    const h = req.headers;
    if (h['mcp-protocol-version'] !== version) return sendError(res, 400, id, -32020, 'Header mismatch: MCP-Protocol-Version');
    if (h['mcp-method'] !== method) return sendError(res, 400, id, -32020, 'Header mismatch: Mcp-Method');
    if (method === 'tools/call' && headerValue(h['mcp-name']) !== msg.params.name) {
      return sendError(res, 400, id, -32020, 'Header mismatch: Mcp-Name');
    }
    if (method === 'server/discover') return send(res, id, discoverJson);
    return answerRequest(res, id, method, msg.params);
  }

  const stats = { connections: 0, requests: 0 };
  const server = http.createServer((req, res) => {
    stats.requests++;
    if (req.headers.authorization !== TOKEN) {
      res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer' });
      res.end('{"error":"unauthorized"}');
      req.resume();
      return;
    }
    if (req.method === 'POST') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        let msg;
        try {
          msg = JSON.parse(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
        } catch {
          return sendError(res, 400, null, -32700, 'parse error');
        }
        if (o.modern) handleModernMessage(req, res, msg);
        else handleMessage(req, res, msg);
      });
      return;
    }
    req.resume();
    if (req.method === 'GET' && req.url === '/stats') { // for the benchmark: connection reuse
      res.writeHead(200, jsonHeaders);
      return res.end(JSON.stringify(stats));
    }
    if (req.method === 'DELETE' && !o.modern) {
      sessions.delete(req.headers['mcp-session-id']);
      res.writeHead(200);
      return res.end();
    }
    const allow = o.modern ? 'POST' : 'POST, DELETE';
    res.writeHead(405, { Allow: allow });
    res.end();
  });
  server.on('connection', () => { stats.connections++; });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.requestTimeout = 0;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      const { port } = server.address();
      const host = o.host.includes(':') ? `[${o.host}]` : o.host;
      resolve({ server, url: `http://${host}:${port}/mcp`, close: () => server.close() });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const srv = await startMinimalServer(parseArgs(process.argv.slice(2)));
  process.stdout.write(`LISTENING ${srv.url}\n`);
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  watchStdin(stop);
}

/** Exit when stdin is a pipe and its writer goes away (the parent died). */
export function watchStdin(stop) {
  let fifo = false;
  try { fifo = fstatSync(0).isFIFO(); } catch { /* no stdin */ }
  if (!fifo) return;
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
