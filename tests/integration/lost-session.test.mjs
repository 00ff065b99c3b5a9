// server-everything (the reference server, Streamable HTTP) killed and started
// again on the same port while the bridge is connected: it answers the old
// session id with HTTP 400 "Bad Request: No valid session ID provided". The
// bridge takes that as a lost session, starts a new one with the host's
// initialize, and sends again what was in flight: the host's calls succeed.
// A 400 that is a JSON-RPC error for the request stays that request's answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAllJsonRpc, callTool, connectBridge, killAll, requireBridge, resultText, startServer,
} from '../lib/harness.mjs';
import { createTrackedServer, listen, closeServer, readBody } from '../servers/util.mjs';

describe('server-everything restarted on the same port mid-session', { timeout: 90000 }, () => {
  let server, h, port;
  before(async () => {
    requireBridge();
    server = await startServer('everything');
    port = server.port;
    h = await connectBridge(server.url);
  });
  after(async () => {
    await h?.close();
    await server?.stop();
    await killAll();
  });

  test('before the restart: a call works', async () => {
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'before' })), 'Echo: before');
  });

  test('after the restart: the next calls (three at once) succeed on a new session', async () => {
    await server.stop();
    server = await startServer('everything', { port });
    assert.equal(server.port, port);
    const texts = await Promise.all(['a', 'b', 'c'].map((m) => callTool(h.client, 'echo', { message: m })
      .then(resultText, (e) => `error: ${e.message}`)));
    assert.deepEqual(texts, ['Echo: a', 'Echo: b', 'Echo: c'], h.stderr().slice(-2000));
    const tools = await h.client.listTools(undefined, { timeout: 10000 });
    assert.ok(tools.tools.some((t) => t.name === 'echo'));
    assert.match(h.stderr(), /no longer knows our session \(HTTP 400\)/);
    assert.equal(h.proc.exitCode, null, 'the bridge still runs');
    assertAllJsonRpc(h.lines);
    // The host saw its own initialize answered once; the new session is the bridge's business.
    assert.equal(h.messages().filter((m) => m.result?.serverInfo).length, 1);
  });
});

describe('a 400 that is a JSON-RPC error for the request is its answer', { timeout: 30000 }, () => {
  let srv, h, inits = 0;
  before(async () => {
    requireBridge();
    // A server that rejects one tool's arguments with HTTP 400 and a JSON-RPC
    // error carrying the request's id (no word about sessions).
    srv = createTrackedServer(async (req, res) => {
      if (req.method !== 'POST') return res.writeHead(req.method === 'DELETE' ? 200 : 405).end();
      const msg = JSON.parse((await readBody(req)).toString('utf8'));
      if (msg.id === undefined) return res.writeHead(202).end();
      const send = (status, body, headers = {}) =>
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, ...body }));
      if (msg.method === 'initialize') {
        inits++;
        return send(200, { result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'strict', version: '1' } } },
          { 'Mcp-Session-Id': `s${inits}` });
      }
      if (msg.method === 'tools/call' && msg.params?.name === 'picky') return send(400, { error: { code: -32602, message: 'Invalid params: no such argument' } });
      return send(200, { result: { content: [{ type: 'text', text: 'ok' }] } });
    });
    const port = await listen(srv);
    h = await connectBridge(`http://127.0.0.1:${port}/mcp`);
  });
  after(async () => {
    await h?.close();
    await closeServer(srv);
    await killAll();
  });

  test('the host gets the server\'s error; no new session is started', async () => {
    await assert.rejects(callTool(h.client, 'picky', {}), /no such argument/);
    assert.equal(resultText(await callTool(h.client, 'other', {})), 'ok');
    assert.equal(inits, 1, 'one initialize only');
  });
});
