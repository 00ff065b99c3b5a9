// The legacy HTTP+SSE transport (2024-11-05): forced with --transport sse-only,
// reached by fallback from http-first when POST to the SSE URL fails with a 4xx,
// and the transport-mode switches against both kinds of server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAllJsonRpc, callTool, connectBridge, killAll, progressOnStdout, rawHandshake, requireBridge, resultText, spawnRawBridge,
  startServer, withTimeout,
} from '../lib/harness.mjs';

describe('legacy SSE with --transport sse-only', { timeout: 40000 }, () => {
  let srv, h;
  before(async () => {
    requireBridge();
    srv = await startServer('legacy-sse');
    h = await connectBridge(srv.url, { args: ['--transport', 'sse-only', '--header', 'X-Legacy-Test: yes'] });
  });
  after(async () => {
    await h?.close();
    await srv?.stop();
    await killAll();
  });

  test('no Streamable HTTP probe: GET /sse first, POSTs to the endpoint', () => {
    const first = srv.log.entries[0];
    assert.equal(first.method, 'GET');
    assert.equal(first.path, '/sse');
    assert.match(first.headers.accept ?? '', /text\/event-stream/);
    assert.ok(!srv.log.find((e) => e.method === 'POST' && e.path === '/sse'), 'no POST to /sse');
    const init = srv.log.find((e) => e.method === 'POST' && e.rpc?.some((m) => m.method === 'initialize'));
    assert.equal(init.path, '/messages');
    assert.match(init.search, /sessionId=/);
  });

  test('tools/list, echo, add', async () => {
    const { tools } = await h.client.listTools(undefined, { timeout: 10000 });
    assert.deepEqual(tools.map((t) => t.name).sort(), ['add', 'echo', 'headers', 'slow']);
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'legacy ✓' })), 'legacy ✓');
    assert.equal(resultText(await callTool(h.client, 'add', { a: 20, b: 22 })), '42');
  });

  test('custom header sent on the message POSTs', async () => {
    const hdrs = JSON.parse(resultText(await callTool(h.client, 'headers', {})));
    assert.equal(hdrs['x-legacy-test'], 'yes');
    const get = srv.log.entries.find((e) => e.method === 'GET');
    assert.equal(get.headers['x-legacy-test'], 'yes', 'and on the SSE GET');
  });

  test('progress and 10 concurrent calls', async () => {
    const progress = [];
    const r = await callTool(h.client, 'slow', { ms: 300, steps: 3 }, { onprogress: (p) => progress.push(p) });
    assert.equal(resultText(r), 'slept 300');
    assert.ok(progress.length >= 2, JSON.stringify(progress));
    const seen = progressOnStdout(h, 'slept 300');
    assert.deepEqual(seen.progress, [1, 2, 3]);
    assert.ok(seen.beforeResult, 'progress relayed before the result');
    const calls = Array.from({ length: 10 }, (_, i) => callTool(h.client, 'echo', { message: `c${i}` }));
    (await Promise.all(calls)).forEach((res, i) => assert.equal(resultText(res), `c${i}`));
  });

  test('ping', async () => {
    assert.deepEqual(await h.client.ping({ timeout: 10000 }), {});
  });

  test('stdout carried only JSON-RPC lines; stdin EOF -> exit 0', async () => {
    assertAllJsonRpc(h.lines);
    h.transport._process.stdin.end();
    const { code } = await withTimeout(h.exit, 5000, 'exit after EOF');
    assert.equal(code, 0);
  });
});

for (const status of [405, 404, 400]) {
  describe(`http-first falls back to legacy SSE when POST answers ${status}`, { timeout: 30000 }, () => {
    let srv, h;
    before(async () => {
      requireBridge();
      srv = await startServer('legacy-sse', { postSseStatus: status });
      h = await connectBridge(srv.url); // default --transport http-first
    });
    after(async () => {
      await h?.close();
      await srv?.stop();
      await killAll();
    });

    test('POST probe, then GET /sse, then messages', async () => {
      const post = srv.log.entries.find((e) => e.method === 'POST' && e.path === '/sse');
      assert.ok(post, 'tried Streamable HTTP first');
      assert.equal(post.status, status);
      const get = srv.log.entries.find((e) => e.method === 'GET' && e.path === '/sse');
      assert.ok(get && get.time >= post.time, 'then opened the SSE stream');
      assert.equal(resultText(await callTool(h.client, 'echo', { message: `fallback ${status}` })), `fallback ${status}`);
      assert.equal(h.errors.length, 0);
    });
  });
}

describe('transport mode switches', { timeout: 40000 }, () => {
  after(async () => { await killAll(); });

  test('--transport sse-first against a legacy server: no POST probe', async () => {
    const srv = await startServer('legacy-sse');
    const h = await connectBridge(srv.url, { args: ['--transport', 'sse-first'] });
    try {
      assert.equal(resultText(await callTool(h.client, 'echo', { message: 'sse-first' })), 'sse-first');
      assert.ok(!srv.log.find((e) => e.method === 'POST' && e.path === '/sse'));
    } finally {
      await h.close();
      await srv.stop();
    }
  });

  test('--transport sse-first against a Streamable HTTP server falls forward to HTTP', async () => {
    const srv = await startServer('streamable');
    const h = await connectBridge(srv.url, { args: ['--transport', 'sse-first'] });
    try {
      assert.equal(resultText(await callTool(h.client, 'echo', { message: 'forward' })), 'forward');
      assert.ok(srv.posts('initialize').length >= 1);
    } finally {
      await h.close();
      await srv.stop();
    }
  });

  test('--transport http-only against a legacy server: initialize fails with a JSON-RPC error, no GET /sse', async () => {
    const srv = await startServer('legacy-sse');
    const b = spawnRawBridge([srv.url, '--transport', 'http-only', '--connect-timeout', '5']);
    try {
      const r = await rawHandshake(b, { timeoutMs: 15000 });
      assert.ok(r.error, `expected an error, got ${JSON.stringify(r)}`);
      assert.match(r.error.message, /answered HTTP 405/, 'the POST was refused');
      assert.equal(r.id, 0);
      assert.ok(!srv.log.find((e) => e.method === 'GET'), 'never tried the SSE stream');
      assertAllJsonRpc(b.lines);
    } finally {
      b.kill();
      await srv.stop();
    }
  });

  test('--transport sse-only against a Streamable HTTP server: initialize fails with a JSON-RPC error', async () => {
    const srv = await startServer('streamable');
    const b = spawnRawBridge([srv.url, '--transport', 'sse-only', '--connect-timeout', '5']);
    try {
      const r = await rawHandshake(b, { timeoutMs: 15000 });
      assert.ok(r.error, `expected an error, got ${JSON.stringify(r)}`);
      assert.equal(r.error.message, `GET ${srv.url} answered HTTP 400 (expected an SSE stream)`);
      assert.equal(srv.posts('initialize').length, 0, 'never POSTed initialize');
    } finally {
      b.kill();
      await srv.stop();
    }
  });
});
