// A hand-written MCP server of the 2026-07-28 revision (or, in "legacy" mode,
// a 2025-era Streamable HTTP server) that records every HTTP request it gets,
// so a test can check byte by byte what a client sent; the test steers it.
//
// In process: startModernRecorder({ mode, port, rejectVersionOnce }) returns
// { url, port, log, state, pushListen(method, params), listens, stop() }.
// Standalone: node modern-recorder.mjs [--mode legacy] [--port N]; prints
// "LISTENING <url>"; POST /admin {"push": {method, params}} pushes a
// notification on every open subscriptions/listen stream, POST /admin
// {"mode": "legacy"|"modern"} switches the mode, GET /admin/log returns the log.
import { fileURLToPath } from 'node:url';
import {
  closeServer, createTrackedServer, listen, parseArgs, readBody, RequestLog, runStandalone,
} from './util.mjs';

export const MODERN = '2026-07-28';
const LEGACY_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
const META_VERSION = 'io.modelcontextprotocol/protocolVersion';
const META_LOG_LEVEL = 'io.modelcontextprotocol/logLevel';
const META_SUBSCRIPTION = 'io.modelcontextprotocol/subscriptionId';

export const SERVER_INFO = { name: 'modern-recorder', version: '3.1.4' };
export const INSTRUCTIONS = 'Recorder: every request is kept for the test to read.';
export const NON_ASCII_TOOL = 'grüße-工具';

/** What tools/list offers: valid x-mcp-header annotations, and one tool whose
 * annotation breaks the rules (on a `number` property). */
