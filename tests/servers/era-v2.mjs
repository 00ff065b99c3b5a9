// An MCP server built on the TypeScript SDK v2 (@modelcontextprotocol/server)
// for the host x server era matrix: --mode modern serves only the 2026-07-28
// revision; --mode dual also serves 2025-era clients, with sessions.
//
// Standalone: node tests/servers/era-v2.mjs --mode modern|dual [--port N]
// prints "LISTENING <url>" as its first stdout line and nothing else on stdout.
//
// Tools: add {a, b} -> "a+b"; ask -> asks for a name (input_required on the
// 2026-07-28 era; the SDK's legacy shim turns that into elicitation/create on a
// 2025-era session) -> "hello <name>"; add-tool -> registers tool `extra` and
// announces the change (on subscriptions/listen streams and on every 2025-era
// session). Resource era://hello -> "hello resource".
//
// Why dual mode routes 2025-era traffic itself: createMcpHandler's default
// legacy serving is stateless (a fresh instance per request, GET answered
// 405), which can neither push elicitation/create nor deliver list_changed.
// So the dual endpoint puts a sessionful transport in front of a strict modern
// handler, the composition isLegacyRequest() documents.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import {
  McpServer, WebStandardStreamableHTTPServerTransport, acceptedContent, createMcpHandler, inputRequired,
  isLegacyRequest,
} from '@modelcontextprotocol/server';
import { closeServer, createTrackedServer, listen, readBody, runStandalone, sendJson } from './util.mjs';

const NameSchema = z.object({ name: z.string() });

/** Start the server; mode = 'modern' | 'dual'. Returns { url, port, stop() }. */
export async function startEraV2Server({ mode = 'dual', port = 0, host = '127.0.0.1' } = {}) {
  if (mode !== 'modern' && mode !== 'dual') throw new Error(`--mode must be modern or dual, not ${mode}`);
  const state = { extraAdded: false };
  const legacySessions = new Map(); // session id -> { server, transport }

  const registerExtra = (mcp) => {
    mcp.registerTool('extra', { description: 'Registered by add-tool' }, async () => ({
      content: [{ type: 'text', text: 'extra' }],
    }));
  };

  const buildServer = () => {
    const mcp = new McpServer({ name: `era-v2-${mode}`, version: '1.0.0' });
    mcp.registerTool('add', {
      description: 'Add two integers',
      inputSchema: z.object({ a: z.number().int(), b: z.number().int() }),
    }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));

    mcp.registerTool('ask', { description: 'Ask the user for a name', inputSchema: z.object({}) }, async (_args, ctx) => {
      const responses = ctx.mcpReq.inputResponses;
      const answer = acceptedContent(responses, 'name', NameSchema);
      if (answer) return { content: [{ type: 'text', text: `hello ${answer.name}` }] };
      if (responses?.name !== undefined) {
        return { isError: true, content: [{ type: 'text', text: 'the user gave no name' }] };
      }
      return inputRequired({
        inputRequests: { name: inputRequired.elicit({ message: 'What is your name?', requestedSchema: NameSchema }) },
      });
    });

    mcp.registerTool('add-tool', { description: 'Register the tool extra' }, async () => {
      if (!state.extraAdded) {
        state.extraAdded = true;
        // A 2025-era session's instance lives on: registering on it sends
        // notifications/tools/list_changed on that session's GET stream.
        for (const s of legacySessions.values()) registerExtra(s.server);
        handler.notify.toolsChanged();
      }
      return { content: [{ type: 'text', text: 'added extra' }] };
    });

    mcp.registerResource('hello', 'era://hello', { mimeType: 'text/plain' }, async (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'hello resource' }],
    }));
    if (state.extraAdded) registerExtra(mcp);
    return mcp;
  };

  const handler = createMcpHandler(buildServer, { legacy: 'reject' });

  const serveLegacy = async (request) => {
    const sid = request.headers.get('mcp-session-id');
    if (sid) {
      const s = legacySessions.get(sid);
      if (!s) return Response.json({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }, { status: 404 });
      return s.transport.handleRequest(request);
    }
    const entry = {};
    entry.transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => { legacySessions.set(id, entry); },
      onsessionclosed: (id) => { legacySessions.delete(id); },
    });
    entry.server = buildServer();
    await entry.server.connect(entry.transport);
    return entry.transport.handleRequest(request);
  };

  const server = createTrackedServer(async (req, res) => {
    const abort = new AbortController();
    res.on('close', () => { if (!res.writableFinished) abort.abort(); });
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const body = hasBody ? await readBody(req, 4 * 1024 * 1024) : undefined;
    if (hasBody && body === null) return sendJson(res, 413, { error: 'body too large' });
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
    }
    const request = new Request(`http://${headers.get('host')}${req.url}`, {
      method: req.method, headers, body, signal: abort.signal,
    });
    const legacy = mode === 'dual' && await isLegacyRequest(request);
    const response = legacy ? await serveLegacy(request) : await handler.fetch(request);
    await writeResponse(res, response);
  });
  const boundPort = await listen(server, port, host);
  return {
    url: `http://${host}:${boundPort}/mcp`,
    port: boundPort,
    async stop() {
      await handler.close().catch(() => {});
      for (const s of legacySessions.values()) await s.transport.close().catch(() => {});
      await closeServer(server);
    },
  };
}

/** Copy a web Response (possibly a long SSE stream) onto a Node response. */
async function writeResponse(res, response) {
  const headers = {};
  response.headers.forEach((v, k) => { headers[k] = v; });
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  res.on('close', () => { reader.cancel().catch(() => {}); });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch {
    // The client went away or the stream was torn down.
  }
  res.end();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runStandalone(startEraV2Server, process.argv.slice(2));
}
