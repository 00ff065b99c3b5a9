// Servers whose answers would steer the bridge's own requests: a protocolVersion
// carrying a header line, SSE streams that only ever prime (retry: 0) and end,
// and a retry: of 100000000000 ms. The bridge sends no header the server made
// up, keeps its reconnections bounded, and answers the host in bounded time.
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHostileStreamsServer } from '../servers/hostile-streams.mjs';
import {
  assertAllJsonRpc, initializeRequest, killAll, rawHandshake, requireBridge, spawnRawBridge,
} from '../lib/harness.mjs';

const call = (id, name) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });

describe('hostile streams', { timeout: 90000 }, () => {
  let srv;
  afterEach(async () => { await srv?.stop(); srv = null; await killAll(); });
  after(killAll);

  test('a protocolVersion with CR LF never becomes a header; the host gets a clear error', async () => {
    requireBridge();
    srv = await startHostileStreamsServer({ protocolVersion: '2025-06-18\r\nX-Injected: evil', listen: 'hold' });
    const b = spawnRawBridge([srv.url]);
    b.send(initializeRequest(0));
    const init = await b.waitForId(0);
    // What a host might still send: a notification and a request, then EOF.
    b.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    b.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    await b.waitForId(1);
    b.endStdin();
    await b.waitExit(10000);
    assertAllJsonRpc(b.lines);
    const methods = new Set(srv.requests.map((r) => r.method));
    assert.ok(methods.has('POST') && methods.has('DELETE'), `POSTs and a DELETE were made: ${[...methods]}`);
    for (const r of srv.requests) {
      assert.equal(r.headers['x-injected'], undefined, `${r.method} ${r.rpc ?? ''} carried X-Injected`);
      const v = r.headers['mcp-protocol-version'];
      assert.ok(v === undefined || !/[\r\n]/.test(v), `${r.method} carried a bad version header`);
    }
    assert.ok(init.error, `initialize must fail, got ${JSON.stringify(init)}`);
    assert.match(init.error.message, /protocolVersion/);
    assert.match(b.stderr(), /protocolVersion/);
  });

  test('resume GETs answered only with priming events: few GETs, then a JSON-RPC error', async () => {
    requireBridge();
    srv = await startHostileStreamsServer({ listen: 'loop' });
    const b = spawnRawBridge([srv.url]);
    assert.ok((await rawHandshake(b)).result);
    const t0 = Date.now();
    b.send(call(2, 'priming-loop'));
    const r = await b.waitForId(2, 20000);
    const took = Date.now() - t0;
    assert.ok(r.error, `an error, got ${JSON.stringify(r)}`);
    assert.match(r.error.message, /without sending a message/);
    assert.ok(took < 15000, `the error came after ${took} ms`);
    const resumes = srv.requests.filter((q) => q.method === 'GET' && q.lastEventId?.startsWith('pl-'));
    assert.ok(resumes.length >= 1 && resumes.length <= 6, `${resumes.length} resume GETs`);
    // The GET stream for server messages ends at once every time, too: bounded.
    const windowEnd = t0 + took;
    const listens = srv.requests.filter((q) => q.method === 'GET' && !q.lastEventId && q.time <= windowEnd);
    assert.ok(listens.length <= 12, `${listens.length} listening GETs in ${took} ms`);
    b.endStdin();
    await b.waitExit(10000);
    assertAllJsonRpc(b.lines);
  });

  test('retry: 100000000000 on a response stream: resumed within the cap, the answer arrives', async () => {
    requireBridge();
    srv = await startHostileStreamsServer({ listen: 'none' });
    const b = spawnRawBridge([srv.url]);
    assert.ok((await rawHandshake(b)).result);
    const t0 = Date.now();
    b.send(call(3, 'huge-retry'));
    const r = await b.waitForId(3, 15000);
    assert.equal(r.result?.content?.[0]?.text, 'resumed after a huge retry', JSON.stringify(r));
    assert.ok(Date.now() - t0 < 10000, `answered after ${Date.now() - t0} ms`);
    b.endStdin();
    await b.waitExit(10000);
  });
});
