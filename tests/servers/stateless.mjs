// A stateless Streamable HTTP server (the TypeScript SDK's transport, a fresh
// server per request, no session id) with the tools a test gives it. onRequest
// sees each request first (to record it or set a header).
import http from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

/** tools: [{ name, description, text }] (each call answers its text). */
export async function startStatelessServer({ name = 'stateless', tools = [], onRequest } = {}) {
  const server = http.createServer(async (req, res) => {
    onRequest?.(req, res);
    const mcp = new McpServer({ name, version: '1.0.0' });
    for (const t of tools) {
      mcp.registerTool(t.name, { description: t.description }, async () => ({
        content: [{ type: 'text', text: t.text }],
      }));
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => { transport.close(); mcp.close(); });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/mcp`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}
