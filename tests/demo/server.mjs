// The bundled demo MCP server: a small "notes" server over Streamable HTTP,
// built on the MCP TypeScript SDK. Started by demo.mjs on a free loopback port.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

function buildServer(notes) {
  const mcp = new McpServer({ name: 'mcp-bridge-demo', version: '1.0.0' });
  mcp.registerTool('add_note', {
    title: 'Add a note',
    description: 'Store a short note',
    inputSchema: { text: z.string().describe('The note') },
  }, async ({ text }) => {
    notes.push(text);
    return { content: [{ type: 'text', text: `Stored note #${notes.length}` }] };
  });
  mcp.registerTool('list_notes', {
    title: 'List notes',
    description: 'Every note stored so far',
    inputSchema: {},
  }, async () => ({
    content: [{ type: 'text', text: notes.length ? notes.map((n, i) => `${i + 1}. ${n}`).join('\n') : '(no notes yet)' }],
  }));
  mcp.registerTool('word_count', {
    title: 'Count words',
    description: 'Count the words of a text',
    inputSchema: { text: z.string() },
  }, async ({ text }) => ({
    content: [{ type: 'text', text: String(text.split(/\s+/).filter(Boolean).length) }],
  }));
  return mcp;
}

export async function startDemoServer({ port = 0 } = {}) {
  const notes = [];
  const sessions = new Map();
  const server = http.createServer(async (req, res) => {
    if (!req.url.startsWith('/mcp')) {
      res.writeHead(404).end();
      return;
    }
    const sid = req.headers['mcp-session-id'];
    let transport = sid ? sessions.get(sid) : undefined;
    if (sid && !transport) {
      res.writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }));
      return;
    }
    if (!transport) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => sessions.set(id, transport),
      });
      transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
      await buildServer(notes).connect(transport);
    }
    await transport.handleRequest(req, res);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/mcp`;
  return {
    url,
    close: () => new Promise((resolve) => {
      for (const t of sessions.values()) t.close().catch(() => {});
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.argv[2] || 0);
  const s = await startDemoServer({ port });
  console.log(`demo MCP server listening at ${s.url}`);
}
