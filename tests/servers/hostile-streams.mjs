// A Streamable HTTP "MCP server" whose streams misbehave, for
// tests/integration/hostile-streams.test.mjs. It records every request it gets
// (method, headers, Last-Event-ID, JSON-RPC method) in `requests`.
//
// Options:
//   protocolVersion  what initialize answers with (default: the client's)
//   listen           the GET stream without Last-Event-ID:
//                    'hold' (open, silent), 'loop' (a priming event with
//                    retry: 0, then the end, every time), 'none' (405)
// tools/call by name:
//   any other     a JSON answer whose text is the tool's name (after `delayMs`)
//   priming-loop  an SSE stream with only a priming event (retry: 0) that ends;
//                 every resume GET gets the same (a new event id), never the answer
//   huge-retry    an SSE stream with a priming event and retry: 100000000000 that
//                 ends; the resume GET (Last-Event-ID) gets the answer
//
// Standalone: node hostile-streams.mjs [--port N] [--listen loop] prints "LISTENING <url>".
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { closeServer, createTrackedServer, listen, readBody, runStandalone } from './util.mjs';

const result = (id, text) => JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } });

export async function startHostileStreamsServer({ port = 0, host = '127.0.0.1', protocolVersion, listen: listenMode = 'hold' } = {}) {
  const requests = [];
  const held = new Map(); // event id -> the answer its resumption delivers
  let events = 0;
  const server = createTrackedServer(async (req, res) => {
    const rec = {
      method: req.method, headers: { ...req.headers }, lastEventId: req.headers['last-event-id'] ?? null,
      rpc: null, time: Date.now(),
    };
    requests.push(rec);
    if (req.method === 'DELETE') return res.writeHead(200).end();
    if (req.method === 'GET') {
      const last = rec.lastEventId;
      if (last?.startsWith('pl-')) {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        return res.end(`id: pl-${++events}\nretry: 0\ndata:\n\n`);
      }
      if (last && held.has(last)) {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        return res.end(`id: ${last}-done\ndata: ${held.get(last)}\n\n`);
      }
      if (last) return res.writeHead(404).end();
      if (listenMode === 'none') return res.writeHead(405, { Allow: 'POST, DELETE' }).end();
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      if (listenMode === 'loop') return res.end(`id: ls-${++events}\nretry: 0\ndata:\n\n`);
      return res.write(': open\n\n'); // held open until the client goes
    }
    if (req.method !== 'POST') return res.writeHead(405).end();
    let msg;
    try { msg = JSON.parse((await readBody(req, 1 << 20)).toString('utf8')); } catch { return res.writeHead(400).end(); }
    rec.rpc = msg.method ?? 'response';
    if (msg.method === 'tools/call') rec.rpc += ` ${msg.params?.name}`;
    if (msg.id === undefined || msg.method === undefined) return res.writeHead(202).end();
    const id = msg.id;
    const json = (body, headers = {}) => res.writeHead(200, { 'Content-Type': 'application/json', ...headers }).end(body);
    if (msg.method === 'initialize') {
      return json(JSON.stringify({
        jsonrpc: '2.0', id,
        result: {
          protocolVersion: protocolVersion ?? msg.params?.protocolVersion ?? '2025-06-18',
          capabilities: { tools: {} }, serverInfo: { name: 'hostile-streams', version: '1.0.0' },
        },
      }), { 'Mcp-Session-Id': randomUUID() });
    }
    if (msg.method === 'tools/list') return json(JSON.stringify({ jsonrpc: '2.0', id, result: { tools: [] } }));
    const name = msg.params?.name;
    if (name === 'priming-loop') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      return res.end(`id: pl-${++events}\nretry: 0\ndata:\n\n`);
    }
    if (name === 'huge-retry') {
      const ev = `hr-${++events}`;
      held.set(ev, result(id, 'resumed after a huge retry'));
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      return res.end(`id: ${ev}\nretry: 100000000000\ndata:\n\n`);
    }
    if (api.delayMs) await new Promise((r) => setTimeout(r, api.delayMs));
    return json(result(id, name ?? msg.method));
  });
  const actual = await listen(server, port, host);
  const api = {
    url: `http://${host}:${actual}/mcp`,
    port: actual,
    requests,
    delayMs: 0, // set to delay each plain tools/call answer
    stop: () => closeServer(server),
  };
  return api;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runStandalone(startHostileStreamsServer, process.argv.slice(2));
}
