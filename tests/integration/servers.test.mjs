// Self-tests of the test servers, without the bridge: the SDK's own HTTP
// clients and plain fetch talk to them directly. If these fail, the bridge
// tests' verdicts mean nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, LoggingMessageNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { killAll, spawnServer, startServer, waitUntil, withTimeout } from '../lib/harness.mjs';
import { bigText } from '../servers/streamable.mjs';

const INIT = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fetch', version: '1' } },
};
const ACCEPT = 'application/json, text/event-stream';

async function httpClient(url, caps = {}) {
  const client = new Client({ name: 'selftest', version: '1' }, { capabilities: caps });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await withTimeout(client.connect(transport), 5000, 'connect');
  return { client, transport };
}

describe('streamable test server (SSE responses, stateful)', { timeout: 30000 }, () => {
  let srv;
  before(async () => { srv = await startServer('streamable'); });
  after(async () => { await srv?.stop(); await killAll(); });

  test('initialize over fetch returns a session id and an SSE body', async () => {
    const r = await fetch(srv.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT }, body: JSON.stringify(INIT) });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /text\/event-stream/);
    assert.ok(r.headers.get('mcp-session-id'));
    const body = await r.text();
    assert.match(body, /"protocolVersion":"2025-06-18"/);
  });

  test('unknown session id gets 404, missing one gets 400', async () => {
    const h = { 'content-type': 'application/json', accept: ACCEPT };
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    let r = await fetch(srv.url, { method: 'POST', headers: { ...h, 'mcp-session-id': 'nope' }, body: list });
    assert.equal(r.status, 404);
    r = await fetch(srv.url, { method: 'POST', headers: h, body: list });
    assert.equal(r.status, 400);
  });

  test('SDK client: tools, progress, big, elicitation, sampling, notifications, expiry', async () => {
    const { client, transport } = await httpClient(srv.url, { elicitation: { form: {} }, sampling: {} });
    try {
      const tools = await client.listTools();
      for (const n of ['echo', 'add', 'slow', 'big', 'elicit', 'sample', 'notify', 'headers', 'expire_sessions', 'poll']) {
        assert.ok(tools.tools.some((t) => t.name === n), `tool ${n}`);
      }
      assert.equal((await client.callTool({ name: 'echo', arguments: { message: 'hi' } })).content[0].text, 'hi');
      const progress = [];
      await client.callTool({ name: 'slow', arguments: { ms: 100, steps: 4 } }, undefined, { onprogress: (p) => progress.push(p) });
      assert.equal(progress.length, 4);
      const big = await client.callTool({ name: 'big', arguments: { bytes: 100000 } });
      assert.equal(big.content[0].text, bigText(100000));

      client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'x' } }));
      client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', model: 'm', content: { type: 'text', text: 'ok' } }));
      const el = JSON.parse((await client.callTool({ name: 'elicit', arguments: {} })).content[0].text);
      assert.deepEqual(el, { action: 'accept', content: { name: 'x' } });
      const el2 = JSON.parse((await client.callTool({ name: 'elicit', arguments: { via: 'get' } })).content[0].text);
      assert.equal(el2.action, 'accept');
      const sa = JSON.parse((await client.callTool({ name: 'sample', arguments: {} })).content[0].text);
      assert.equal(sa.content.text, 'ok');

      const got = [];
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { got.push(n); });
      client.setNotificationHandler(ToolListChangedNotificationSchema, (n) => { got.push(n); });
      const nr = JSON.parse((await client.callTool({ name: 'notify', arguments: {} })).content[0].text);
      assert.equal(nr.getOpen, true);
      await waitUntil(() => got.length >= 2, 10000, 'notifications');

      const pr = JSON.parse((await client.callTool({ name: 'poll', arguments: { ms: 300 } })).content[0].text);
      assert.equal(pr.closedStream, true);
      assert.ok(srv.log.find((e) => e.method === 'GET' && e.lastEventId), 'resumed with Last-Event-ID');

      assert.ok(await srv.expireSessions() >= 1);
      await assert.rejects(client.callTool({ name: 'echo', arguments: { message: 'x' } }));
    } finally {
      await transport.terminateSession().catch(() => {});
      await client.close();
    }
  });

  test('fault injection', async () => {
    const { client } = await httpClient(srv.url);
    try {
      srv.injectFault({ status: 503 });
      await assert.rejects(client.callTool({ name: 'echo', arguments: { message: 'x' } }), /injected failure/);
      srv.injectFault({ kind: 'malformed' });
      await assert.rejects(client.callTool({ name: 'echo', arguments: { message: 'x' } }));
      assert.equal((await client.callTool({ name: 'echo', arguments: { message: 'ok' } })).content[0].text, 'ok');
    } finally {
      await client.close();
    }
  });

  test('DELETE is recorded', async () => {
    const { client, transport } = await httpClient(srv.url);
    const sid = transport.sessionId;
    await transport.terminateSession();
    await client.close();
    assert.ok(srv.deletes.some((d) => d.sessionId === sid && d.known));
  });
});

describe('streamable test server (JSON responses, stateless)', { timeout: 20000 }, () => {
  let json, stateless;
  before(async () => {
    json = await startServer('streamable', { json: true });
    stateless = await startServer('streamable', { stateless: true, json: true });
  });
  after(async () => { await json?.stop(); await stateless?.stop(); });

  test('json mode answers application/json', async () => {
    const r = await fetch(json.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT }, body: JSON.stringify(INIT) });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /application\/json/);
    assert.equal((await r.json()).id, 1);
  });

  test('stateless: no session id, tools work, GET is 405', async () => {
    const { client, transport } = await httpClient(stateless.url);
    assert.equal(transport.sessionId, undefined);
    assert.equal((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).content[0].text, '5');
    await client.close();
    const r = await fetch(stateless.url, { headers: { accept: 'text/event-stream' } });
    assert.equal(r.status, 405);
  });
});

describe('legacy SSE test server', { timeout: 20000 }, () => {
  let srv;
  before(async () => { srv = await startServer('legacy-sse'); });
  after(async () => { await srv?.stop(); });

  test('SDK SSE client works; POST /sse is 405', async () => {
    const client = new Client({ name: 'selftest', version: '1' });
    await withTimeout(client.connect(new SSEClientTransport(new URL(srv.url))), 5000, 'sse connect');
    assert.equal((await client.callTool({ name: 'echo', arguments: { message: 'legacy' } })).content[0].text, 'legacy');
    await client.close();
    const r = await fetch(srv.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT }, body: JSON.stringify(INIT) });
    assert.equal(r.status, 405);
  });
});

describe('standalone servers print LISTENING', { timeout: 30000 }, () => {
  after(async () => { await killAll(); });
  for (const [script, args] of [['streamable.mjs', ['--port', '0', '--json']], ['legacy-sse.mjs', ['--port', '0']], ['everything.mjs', []]]) {
    test(script, async () => {
      const s = await spawnServer(script, args, { timeoutMs: 20000 });
      try {
        assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\//);
        const ep = script === 'legacy-sse.mjs' ? s.url.replace(/\/sse$/, '/nothing') : s.url;
        const r = await fetch(ep, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT }, body: JSON.stringify(INIT) });
        assert.ok(r.status === 200 || r.status === 404, `status ${r.status}`);
        await r.body?.cancel();
      } finally {
        await s.stop();
      }
    });
  }
});
