// A hostile Streamable HTTP "MCP server" for the fault-injection tests
// (tests/integration/faults*.test.mjs). It speaks just enough MCP to be
// initialized (no session id), and misbehaves on demand: the behaviour of a
// request is picked by its tools/call name, so one server serves every case
// and the tests need no control channel.
//
//   echo            a normal JSON answer
//   sse-echo        a normal text/event-stream answer
//   sse-hang        SSE headers and half an event, then nothing (kill the server)
//   json-partial    Content-Length: 4096 and half the body, then nothing
//   trickle         a JSON answer, one byte per second, that never ends
//   trickle-stall   five bytes of a JSON answer, one per second, then silence
//   huge-headers    10 MB of response headers (raw socket)
//   length-lie      Content-Length: 1 GB, a few bytes, then the connection closes
//   sse-bad-utf8    an SSE event whose data: is not UTF-8, then the stream ends
//   sse-not-json    an SSE event whose data: is not JSON, then the stream ends
//   sse-endless     an SSE event that never ends: data without a newline, 20 MB
//   json-endless    a JSON body of 20 MB (no Content-Length)
//   redirect-loop   307 to itself, forever
//   error-utf8      HTTP 500 with a JSON-RPC error whose message has a 2-byte
//                   character straddling byte 300 (the bridge cuts there)
//
// Standalone: node hostile.mjs [--port N] prints "LISTENING <url>".
import { fileURLToPath } from 'node:url';
import { createTrackedServer, listen, closeServer, readBody, runStandalone } from './util.mjs';

const MB = 1024 * 1024;

function rpcResult(id, result) {
  return JSON.stringify({ jsonrpc: '2.0', id, result });
}

function textResult(id, text) {
  return rpcResult(id, { content: [{ type: 'text', text }] });
}

/** Write `total` bytes of `chunk` repetitions, respecting back-pressure. */
async function writeMany(stream, chunk, total) {
  for (let sent = 0; sent < total && !stream.destroyed; sent += chunk.length) {
    if (!stream.write(chunk)) {
      await new Promise((r) => {
        stream.once('drain', r);
        stream.once('close', r);
      });
    }
  }
}

export async function startHostileServer({ port = 0, host = '127.0.0.1' } = {}) {
  const seen = []; // "method name" of every request received, for the tests
  const timers = new Set();
  const every = (ms, fn) => {
    const t = setInterval(fn, ms);
    timers.add(t);
    return t;
  };
  const server = createTrackedServer(async (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(405, { Allow: 'POST' }).end();
      return;
    }
    if (req.method === 'DELETE') {
      res.writeHead(200).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const body = await readBody(req, 4 * MB);
    let msg;
    try { msg = JSON.parse(body.toString('utf8')); } catch { res.writeHead(400).end(); return; }
    const name = msg.method === 'tools/call' ? msg.params?.name : undefined;
    seen.push(`${msg.method ?? 'response'}${name ? ` ${name}` : ''}`);
    if (msg.id === undefined || msg.method === undefined) {
      res.writeHead(202).end();
      return;
    }
    const id = msg.id;
    if (msg.method === 'initialize') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(rpcResult(id, {
        protocolVersion: msg.params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'hostile', version: '1.0.0' },
      }));
      return;
    }
    if (msg.method === 'ping') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(rpcResult(id, {}));
      return;
    }
    if (msg.method === 'tools/list') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(rpcResult(id, { tools: [] }));
      return;
    }
    const sock = req.socket;
    switch (name) {
      case 'sse-echo':
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.end(`event: message\ndata: ${textResult(id, 'sse-echo')}\n\n`);
        return;
      case 'sse-hang':
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write(`event: message\ndata: {"jsonrpc":"2.0","id":${JSON.stringify(id)},"res`);
        return; // never ends
      case 'json-partial': {
        const full = textResult(id, 'x'.repeat(4096));
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(full) });
        res.write(full.slice(0, 100));
        return; // never ends
      }
      case 'trickle':
      case 'trickle-stall': {
        // Raw bytes on the socket: headers at once, then the body byte by byte.
        const full = Buffer.from(textResult(id, 'trickled') + ' '.repeat(1e6));
        sock.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${full.length}\r\n\r\n`);
        let i = 0;
        const t = every(1000, () => {
          if (sock.destroyed || (name === 'trickle-stall' && i >= 5)) {
            clearInterval(t);
            return;
          }
          sock.write(full.subarray(i, i + 1));
          i++;
        });
        return;
      }
      case 'huge-headers': {
        sock.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n');
        const line = Buffer.from(`X-Filler: ${'h'.repeat(8000)}\r\n`);
        await writeMany(sock, line, 10 * MB);
        sock.end(`Content-Length: 2\r\n\r\n{}`);
        return;
      }
      case 'length-lie':
        sock.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{"jsonrpc":"2.0"');
        setTimeout(() => sock.destroy(), 300);
        return;
      case 'sse-bad-utf8': {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        const head = Buffer.from(`data: {"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`);
        res.end(Buffer.concat([head, Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"}]}}\n\n')]));
        return;
      }
      case 'sse-not-json':
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.end('data: this is not json\n\ndata: {"jsonrpc":"2.0",\n\ndata: [1,2\n\n');
        return;
      case 'sse-endless':
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write('data: {"jsonrpc":"2.0","id":1,"result":"');
        await writeMany(res, Buffer.alloc(64 * 1024, 'e'), 20 * MB);
        return; // no newline, ever
      case 'json-endless':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"x":"`);
        await writeMany(res, Buffer.alloc(64 * 1024, 'j'), 20 * MB);
        res.end('"}}');
        return;
      case 'redirect-loop':
        res.writeHead(307, { Location: req.url }).end();
        return;
      case 'error-utf8': {
        // "<url> answered HTTP 500: " + "%.300s" of the message: put "é" at 299-300.
        const message = 'a'.repeat(299) + 'é'.repeat(10);
        res.writeHead(500, { 'Content-Type': 'application/json' });
        // Not a JSON-RPC response (no id): the bridge must describe it itself.
        res.end(JSON.stringify({ error: 'server_error', error_description: message }));
        return;
      }
      default:
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(textResult(id, name ?? msg.method));
    }
  });
  const actual = await listen(server, port, host);
  return {
    url: `http://${host}:${actual}/mcp`,
    port: actual,
    seen,
    async stop() {
      for (const t of timers) clearInterval(t);
      await closeServer(server);
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runStandalone(startHostileServer, process.argv.slice(2));
}
