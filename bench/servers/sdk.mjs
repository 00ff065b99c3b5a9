// The benchmark's tools on the official TypeScript SDK (McpServer +
// StreamableHTTPServerTransport, stateful sessions) behind plain node:http:
// a typical real-world server, for comparison with bench/servers/minimal.mjs.
//
//   node bench/servers/sdk.mjs [--port 0] [--host 127.0.0.1] [--sse|--json] [--tools N]
//
// Default is --sse (the SDK's default: each POST answered with an event stream);
// --json sets enableJsonResponse. Prints "LISTENING http://HOST:PORT/mcp" as its only
// stdout line. Requires "Authorization: Bearer bench-token" (401 otherwise).
// Tools: echo {text}, blob {bytes}, and N dummy tools dummy_0.. (--tools N).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { watchStdin } from './minimal.mjs';

const TOKEN = 'Bearer bench-token';

function parseArgs(argv) {
  const o = { port: 0, host: '127.0.0.1', sse: true, tools: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') o.port = Number(argv[++i]);
    else if (a === '--host') o.host = argv[++i];
    else if (a === '--sse') o.sse = true;
    else if (a === '--json') o.sse = false;
    else if (a === '--tools') o.tools = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const blobCache = new Map();
function blobText(n) {
  let s = blobCache.get(n);
  if (s === undefined) {
    if (blobCache.size > 4) blobCache.clear();
    s = 'x'.repeat(n);
    blobCache.set(n, s);
  }
  return s;
}

function buildMcpServer(extraTools) {
  const mcp = new McpServer({ name: 'bench-sdk', version: '1.0.0' }, { capabilities: { tools: {} } });
  mcp.registerTool('echo', {
    description: 'Returns its text argument.',
    inputSchema: { text: z.string() },
  }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  mcp.registerTool('blob', {
    description: 'Returns a text of the given number of bytes.',
    inputSchema: { bytes: z.number().int().min(0) },
  }, async ({ bytes }) => ({ content: [{ type: 'text', text: blobText(bytes) }] }));
  for (let i = 0; i < extraTools; i++) {
    mcp.registerTool(`dummy_${i}`, {
      description: `Dummy tool number ${i}; does nothing useful, exists to make tools/list large.`,
      inputSchema: { a: z.string().optional().describe('first argument'), b: z.number().optional() },
    }, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
  }
  return mcp;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res, status, obj, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(obj));
}

export function startSdkServer(opts = {}) {
  const o = { port: 0, host: '127.0.0.1', sse: true, tools: 0, ...opts };
  const sessions = new Map(); // sid -> { transport, mcp }

  async function newSession() {
    const mcp = buildMcpServer(o.tools);
    const s = { mcp, transport: null };
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: !o.sse,
      onsessioninitialized: (sid) => { sessions.set(sid, s); },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    transport.onerror = () => {};
    mcp.server.onerror = () => {};
    s.transport = transport;
    await mcp.connect(transport);
    return s;
  }

  async function handle(req, res) {
    if (req.headers.authorization !== TOKEN) {
      req.resume();
      return sendJson(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Bearer' });
    }
    const sid = req.headers['mcp-session-id'];
    if (req.method === 'POST') {
      let body;
      try {
        body = JSON.parse((await readBody(req)).toString('utf8'));
      } catch {
        return sendJson(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
      }
      const msgs = Array.isArray(body) ? body : [body];
      if (msgs.some((m) => m && m.method === 'initialize')) {
        const s = await newSession();
        return s.transport.handleRequest(req, res, body);
      }
      const s = sid && sessions.get(sid);
      if (!s) {
        return sendJson(res, sid ? 404 : 400,
          { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'session not found' } });
      }
      return s.transport.handleRequest(req, res, body);
    }
    if (req.method === 'GET') {
      // Like minimal.mjs: no standalone server-to-client stream, so that every
      // contender's GET costs the same.
      req.resume();
      res.writeHead(405, { Allow: 'POST, DELETE' });
      return res.end();
    }
    if (req.method === 'DELETE') {
      const s = sid && sessions.get(sid);
      if (!s) { req.resume(); res.writeHead(404); return res.end(); }
      return s.transport.handleRequest(req, res);
    }
    req.resume();
    res.writeHead(405, { Allow: 'POST, DELETE' });
    res.end();
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(e?.message ?? e) });
      else res.destroy();
    });
  });
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
  const srv = await startSdkServer(parseArgs(process.argv.slice(2)));
  process.stdout.write(`LISTENING ${srv.url}\n`);
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  watchStdin(stop);
}
