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
  assertAllJsonRpc, killAll, rawHandshake, requireBridge, sleep, spawnRawBridge, spawnServer,
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
    b = spawnRawBridge([srv.url, '--body-timeout', '30']);
    assert.ok((await rawHandshake(b)).result);
    const answered = [call(b, 'echo'), call(b, 'sse-echo')];
    for (const id of answered) assert.ok((await b.waitForId(id)).result, `request ${id} answered`);
    const cutSse = call(b, 'sse-hang');
    const cutJson = call(b, 'json-partial');
    await sleep(800); // both exchanges are under way
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

  for (const [name, what] of [
    ['huge-headers', '10 MB of response headers'],
    ['length-lie', 'a Content-Length of 1 GB and a few bytes'],
    ['sse-bad-utf8', 'invalid UTF-8 in an SSE data: line'],
    ['sse-not-json', 'non-JSON SSE events'],
    ['sse-endless', 'an SSE event that never ends (20 MB, no newline)'],
    ['json-endless', 'a 20 MB JSON body over --max-message-size'],
    ['redirect-loop', 'a redirect loop'],
    ['trickle-stall', 'a body that trickles then stalls (--body-timeout 3)'],
  ]) {
    test(`${what}: an error, and the bridge carries on`, async () => {
      const r = await b.waitForId(call(b, name), 25000);
      assertError(r, what);
      await assertHealthy(b, what);
    });
  }

  test('an HTTP error whose message is cut inside a UTF-8 character still yields an error', {
    todo: 'BUG: streamable.c describe_http_error() cuts the message with "%.300s" mid-character; '
      + 'jr_error_response() then returns NULL (jansson refuses invalid UTF-8) and relay.c emit_error() '
      + 'writes nothing, so the request is never answered',
  }, async () => {
    const r = await b.waitForId(call(b, 'error-utf8'), 8000);
    assertError(r, 'HTTP 500 with a long UTF-8 message');
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

  test('other requests are served meanwhile', async () => {
    call(b, 'trickle');
    await sleep(1500);
    await assertHealthy(b, 'a trickling response in flight');
  });

  test('the trickled request ends within 12 s (--body-timeout 3)', {
    todo: 'LIMIT: --body-timeout is an idle timeout and a byte a second resets it; there is no '
      + 'whole-exchange deadline, so a trickling server holds the request (and its connection) forever',
  }, async () => {
    const id = call(b, 'trickle');
    const r = await b.waitForId(id, 12000);
    assert.ok(r.result || r.error);
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
    const id = call(b, 'sse-endless');
    // 20 MB is under the default 64 MiB limit: the event is held until the
    // server stops sending, then the stream is idle; what matters is memory.
    await sleep(4000);
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

  test('a hidden tool whose name is cut inside a character is still refused', {
    todo: 'BUG: relay.c on_host_one() formats the name with "%.200s", which can split a UTF-8 '
      + 'character; jr_error_response() then returns NULL and nothing is written (in a batch, the '
      + 'whole batch reply is lost)',
  }, async () => {
    const id = nextId++;
    b.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: `a${'é'.repeat(150)}`, arguments: {} } });
    assertError(await b.waitForId(id, 5000), 'a hidden tool with a long UTF-8 name');
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
