// A stateful (session per initialize) Streamable HTTP MCP server built on the
// TypeScript SDK v1 (@modelcontextprotocol/sdk): the 2025-era side of the host x
// server era matrix.
//
// Standalone: node tests/servers/era-v1.mjs [--port N]
// prints "LISTENING <url>" as its first stdout line and nothing else on stdout.
//
// Tools: add {a, b} -> "a+b"; ask -> elicitation/create for a name (on the
// call's own response stream) -> "hello <name>"; add-tool -> registers tool
// `extra` on every session, which sends notifications/tools/list_changed.
// Resource era://hello -> "hello resource".
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { closeServer, createTrackedServer, listen, readBody, runStandalone, sendJson, rpcError } from './util.mjs';

/** Start the server. Returns { url, port, stop() }. */
export async function startEraV1Server({ port = 0, host = '127.0.0.1' } = {}) {
  const state = { extraAdded: false };
  const sessions = new Map(); // session id -> { server, transport }

  const registerExtra = (mcp) => {
    mcp.registerTool('extra', { description: 'Registered by add-tool' }, async () => ({
      content: [{ type: 'text', text: 'extra' }],
    }));
  };

  const buildServer = () => {
    const mcp = new McpServer({ name: 'era-v1', version: '1.0.0' });
    mcp.registerTool('add', {
      description: 'Add two integers',
      inputSchema: { a: z.number().int(), b: z.number().int() },
    }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));

    mcp.registerTool('ask', { description: 'Ask the user for a name' }, async (extra) => {
      const r = await mcp.server.elicitInput({
        message: 'What is your name?',
        requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      }, { relatedRequestId: extra.requestId, timeout: 20000 });
      if (r.action !== 'accept' || typeof r.content?.name !== 'string') {
        return { isError: true, content: [{ type: 'text', text: `the user gave no name (${r.action})` }] };
      }
      return { content: [{ type: 'text', text: `hello ${r.content.name}` }] };
    });

    mcp.registerTool('add-tool', { description: 'Register the tool extra' }, async () => {
      if (!state.extraAdded) {
        state.extraAdded = true;
        // Registering on a connected McpServer sends notifications/tools/list_changed.
        for (const s of sessions.values()) registerExtra(s.server);
      }
      return { content: [{ type: 'text', text: 'added extra' }] };
    });

    mcp.registerResource('hello', 'era://hello', { mimeType: 'text/plain' }, async (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'hello resource' }],
    }));
    if (state.extraAdded) registerExtra(mcp);
    return mcp;
  };

  const server = createTrackedServer(async (req, res) => {
    const sid = req.headers['mcp-session-id'];
    let body;
    if (req.method === 'POST') {
      const raw = await readBody(req, 4 * 1024 * 1024);
      if (raw === null) return sendJson(res, 413, rpcError(-32600, 'body too large'));
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return sendJson(res, 400, rpcError(-32700, 'Parse error'));
      }
    }
    if (sid) {
      const s = sessions.get(sid);
      if (!s) return sendJson(res, 404, rpcError(-32001, 'Session not found'));
      return s.transport.handleRequest(req, res, body);
    }
    const entry = {};
    entry.transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => { sessions.set(id, entry); },
    });
    entry.transport.onclose = () => {
      if (entry.transport.sessionId) sessions.delete(entry.transport.sessionId);
    };
    entry.server = buildServer();
    await entry.server.connect(entry.transport);
    return entry.transport.handleRequest(req, res, body);
  });
  const boundPort = await listen(server, port, host);
  return {
    url: `http://${host}:${boundPort}/mcp`,
    port: boundPort,
    async stop() {
      for (const s of sessions.values()) await s.transport.close().catch(() => {});
      await closeServer(server);
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runStandalone(startEraV1Server, process.argv.slice(2));
}
