// Fault injection on the transport: a remote MCP server (tests/servers/hostile.mjs)
// that dies mid-stream, trickles, floods headers, lies about lengths, sends
// garbage in SSE events, never ends an event, or redirects forever. Whatever it
// does, the bridge stays alive, keeps its memory bounded, answers every request
// with a result or a JSON-RPC error, writes only JSON-RPC to stdout, and serves
// the next request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  assertAllJsonRpc, bytesWritten, killAll, rawHandshake, requireBridge, sleep, spawnRawBridge, spawnServer,
  tcpQueuesEmpty, waitUntil,
} from '../lib/harness.mjs';

const MEMORY_LIMIT_KB = 100 * 1024;

/** Peak resident set of a live process, in kB (VmHWM). */
function peakRssKb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

let nextId = 100;
function call(b, name) {
  const id = nextId++;
  b.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });
  return id;
}

/** The bridge is alive, answers a normal request, and wrote only JSON-RPC. */
async function assertHealthy(b, what) {
  assert.equal(b.exitInfo, null, `the bridge is still running after ${what}\n${b.stderr()}`);
  const r = await b.waitForId(call(b, 'echo'), 10000);
  assert.equal(r.result?.content?.[0]?.text, 'echo', `a normal request works after ${what}`);
  assertAllJsonRpc(b.lines, `stdout after ${what}`);
  assert.equal(b.partial(), '', 'no half line on stdout');
  const kb = peakRssKb(b.child.pid);
  assert.ok(kb < MEMORY_LIMIT_KB, `peak memory ${kb} kB stays under ${MEMORY_LIMIT_KB} kB after ${what}`);
}

function assertError(r, what) {
  assert.ok(r.error, `${what}: a JSON-RPC error, got ${JSON.stringify(r).slice(0, 300)}`);
  assert.equal(typeof r.error.message, 'string');
  assert.ok(r.error.message.length > 0);
}

describe('faults: the remote dies mid-response', { timeout: 60000 }, () => {
  let srv, b;
  before(async () => {
    requireBridge();
    srv = await spawnServer('hostile.mjs');
  });
  after(async () => {
    b?.kill();
    await srv?.stop();
    await killAll();
  });

  test('answered requests delivered, cut ones get errors, the next one works after a restart', async () => {
    b = spawnRawBridge([srv.url, '--body-timeout', '30', '--debug']);
    assert.ok((await rawHandshake(b)).result);
    const answered = [call(b, 'echo'), call(b, 'sse-echo')];
    for (const id of answered) assert.ok((await b.waitForId(id)).result, `request ${id} answered`);
    const from = b.stderr().length;
    const cutSse = call(b, 'sse-hang');
    const cutJson = call(b, 'json-partial');
    // Both exchanges are under way: their response headers have arrived.
    await b.waitStderr(/(-> HTTP 200[^]*){2}/, 10000, from);
    await srv.stop('SIGKILL');
    const t0 = Date.now();
    assertError(await b.waitForId(cutSse, 15000), 'the SSE stream cut by the server\'s death');
    assertError(await b.waitForId(cutJson, 15000), 'the JSON body cut by the server\'s death');
    const tookMs = Date.now() - t0;
    // Restart on the same port; the next request is served.
    srv = await spawnServer('hostile.mjs', ['--port', String(srv.port)]);
    await assertHealthy(b, 'the server restarted');
    const answers = b.messages().filter((m) => answered.includes(m?.id));
    assert.equal(answers.length, answered.length, 'each answered request delivered exactly once');
    assert.ok(tookMs < 15000, `errors came ${tookMs} ms after the kill`);
  });
});

