// The legacy HTTP+SSE transport reconnects by the same bounded policy as
// Streamable HTTP: a server's retry: is obeyed within bounds (a retry of 0 is
// not a loop), the wait doubles while reconnections bring no message, and
// after a bounded number of empty reconnections it stops, answers what waits
// with an error, and connects again only when the host sends something.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAllJsonRpc, killAll, requireBridge, sleep, spawnRawBridge, waitUntil } from '../lib/harness.mjs';
import { startHostileLegacyServer } from '../servers/hostile-legacy.mjs';

describe('legacy SSE against a server that ends every stream at once', { timeout: 60000 }, () => {
  let srv;
  before(async () => {
    requireBridge();
    srv = await startHostileLegacyServer({ retryMs: 0 });
  });
  after(async () => {
    await srv?.stop();
    await killAll();
  });

  test('reconnections back off from the floor, stop after five empty ones, and resume on demand', async () => {
    const b = spawnRawBridge([srv.url, '--transport', 'sse-only', '--token-store', 'memory']);
    b.send({ jsonrpc: '2.0', id: 0, method: 'initialize',
      params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    const init = await b.waitForId(0, 15000);
    assert.ok(init.error, `initialize should fail: ${JSON.stringify(init)}`);

    // retry: 0 is raised to the floor (250 ms) and doubles: 250, 500, 1000,
    // 2000, 4000 ms, then no more (about 8 s in all).
    await b.waitStderr(/ended the SSE stream \d+ times in a row without sending a message; not reconnecting/, 30000);
    const stopped = srv.gets.length;
    assert.ok(stopped >= 6 && stopped <= 7, `GET /sse ${stopped} times before stopping`);
    const gaps = srv.gets.slice(1, 6).map((t, i) => t - srv.gets[i]);
    assert.ok(gaps[0] >= 200, `first reconnection after ${gaps[0]} ms (retry: 0 must not be obeyed as is)`);
    for (let i = 1; i < gaps.length; i++)
      assert.ok(gaps[i] >= gaps[i - 1] * 1.5, `the wait doubles: ${gaps.join(', ')} ms`);
    await sleep(2500);
    assert.equal(srv.gets.length, stopped, 'no reconnection after giving up');

    // The host sends again: the bridge connects again and answers.
    b.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const pong = await b.waitForId(1, 15000);
    assert.ok(pong.error || pong.result, JSON.stringify(pong));
    await waitUntil(() => srv.gets.length > stopped, 5000, 'a new GET /sse');

    b.endStdin();
    assert.deepEqual(await b.waitExit(10000), { code: 0, signal: null }, b.stderr());
    assertAllJsonRpc(b.lines);
    assert.equal(b.partial(), '');
  });
});
