// The GET stream for server-initiated messages opens once the host's
// notifications/initialized has gone through, and not when some other message
// merely contains that text (the method is read from the parsed message).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { initializeRequest, killAll, requireBridge, spawnRawBridge, startServer } from '../lib/harness.mjs';

describe('what counts as notifications/initialized', { timeout: 30000 }, () => {
  let srv, b;
  before(async () => {
    requireBridge();
    srv = await startServer('streamable');
    b = spawnRawBridge([srv.url]);
  });
  after(async () => {
    b?.kill();
    await srv?.stop();
    await killAll();
  });

  test('a notification whose params name it does not open the GET stream; the real one does', async () => {
    b.send(initializeRequest(1));
    assert.ok((await b.waitForId(1)).result);
    b.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 99, reason: 'notifications/initialized' } });
    await srv.log.waitFor((e) => e.method === 'POST' && e.rpc?.[0]?.method === 'notifications/cancelled' && e.status !== null,
      5000, 'the cancelled notification answered');
    b.send({ jsonrpc: '2.0', id: 2, method: 'ping' });
    assert.deepEqual((await b.waitForId(2)).result, {});
    assert.equal(srv.log.filter((e) => e.method === 'GET').length, 0, 'no GET stream yet');
    b.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await srv.log.waitFor((e) => e.method === 'GET', 5000, 'the GET stream after notifications/initialized');
  });
});