describe('faults: hostile responses', { timeout: 60000 }, () => {
  let srv, b;
  before(async () => {
    requireBridge();
    srv = await spawnServer('hostile.mjs');
    b = spawnRawBridge([srv.url, '--max-message-size', '1M', '--body-timeout', '3', '--headers-timeout', '5']);
    assert.ok((await rawHandshake(b)).result);
  });
  after(async () => {
    b?.kill();
    await srv?.stop();
    await killAll();
  });

  // Each error says what went wrong (the user reads it in the host).
  for (const [name, what, says] of [
    ['huge-headers', '10 MB of response headers', /: the response headers are larger than \d+ bytes$/],
    ['length-lie', 'a Content-Length of 1 GB and a few bytes', /: the server closed the connection with \d+ bytes of the response missing$/],
    ['sse-bad-utf8', 'invalid UTF-8 in an SSE data: line', /closed the response stream without answering$/],
    ['sse-not-json', 'non-JSON SSE events', /closed the response stream without answering$/],
    ['sse-endless', 'an SSE event that never ends (20 MB, no newline)',
      /: the server sent an SSE event larger than the 1048576-byte limit \(--max-message-size\)$/],
    ['json-endless', 'a 20 MB JSON body over --max-message-size',
      /: the server sent a response larger than the 1048576-byte limit \(--max-message-size\)$/],
    ['redirect-loop', 'a redirect loop', /: redirected to a refused URL scheme/],
    ['trickle-stall', 'a body that trickles then stalls (--body-timeout 3)', /: no data for 3 s \(--body-timeout\)$/],
  ]) {
    test(`${what}: an error, and the bridge carries on`, async () => {
      const r = await b.waitForId(call(b, name), 25000);
      assertError(r, what);
      assert.match(r.error.message, says);
      await assertHealthy(b, what);
    });
  }

  test('an HTTP error whose message is cut inside a UTF-8 character still yields an error', async () => {
    const r = await b.waitForId(call(b, 'error-utf8'), 8000);
    assertError(r, 'HTTP 500 with a long UTF-8 message');
    // The message names the status and quotes the server's text up to the cut;
    // the split character is replaced, never passed on as a broken byte.
    assert.match(r.error.message, /answered HTTP 500: a{299}/, r.error.message);
    assert.ok(!r.error.message.includes('\uFFFD\uFFFD'), r.error.message);
    await assertHealthy(b, 'a long UTF-8 error message');
  });
});

describe('faults: a server that trickles one byte per second', { timeout: 60000 }, () => {
  let srv, b;
  before(async () => {
    requireBridge();
    srv = await spawnServer('hostile.mjs');
    b = spawnRawBridge([srv.url, '--body-timeout', '3', '--headers-timeout', '3']);
    assert.ok((await rawHandshake(b)).result);
  });
  after(async () => {
    b?.kill();
    await srv?.stop();
    await killAll();
  });

  // --body-timeout is documented as an idle timeout ("a response that sends
  // nothing for SECONDS"): a byte a second keeps the response alive, and the
  // bridge meanwhile serves other requests. (trickle-stall above: once the bytes
  // stop, the timeout cuts the response.)
  test('a response trickling a byte a second outlives --body-timeout 3 (an idle timeout); others are served meanwhile', async () => {
    const id = call(b, 'trickle');
    await assertHealthy(b, 'a trickling response in flight');
    // Waiting is the point: more than twice the idle timeout passes.
    await sleep(7000);
    assert.equal(b.messages().find((m) => m?.id === id), undefined,
      `the trickling response is still pending, not cut as idle\n${b.stderr()}`);
    await assertHealthy(b, 'a trickling response in flight for 7 s');
    assert.doesNotMatch(b.stderr(), /timed out|timeout/i, 'no timeout was reported');
  });
});

// Memory stays bounded across the whole file's worth of abuse, checked once more
// at the end with a fresh bridge that receives only the heaviest cases.
describe('faults: peak memory under the heaviest cases', { timeout: 60000 }, () => {
  let srv, b;
  before(async () => {
    requireBridge();
    srv = await spawnServer('hostile.mjs');
    b = spawnRawBridge([srv.url]); // default --max-message-size (64 MiB)
    assert.ok((await rawHandshake(b)).result);
  });
  after(async () => {
    b?.kill();
    await srv?.stop();
    await killAll();
  });

  test('10 MB of headers and a 20 MB endless SSE event at the default limits', async () => {
    assertError(await b.waitForId(call(b, 'huge-headers'), 20000), 'huge headers');
    const sent0 = bytesWritten(srv.child.pid);
    const id = call(b, 'sse-endless');
    // 20 MB is under the default 64 MiB limit: the event is held until the
    // server stops sending, then the stream is idle; what matters is memory.
    // Wait until the server has written all of it and the bridge has read it.
    await waitUntil(() => bytesWritten(srv.child.pid) - sent0 >= 20 * 1024 * 1024, 30000,
      'the server to write the 20 MB event');
    await waitUntil(() => tcpQueuesEmpty(srv.port), 30000, 'the bridge to read the whole event');
    const kb = peakRssKb(b.child.pid);
    assert.ok(kb < MEMORY_LIMIT_KB, `peak memory ${kb} kB with a 20 MB unfinished event buffered`);
    b.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id } });
    await assertHealthy(b, 'an endless event at the default limit');
  });
});

