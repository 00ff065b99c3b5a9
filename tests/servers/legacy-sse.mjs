// A legacy HTTP+SSE MCP server (protocol 2024-11-05) using the SDK's
// SSEServerTransport: GET /sse opens the stream and sends an `endpoint` event,
// POST /messages?sessionId=... carries client messages.
//
// Standalone: node tests/servers/legacy-sse.mjs --port 0 [--post-sse-status 405]
// prints "LISTENING <url-of-/sse>" first on stdout.
//
// Importable: const srv = await startLegacySseServer({ postSseStatus: 405 })
//   srv.url (the /sse URL), srv.stop(), srv.log, srv.sessions
//
// POST /sse (what a Streamable HTTP client tries first) answers postSseStatus
// (default 405), so a client can fall back to the legacy transport.
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import {
  RequestLog, closeServer, createTrackedServer, hostForUrl, listen, readBody, rpcError,
  runStandalone, sendJson, sleep, summarize,
} from './util.mjs';

const text = (t) => ({ content: [{ type: 'text', text: t }] });

function buildMcpServer() {
  const mcp = new McpServer(
    { name: 'bridge-test-legacy-sse', version: '1.0.0' },
    { capabilities: { logging: {} } },
  );
  mcp.registerTool('echo', { description: 'Echo the message back', inputSchema: { message: z.string() } },
    async ({ message }) => text(message));
  mcp.registerTool('add', { description: 'Add two numbers', inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => text(String(a + b)));
  mcp.registerTool('slow', {
    description: 'Sleep ms milliseconds in steps, sending progress notifications',
    inputSchema: { ms: z.number().int().min(0).max(60000).default(500), steps: z.number().int().min(1).max(100).default(5) },
  }, async ({ ms, steps }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= steps; i++) {
      await sleep(ms / steps, extra.signal);
      if (token !== undefined) {
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps } });
      }
    }
    return text(`slept ${ms}`);
  });
  mcp.registerTool('headers', { description: 'Return the HTTP request headers as JSON', inputSchema: {} },
    async (_a, extra) => text(JSON.stringify(extra.requestInfo?.headers ?? {})));
  return mcp;
}

/** Options: port, host, ssePath ('/sse'), messagesPath ('/messages'), postSseStatus (405). */
export async function startLegacySseServer(opts = {}) {
  const host = opts.host ?? '127.0.0.1';
  const ssePath = opts.ssePath ?? '/sse';
  const messagesPath = opts.messagesPath ?? '/messages';
  const postSseStatus = Number(opts.postSseStatus ?? opts['post-sse-status'] ?? 405);
  const log = new RequestLog();
  const sessions = new Map(); // sessionId -> { transport, mcp }

  const server = createTrackedServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const entry = {
      time: Date.now(), method: req.method, path: url.pathname, search: url.search,
      headers: { ...req.headers }, rpc: null, status: null,
    };
    if (!url.pathname.startsWith('/admin/')) log.push(entry);
    res.on('finish', () => { entry.status = res.statusCode; log.touch(); });
    res.on('close', () => { if (entry.status === null) entry.status = res.statusCode; entry.closed = true; log.touch(); });

    if (url.pathname === '/admin/log' && req.method === 'GET') {
      return sendJson(res, 200, { requests: log.entries });
    }

    if (url.pathname === ssePath && req.method === 'GET') {
      const mcp = buildMcpServer();
      const transport = new SSEServerTransport(messagesPath, res);
      transport.onerror = () => {};
      mcp.server.onerror = () => {};
      sessions.set(transport.sessionId, { transport, mcp });
      entry.sessionId = transport.sessionId;
      res.on('close', () => {
        sessions.delete(transport.sessionId);
        mcp.close().catch(() => {});
      });
      await mcp.connect(transport); // start() writes headers + the endpoint event
      entry.streamOpen = true;
      log.touch();
      return;
    }

    if (url.pathname === ssePath && req.method === 'POST') {
      // A Streamable HTTP client probing a legacy server.
      await readBody(req).catch(() => null);
      if (postSseStatus === 404) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        return res.end('Not Found');
      }
      return sendJson(res, postSseStatus, rpcError(-32000, 'Method not allowed'), { Allow: 'GET' });
    }

    if (url.pathname === messagesPath && req.method === 'POST') {
      const sid = url.searchParams.get('sessionId');
      entry.sessionId = sid;
      const raw = await readBody(req);
      let body;
      try {
        body = JSON.parse(raw.toString('utf8'));
        entry.rpc = summarize(body);
        log.touch();
      } catch {
        res.writeHead(400, { 'Content-Type': 'text/plain' });
        return res.end('Invalid JSON');
      }
      const s = sid && sessions.get(sid);
      if (!s) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        return res.end('Session not found');
      }
      await s.transport.handlePostMessage(req, res, body);
      return;
    }

    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('Not Found');
  });

  const port = await listen(server, opts.port ?? 0, host);
  const base = `http://${hostForUrl(host)}:${port}`;
  return {
    url: `${base}${ssePath}`,
    base,
    port,
    log,
    sessions,
    async stop() {
      for (const s of sessions.values()) await s.transport.close().catch(() => {});
      sessions.clear();
      await closeServer(server);
    },
    server,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runStandalone(startLegacySseServer, process.argv.slice(2));
}
