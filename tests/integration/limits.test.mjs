// The limits that protect the bridge (and the host) each answer the host with a
// JSON-RPC error naming the limit, and the bridge goes on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { killAll, rawHandshake, spawnRawBridge, startServer } from '../lib/harness.mjs';

const call = (id, name, args) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

describe('limits', { timeout: 60000 }, () => {
  let srv;
  before(async () => { srv = await startServer('streamable'); });
  after(async () => { await srv?.stop(); await killAll(); });

  test('--max-pending: a request over the limit is refused, the others are answered', async () => {
    const b = spawnRawBridge([srv.url, '--max-pending', '2']);
    try {
      assert.ok((await rawHandshake(b)).result);
      b.send(call(1, 'slow', { ms: 800, steps: 1 }));
      b.send(call(2, 'slow', { ms: 800, steps: 1 }));
      b.send(call(3, 'echo', { message: 'third' }));
      const third = await b.waitForId(3);
      assert.match(third.error?.message ?? '', /--max-pending/, JSON.stringify(third));
      assert.ok((await b.waitForId(1)).result);
      assert.ok((await b.waitForId(2)).result);
      b.send(call(4, 'echo', { message: 'after' }));
      assert.ok((await b.waitForId(4)).result, 'room again once answered');
    } finally { b.kill(); }
  });

  test('--max-queued-bytes: a response the host would wait for past the limit becomes an error', async () => {
    const b = spawnRawBridge([srv.url, '--max-queued-bytes', '64k']);
    try {
      assert.ok((await rawHandshake(b)).result);
      b.send(call(1, 'big', { bytes: 200000 }));
      const r = await b.waitForId(1);
      assert.match(r.error?.message ?? '', /--max-queued-bytes/, JSON.stringify(r).slice(0, 300));
      b.send(call(2, 'echo', { message: 'small' }));
      assert.ok((await b.waitForId(2)).result);
    } finally { b.kill(); }
  });
});