describe('faults: error messages built from UTF-8 text', { timeout: 30000 }, () => {
  let srv, b;
  before(async () => {
    requireBridge();
    srv = await spawnServer('hostile.mjs');
    b = spawnRawBridge([srv.url, '--ignore-tool', '*']);
    assert.ok((await rawHandshake(b)).result);
  });
  after(async () => {
    b?.kill();
    await srv?.stop();
    await killAll();
  });

  test('a hidden tool whose name is cut inside a character is still refused', async () => {
    const id = nextId++;
    b.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: `a${'é'.repeat(150)}`, arguments: {} } });
    const r = await b.waitForId(id, 5000);
    assertError(r, 'a hidden tool with a long UTF-8 name');
    assert.equal(r.error.code, -32602, JSON.stringify(r));
    assert.match(r.error.message, /^Tool "aé+\uFFFD?" is not available \(hidden by --ignore-tool\)$/, r.error.message);
  });

  test('in a batch, the refusal and the other answers all come back in one reply', async () => {
    const hidden = nextId++, ping = nextId++;
    b.sendLine(JSON.stringify([
      { jsonrpc: '2.0', id: hidden, method: 'tools/call', params: { name: `a${'é'.repeat(150)}`, arguments: {} } },
      { jsonrpc: '2.0', id: ping, method: 'ping' },
    ]));
    const reply = await b.waitFor((m) => Array.isArray(m) && m.some((x) => x?.id === hidden), 5000, 'the batch reply');
    assert.equal(reply.length, 2, JSON.stringify(reply));
    assert.equal(reply.find((x) => x.id === hidden)?.error?.code, -32602, JSON.stringify(reply));
    assert.deepEqual(reply.find((x) => x.id === ping)?.result, {}, JSON.stringify(reply));
    assertAllJsonRpc(b.lines.filter((l) => !l.startsWith('[')), 'stdout');
  });
});

// A keep-alive connection the server drops (with a reset) just as a request
// arrives on it: the race every HTTP client meets when a server closes idle
// connections. The request has not been answered at all, so it is sent again on
// a new connection instead of failing.
describe('faults: a reused connection reset under a request', { timeout: 30000 }, () => {
  let server, url, resetNext = false, resets = 0;
  before(async () => {
    requireBridge();
    const net = await import('node:net');
    server = net.createServer((sock) => {
      let buf = Buffer.alloc(0), served = 0;
      sock.on('error', () => {});
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.subarray(0, end).toString('latin1');
          const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          if (buf.length < end + 4 + len) return;
          const body = buf.subarray(end + 4, end + 4 + len).toString('utf8');
          buf = buf.subarray(end + 4 + len);
          if (resetNext && served > 0) {
            resetNext = false;
            resets++;
            sock.resetAndDestroy();
            return;
          }
          served++;
          const reply = (status, json, extra = '') => sock.write(
            `HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
          if (!head.startsWith('POST')) { reply(405, '{}'); continue; }
          const m = JSON.parse(body);
          if (m.method === 'initialize') {
            reply(200, JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'reset', version: '1' } } }), 'Mcp-Session-Id: s1\r\n');
          } else if (m.id === undefined) {
            reply(202, '');
          } else {
            reply(200, JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'echo' }] } }));
          }
        }
      });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${server.address().port}/mcp`;
  });
  after(async () => {
    await killAll();
    server?.close();
  });

  test('the request is sent again on a new connection and answered', async () => {
    const b = spawnRawBridge([url]);
    const init = await rawHandshake(b);
    assert.ok(init.result, `initialize: ${JSON.stringify(init)}\n${b.stderr()}`);
    const first = await b.waitForId(call(b, 'echo'), 10000);
    assert.equal(first.result?.content?.[0]?.text, 'echo', JSON.stringify(first));
    for (let round = 0; round < 3; round++) {
      resetNext = true;
      const r = await b.waitForId(call(b, 'echo'), 10000);
      assert.equal(r.result?.content?.[0]?.text, 'echo', `after a reset: ${JSON.stringify(r)}\n${b.stderr()}`);
    }
    assert.equal(resets, 3, 'the server reset three reused connections');
    assertAllJsonRpc(b.lines, 'stdout');
  });
});