export const TOOLS = [
  { name: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
  { name: NON_ASCII_TOOL, inputSchema: { type: 'object', properties: {} } },
  {
    name: 'region_query',
    inputSchema: {
      type: 'object',
      properties: {
        region: { type: 'string', 'x-mcp-header': 'Region' },
        limit: { type: 'integer', 'x-mcp-header': 'Limit' },
        options: { type: 'object', properties: { dryRun: { type: 'boolean', 'x-mcp-header': 'Dry-Run' } } },
        query: { type: 'string' },
      },
    },
  },
  {
    name: 'bad_header_tool',
    inputSchema: { type: 'object', properties: { ratio: { type: 'number', 'x-mcp-header': 'Ratio' } } },
  },
  { name: 'ask', inputSchema: { type: 'object', properties: {} } },
  { name: 'flaky', inputSchema: { type: 'object', properties: {} } },
  { name: 'slow', inputSchema: { type: 'object', properties: {} } },
  { name: 'chatty', inputSchema: { type: 'object', properties: {} } },
];

const text = (t) => ({ content: [{ type: 'text', text: t }] });

function discoverResult() {
  return {
    resultType: 'complete',
    supportedVersions: [MODERN],
    capabilities: { tools: {}, resources: {}, prompts: {} },
    _meta: { 'io.modelcontextprotocol/serverInfo': SERVER_INFO },
    instructions: INSTRUCTIONS,
  };
}

/** The inputs of the multi round-trip tool `ask`, round by round. */
export const ASK_ROUNDS = [
  {
    state: 'round-1:{"opaque":"α β"}',
    inputs: {
      github_login: {
        method: 'elicitation/create',
        params: {
          mode: 'form', message: 'Your GitHub login?',
          requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        },
      },
    },
  },
  {
    state: 'round-2:c2VjcmV0IHN0YXRl==',
    inputs: {
      colour: {
        method: 'elicitation/create',
        params: { mode: 'form', message: 'Colour?', requestedSchema: { type: 'object', properties: { c: { type: 'string' } } } },
      },
      size: {
        method: 'elicitation/create',
        params: { mode: 'form', message: 'Size?', requestedSchema: { type: 'object', properties: { s: { type: 'string' } } } },
      },
    },
  },
];

export async function startModernRecorder(opts = {}) {
  const log = new RequestLog();
  const state = {
    mode: opts.mode ?? 'modern',
    rejectVersionOnce: opts.rejectVersionOnce ?? null, // a method name, or null
    flakyCuts: 0,
    // opts.shiftyTool: a tool `shifty` whose `tenant` parameter gains
    // x-mcp-header "Tenant" after the first tools/list; a call without the
    // matching Mcp-Param-Tenant header is then refused with -32020.
    shiftyTool: Boolean(opts.shiftyTool),
    toolLists: 0,
    listens: [],
    sessions: 0,
  };

  function record(req, body, parsed) {
    const entry = {
      seq: log.entries.length,
      method: req.method,
      path: req.url,
      headers: { ...req.headers },
      rawHeaders: [...req.rawHeaders],
      text: body ? body.toString('utf8') : '',
      body: parsed,
      rpcMethod: parsed && typeof parsed === 'object' ? parsed.method : undefined,
      id: parsed && typeof parsed === 'object' ? parsed.id : undefined,
      closedEarly: false,
      finished: false,
    };
    log.push(entry);
    return entry;
  }

  /** Track whether the client closed the response before the server ended it. */
  function watchClose(res, entry) {
    res.on('finish', () => { entry.finished = true; log.touch(); });
    res.on('close', () => {
      if (!entry.finished) entry.closedEarly = true;
      log.touch();
    });
  }

  function json(res, status, obj, headers = {}) {
    const s = obj === undefined ? '' : JSON.stringify(obj);
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(s);
  }

  function sseOpen(res, headers = {}) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', ...headers });
    res.flushHeaders();
  }
  const sseSend = (res, msg) => res.write(`data: ${JSON.stringify(msg)}\n\n`);

  function pushListen(method, params = {}) {
    let n = 0;
    for (const l of state.listens) {
      if (l.closed) continue;
      sseSend(l.res, { jsonrpc: '2.0', method, params: { ...params, _meta: { [META_SUBSCRIPTION]: l.id } } });
      n++;
    }
    return n;
  }

  async function modern(req, res, entry, msg) {
    if (req.method !== 'POST') return json(res, 405, undefined, { Allow: 'POST' });
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) {
      return json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    }
    if (msg.method === undefined || msg.id === undefined) return json(res, 202); // response or notification
    const reply = (result) => json(res, 200, { jsonrpc: '2.0', id: msg.id, result });
    const fail = (status, code, message, data) =>
      json(res, status, { jsonrpc: '2.0', id: msg.id, error: { code, message, ...(data ? { data } : {}) } });
    const params = msg.params ?? {};
    const meta = params._meta ?? {};
    if (msg.method === 'initialize') return fail(400, -32601, 'Method not found: initialize (this server speaks 2026-07-28)');
    if (state.rejectVersionOnce === msg.method) {
      state.rejectVersionOnce = null;
      return fail(400, -32022, 'Unsupported protocol version', { supported: [MODERN], requested: meta[META_VERSION] });
    }
    if (meta[META_VERSION] !== MODERN) {
      return fail(400, -32022, 'Unsupported protocol version', { supported: [MODERN], requested: meta[META_VERSION] ?? null });
    }
    switch (msg.method) {
      case 'server/discover': return reply(discoverResult());
      case 'ping': return reply({});
      case 'tools/list': {
        if (!state.shiftyTool) return reply({ tools: TOOLS });
        const tenant = state.toolLists++ === 0 ? { type: 'string' } : { type: 'string', 'x-mcp-header': 'Tenant' };
        return reply({ tools: [...TOOLS, { name: 'shifty', inputSchema: { type: 'object', properties: { tenant } } }] });
      }
      case 'resources/read':
        return reply({ contents: [{ uri: params.uri, mimeType: 'text/plain', text: `contents of ${params.uri}` }] });
      case 'prompts/get':
        return reply({ messages: [{ role: 'user', content: { type: 'text', text: `prompt ${params.name}` } }] });
      case 'subscriptions/listen': {
        const l = { id: msg.id, params, res, closed: false, entry };
        state.listens.push(l);
        res.on('close', () => { l.closed = true; });
        sseOpen(res);
        sseSend(res, {
          jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged',
          params: { _meta: { [META_SUBSCRIPTION]: msg.id }, notifications: params.notifications ?? {} },
        });
        return undefined;
      }
      case 'tools/call': return callTool(req, res, msg, params, meta, reply);
      default: return fail(200, -32601, `Method not found: ${msg.method}`);
    }
  }

  function callTool(req, res, msg, params, meta, reply) {
    const args = params.arguments ?? {};
    switch (params.name) {
      case 'echo': return reply(text(`echo:${args.text ?? ''}`));
      case NON_ASCII_TOOL: return reply(text('hello'));
      case 'region_query': return reply(text(`region:${args.region}`));
      case 'shifty':
        if (state.toolLists > 0 && req.headers['mcp-param-tenant'] !== args.tenant) {
          return json(res, 400, {
            jsonrpc: '2.0', id: msg.id,
            error: { code: -32020, message: 'Header mismatch: Mcp-Param-Tenant is missing or differs from the body' },
          });
        }
        return reply(text(`shifty:${args.tenant}`));
      case 'ask': {
        const responses = params.inputResponses;
        const round = !responses ? 0 : params.requestState === ASK_ROUNDS[0].state ? 1 : 2;
        if (round < ASK_ROUNDS.length) {
          return reply({ resultType: 'input_required', inputRequests: ASK_ROUNDS[round].inputs, requestState: ASK_ROUNDS[round].state });
        }
        return reply({ resultType: 'complete', ...text(`asked:${JSON.stringify(responses)}`) });
      }
      case 'flaky':
        sseOpen(res);
        if (state.flakyCuts++ === 0) {
          // An event, then the connection cut before the response.
          res.write(': cut\n\n');
          setTimeout(() => res.socket?.destroy(), 50);
          return undefined;
        }
        sseSend(res, { jsonrpc: '2.0', id: msg.id, result: text('flaky:ok') });
        return res.end();
      case 'slow': {
        sseOpen(res);
        res.write(': working\n\n');
        const t = setTimeout(() => {
          sseSend(res, { jsonrpc: '2.0', id: msg.id, result: text('slow:done') });
          res.end();
        }, 4000);
        res.on('close', () => clearTimeout(t));
        return undefined;
      }
      case 'chatty': {
        sseOpen(res);
        const level = meta[META_LOG_LEVEL];
        if (level !== undefined) {
          sseSend(res, { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'warning', logger: 'chatty', data: `logLevel ${level}` } });
        }
        sseSend(res, { jsonrpc: '2.0', id: msg.id, result: text('chatty:done') });
        return res.end();
      }
      default:
        return reply({ ...text(`unknown tool ${params.name}`), isError: true });
    }
  }

  function legacy(req, res, entry, msg) {
    if (req.method === 'GET') return json(res, 405, undefined, { Allow: 'POST, DELETE' });
    if (req.method === 'DELETE') return json(res, 200);
    if (req.method !== 'POST') return json(res, 405);
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return json(res, 400);
    if (msg.method === 'server/discover') {
      // An older server: no such method before initialize, and no JSON body.
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      return res.end('Bad Request: No valid session ID provided');
    }
    if (msg.method === undefined || msg.id === undefined) return json(res, 202);
    const reply = (result, headers) => json(res, 200, { jsonrpc: '2.0', id: msg.id, result }, headers);
    const params = msg.params ?? {};
    switch (msg.method) {
      case 'initialize': {
        const v = LEGACY_VERSIONS.includes(params.protocolVersion) ? params.protocolVersion : '2025-06-18';
        return reply({ protocolVersion: v, capabilities: { tools: {} }, serverInfo: { name: 'legacy-recorder', version: '1.0.0' } },
          { 'Mcp-Session-Id': `legacy-session-${++state.sessions}` });
      }
      case 'ping': return reply({});
      case 'tools/list': return reply({ tools: [TOOLS[0]] });
      case 'tools/call': return reply(text(`legacy-echo:${params.arguments?.text ?? ''}`));
      default:
        return json(res, 200, { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `Method not found: ${msg.method}` } });
    }
  }

  const server = createTrackedServer(async (req, res) => {
    if (req.url.startsWith('/admin')) return admin(req, res);
    const body = await readBody(req, 1024 * 1024);
    let msg;
    try { msg = body && body.length ? JSON.parse(body.toString('utf8')) : undefined; } catch { msg = undefined; }
    const entry = record(req, body, msg);
    watchClose(res, entry);
    return state.mode === 'legacy' ? legacy(req, res, entry, msg) : modern(req, res, entry, msg);
  });

  async function admin(req, res) {
    if (req.method === 'GET') return json(res, 200, log.entries.map(({ seq, method, headers, body, closedEarly }) => ({ seq, method, headers, body, closedEarly })));
    const body = await readBody(req, 64 * 1024);
    let cmd;
    try { cmd = JSON.parse(body.toString('utf8')); } catch { return json(res, 400, { error: 'not JSON' }); }
    if (cmd.push) return json(res, 200, { pushed: pushListen(cmd.push.method, cmd.push.params) });
    if (cmd.mode) { state.mode = cmd.mode; return json(res, 200, { mode: state.mode }); }
    return json(res, 400, { error: 'unknown command' });
  }

  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, opts.port ?? 0, host);
  return {
    url: `http://${host}:${port}/mcp`,
    port,
    log,
    state,
    get listens() { return state.listens; },
    pushListen,
    async stop() {
      for (const l of state.listens) if (!l.closed) l.res.destroy();
      await closeServer(server);
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  runStandalone((o) => startModernRecorder({ ...o, mode: args.mode ?? 'modern' }), process.argv.slice(2));
}
