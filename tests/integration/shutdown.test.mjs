// Shutdown: stdin EOF and SIGTERM end the bridge promptly with exit status 0,
// and a live session is DELETEd on the way out.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAllJsonRpc, freePortClosed, killAll, rawHandshake, requireBridge, spawnRawBridge, startServer,
} from '../lib/harness.mjs';

describe('shutdown', { timeout: 50000 }, () => {
  const servers = [];
  after(async () => {
    for (const s of servers) await s.stop();
    await killAll();
  });
  async function server(opts) {
    const s = await startServer('streamable', opts);
    servers.push(s);
    return s;
  }

  test('stdin EOF -> exit 0 within 5 s, DELETE of the session seen', async () => {
    requireBridge();
    const srv = await server();
    const b = spawnRawBridge([srv.url]);
    try {
      assert.ok((await rawHandshake(b)).result);
      b.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
      await b.waitForId(1);
      const sid = [...srv.sessions.keys()][0];
      const t0 = Date.now();
      b.endStdin();
      const { code, signal } = await b.waitExit(5000);
      assert.equal(signal, null);
      assert.equal(code, 0, `stderr:\n${b.stderr().slice(-1500)}`);
      assert.ok(Date.now() - t0 < 5000);
      const del = srv.deletes.find((d) => d.sessionId === sid);
      assert.ok(del, 'DELETE sent for the session');
      assert.ok(del.time <= Date.now());
      assert.equal(srv.sessions.size, 0, 'the server dropped the session');
      assertAllJsonRpc(b.lines);
    } finally {
      b.kill();
    }
  });

  test('SIGTERM -> exit 0 promptly (and DELETE)', async () => {
    requireBridge();
    const srv = await server();
    const b = spawnRawBridge([srv.url]);
    try {
      assert.ok((await rawHandshake(b)).result);
      const sid = [...srv.sessions.keys()][0];
      b.child.kill('SIGTERM');
      const { code, signal } = await b.waitExit(5000);
      assert.equal(signal, null, 'exited by itself, not by the signal');
      assert.equal(code, 0, `stderr:\n${b.stderr().slice(-1500)}`);
      assert.ok(srv.deletes.find((d) => d.sessionId === sid), 'DELETE sent on SIGTERM');
    } finally {
      b.kill();
    }
  });

  test('SIGTERM while a GET stream and a slow call are open -> exit 0 within 5 s', async () => {
    requireBridge();
    const srv = await server();
    const b = spawnRawBridge([srv.url]);
    try {
      assert.ok((await rawHandshake(b)).result);
      await srv.waitGetOpen(5000);
      b.send({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'slow', arguments: { ms: 20000, steps: 1 } } });
      await srv.log.waitFor((e) => e.rpc?.some((m) => m.id === 'slow'), 5000, 'the slow call to reach the server');
      const t0 = Date.now();
      b.child.kill('SIGTERM');
      const { code } = await b.waitExit(5000);
      assert.equal(code, 0);
      assert.ok(Date.now() - t0 < 5000);
      assertAllJsonRpc(b.lines);
    } finally {
      b.kill();
    }
  });

  test('stdin EOF with a short call in flight -> its answer is still written, then exit 0', async () => {
    requireBridge();
    const srv = await server();
    const b = spawnRawBridge([srv.url]);
    try {
      assert.ok((await rawHandshake(b)).result);
      b.send({ jsonrpc: '2.0', id: 'short', method: 'tools/call', params: { name: 'slow', arguments: { ms: 1000, steps: 1 } } });
      await srv.log.waitFor((e) => e.rpc?.some((m) => m.id === 'short'), 5000, 'the call to reach the server');
      b.endStdin();
      const { code } = await b.waitExit(5000);
      assert.equal(code, 0);
      const msgs = assertAllJsonRpc(b.lines);
      const r = msgs.find((m) => m.id === 'short');
      assert.equal(r?.result?.content?.[0]?.text, 'slept 1000', 'the in-flight answer was delivered before exit');
      assert.equal(b.partial(), '');
    } finally {
      b.kill();
    }
  });

  // The bridge gives in-flight requests a bounded grace period after EOF (about
  // 10 s), then answers them with an error and exits; it must never hang on them.
  test('stdin EOF with a long call in flight -> bounded grace, the request is answered, exit 0', async () => {
    requireBridge();
    const srv = await server();
    const b = spawnRawBridge([srv.url]);
    try {
      assert.ok((await rawHandshake(b)).result);
      b.send({ jsonrpc: '2.0', id: 'inflight', method: 'tools/call', params: { name: 'slow', arguments: { ms: 40000, steps: 1 } } });
      await srv.log.waitFor((e) => e.rpc?.some((m) => m.id === 'inflight'), 5000, 'the call to reach the server');
      const t0 = Date.now();
      b.endStdin();
      const { code } = await b.waitExit(15000);
      assert.equal(code, 0);
      assert.ok(Date.now() - t0 < 15000);
      const msgs = assertAllJsonRpc(b.lines);
      const r = msgs.find((m) => m.id === 'inflight');
      assert.ok(r?.error, `the abandoned request got an error answer: ${JSON.stringify(r)}`);
      assert.equal(b.partial(), '');
      assert.ok(srv.deletes.length >= 1, 'DELETE sent');
    } finally {
      b.kill();
    }
  });

  test('stdin EOF before initialize -> exit 0, no DELETE', async () => {
    requireBridge();
    const srv = await server();
    const b = spawnRawBridge([srv.url]);
    try {
      await b.spawned;
      b.endStdin();
      const { code } = await b.waitExit(5000);
      assert.equal(code, 0);
      assert.equal(srv.deletes.length, 0);
      assert.equal(b.lines.length, 0, 'nothing written to stdout');
    } finally {
      b.kill();
    }
  });

  test('stdin EOF with the server unreachable -> exit 0 within 5 s', async () => {
    requireBridge();
    const port = await freePortClosed();
    const b = spawnRawBridge([`http://127.0.0.1:${port}/mcp`, '--connect-timeout', '2']);
    try {
      b.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
      await b.waitForId(0, 10000);
      b.endStdin();
      const { code } = await b.waitExit(5000);
      assert.equal(code, 0);
    } finally {
      b.kill();
    }
  });

  test('stdin EOF while the server has gone away -> exit 0 within 5 s', async () => {
    requireBridge();
    const srv = await startServer('streamable');
    const b = spawnRawBridge([srv.url]);
    try {
      assert.ok((await rawHandshake(b)).result);
      await srv.stop();
      b.endStdin();
      const { code } = await b.waitExit(5000);
      assert.equal(code, 0);
    } finally {
      b.kill();
    }
  });
});
