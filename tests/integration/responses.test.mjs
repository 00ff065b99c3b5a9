// Response shapes: SSE-response vs JSON-response servers, stateless servers,
// concurrency and id matching, progress relay, large results, resumption of a
// server-closed SSE stream, and remote failures turned into JSON-RPC errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAllJsonRpc, callTool, connectBridge, killAll, progressOnStdout, rawHandshake, requireBridge, resultText,
  spawnRawBridge, startServer,
} from '../lib/harness.mjs';
import { bigText } from '../servers/streamable.mjs';

const BIG = 5 * 1024 * 1024;

for (const mode of ['sse', 'json']) {
  describe(`${mode}-response server`, { timeout: 45000 }, () => {
    let srv, h;
    before(async () => {
      requireBridge();
      srv = await startServer('streamable', { json: mode === 'json' });
      h = await connectBridge(srv.url, { args: ['--max-message-size', '16M'] });
    });
    after(async () => {
      await h?.close();
      await srv?.stop();
      await killAll();
    });

    test('server answered in the expected mode', () => {
      const init = srv.posts('initialize')[0];
      assert.ok(init, 'initialize was POSTed');
      const accept = init.headers.accept ?? '';
      assert.match(accept, /application\/json/, 'POST Accept lists application/json');
      assert.match(accept, /text\/event-stream/, 'POST Accept lists text/event-stream');
    });

    test('echo and add', async () => {
      assert.equal(resultText(await callTool(h.client, 'echo', { message: `mode ${mode} ✓ "quoted"` })), `mode ${mode} ✓ "quoted"`);
      assert.equal(resultText(await callTool(h.client, 'add', { a: 2.5, b: -7 })), '-4.5');
    });

    test('tool error result (isError) is relayed as a result', async () => {
      const r = await callTool(h.client, 'fail', { message: 'boom' });
      assert.equal(r.isError, true);
      assert.match(resultText(r), /boom/);
    });

    test('20 concurrent calls, answered out of order, each with its own result', async () => {
      const calls = [];
      for (let i = 0; i < 20; i++) {
        // later calls finish first
        calls.push(callTool(h.client, 'slow', { ms: (20 - i) * 25, steps: 1, tag: `call-${i}` }, { timeout: 20000 }));
      }
      const results = await Promise.all(calls);
      results.forEach((r, i) => assert.equal(resultText(r), `slept ${(20 - i) * 25} call-${i}`));
      // The POSTs overlapped: all 20 were sent before the first answer could come back.
      const posts = srv.posts('tools/call').filter((e) => e.rpc.some((m) => m.method === 'tools/call'));
      assert.ok(posts.length >= 20);
    });

    if (mode === 'sse') {
      test('progress notifications are relayed before the result', async () => {
        const progress = [];
        const r = await callTool(h.client, 'slow', { ms: 600, steps: 4 }, {
          timeout: 15000,
          onprogress: (p) => progress.push(p),
        });
        assert.equal(resultText(r), 'slept 600');
        // The SDK client handles notifications a microtask later than responses, so
        // a progress line read in the same chunk as the result is dropped by the
        // client ("unknown token"). Check the relay order on the raw stdout instead.
        assert.ok(progress.length >= 3, `progress seen by the client: ${JSON.stringify(progress)}`);
        assert.ok(progress.every((p) => p.total === 4));
        const { progress: seen, beforeResult } = progressOnStdout(h, 'slept 600');
        assert.deepEqual(seen, [1, 2, 3, 4], 'all four progress notifications relayed');
        assert.ok(beforeResult, 'every progress line precedes the result line');
      });

      test('server closes the SSE stream mid-request (2025-11-25 polling) -> bridge resumes with Last-Event-ID', async () => {
        const progress = [];
        const r = await callTool(h.client, 'poll', { ms: 700 }, { timeout: 15000, onprogress: (p) => progress.push(p) });
        const out = JSON.parse(resultText(r));
        const negotiated = h.messages().find((m) => m.result?.protocolVersion)?.result.protocolVersion;
        if (out.closedStream) {
          const resume = srv.log.find((e) => e.method === 'GET' && e.lastEventId);
          assert.ok(resume, 'a GET with Last-Event-ID resumed the closed stream');
          assert.equal(resume.status, 200);
        } else {
          // Only when the negotiated protocol is older than 2025-11-25.
          assert.ok(!negotiated || negotiated < '2025-11-25', `stream not closed with protocol ${negotiated}`);
        }
        assert.ok(progress.length >= 1);
        const seen = progressOnStdout(h, resultText(r));
        assert.deepEqual(seen.progress, [1, 2], 'both progress notifications relayed (one before, one after the resume)');
        assert.ok(seen.beforeResult);
      });
    }

    test('a 5 MiB result arrives intact', async () => {
      const r = await callTool(h.client, 'big', { bytes: BIG }, { timeout: 30000 });
      const t = resultText(r);
      assert.equal(t.length, BIG);
      assert.ok(t === bigText(BIG), 'content identical');
    });

    test('a 1 MiB argument goes out intact', async () => {
      const msg = bigText(1024 * 1024);
      const r = await callTool(h.client, 'echo', { message: msg }, { timeout: 20000 });
      assert.ok(resultText(r) === msg);
    });

    test('stdout carried only JSON-RPC lines; no client errors', () => {
      assertAllJsonRpc(h.lines);
      const errs = h.errors.filter((e) => !/progress notification for an unknown token/.test(String(e)));
      assert.equal(errs.length, 0, `client errors: ${errs.map(String).join('; ')}`);
    });
  });
}


describe('stateless server (no session id, GET not allowed)', { timeout: 30000 }, () => {
  let srv, h;
  before(async () => {
    requireBridge();
    srv = await startServer('streamable', { stateless: true, json: true });
    h = await connectBridge(srv.url);
  });
  after(async () => {
    await h?.close();
    await srv?.stop();
    await killAll();
  });

  test('calls work and never carry a session id', async () => {
    assert.equal(resultText(await callTool(h.client, 'add', { a: 1, b: 2 })), '3');
    const { tools } = await h.client.listTools(undefined, { timeout: 10000 });
    assert.ok(tools.some((t) => t.name === 'echo'));
    for (const e of srv.log.filter((x) => x.method === 'POST')) {
      assert.equal(e.headers['mcp-session-id'], undefined);
    }
  });

  test('GET 405 does not break the session', async () => {
    await srv.log.waitFor((e) => e.method === 'GET' && e.status === 405, 5000, 'the bridge\'s GET to be refused with 405');
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'still fine' })), 'still fine');
  });
});

describe('raw ids are preserved exactly', { timeout: 30000 }, () => {
  let srv, b;
  before(async () => {
    requireBridge();
    srv = await startServer('streamable');
    b = spawnRawBridge([srv.url]);
    const init = await rawHandshake(b, { id: 'init-raw' });
    assert.ok(init.result, `initialize failed: ${JSON.stringify(init)}`);
  });
  after(async () => {
    b?.kill();
    await srv?.stop();
    await killAll();
  });

  test('string, zero, negative, large and unicode ids, 20 in flight', async () => {
    const ids = [0, -1, 1, 9007199254740991, 'a', '', 'id with "quotes" and \\ backslash', 'ünïcødé-✓', '42', 'null',
      7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    ids.forEach((id, i) => {
      b.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow', arguments: { ms: (ids.length - i) * 20, steps: 1, tag: `t${i}` } } });
    });
    const got = await Promise.all(ids.map((id) => b.waitForId(id, 15000)));
    got.forEach((m, i) => {
      assert.ok(m.result, `id ${JSON.stringify(ids[i])}: ${JSON.stringify(m)}`);
      assert.equal(m.result.content?.[0]?.text, `slept ${(ids.length - i) * 20} t${i}`, `id ${JSON.stringify(ids[i])}: ${JSON.stringify(m)}`);
    });
    // each id answered exactly once
    const msgs = assertAllJsonRpc(b.lines, 'bridge stdout');
    for (const id of ids) {
      assert.equal(msgs.filter((m) => m.id === id && ('result' in m || 'error' in m)).length, 1, `id ${JSON.stringify(id)} answered once`);
    }
  });

  test('a notification from the client gets no response', async () => {
    const before = b.lines.length;
    b.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'nothing', reason: 'test' } });
    b.send({ jsonrpc: '2.0', id: 'after-notif', method: 'ping' });
    const r = await b.waitForId('after-notif');
    assert.deepEqual(r.result, {});
    assert.equal(b.lines.length, before + 1, `unexpected extra output: ${b.lines.slice(before).join('\n')}`);
  });
});

describe('remote failures (-> JSON-RPC errors with the request id) and odd but valid bodies', { timeout: 40000 }, () => {
  let srv, b;
  before(async () => {
    requireBridge();
    srv = await startServer('streamable');
    b = spawnRawBridge([srv.url]);
    const init = await rawHandshake(b);
    assert.ok(init.result, `initialize failed: ${JSON.stringify(init)}`);
  });
  after(async () => {
    b?.kill();
    await srv?.stop();
    await killAll();
  });

  const call = (id, message = 'x') => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message } } });

  async function expectErrorThenRecovery(id, fault) {
    srv.injectFault(fault);
    b.send(call(id));
    const r = await b.waitForId(id, 15000);
    assert.ok(r.error, `expected an error for ${JSON.stringify(fault)}, got ${JSON.stringify(r)}`);
    assert.ok(Number.isInteger(r.error.code));
    assert.equal(typeof r.error.message, 'string');
    assert.ok(r.error.message.length > 0);
    // still alive and working
    b.send(call(`${id}-after`, 'recovered'));
    const ok = await b.waitForId(`${id}-after`, 15000);
    assert.equal(ok.result?.content?.[0]?.text, 'recovered', JSON.stringify(ok));
    assert.equal(b.exitInfo, null, 'bridge still running');
    return r;
  }

  test('HTTP 500 with a text body', async () => {
    const r = await expectErrorThenRecovery('e500', { status: 500, body: 'internal kaboom' });
    assert.equal(r.error.message, `${srv.url} answered HTTP 500`);
  });

  test('HTTP 503', async () => {
    const r = await expectErrorThenRecovery('e503', { status: 503, body: 'unavailable' });
    assert.equal(r.error.message, `${srv.url} answered HTTP 503`);
  });

  test('HTTP 200 with a malformed JSON body', async () => {
    const r = await expectErrorThenRecovery('emal', { kind: 'malformed' });
    assert.equal(r.error.message, `${srv.url} answered HTTP 200 without a JSON-RPC response`);
  });

  test('HTTP 200 with an unexpected content type', async () => {
    const r = await expectErrorThenRecovery('ect', { status: 200, contentType: 'text/html', body: '<html>login</html>' });
    assert.equal(r.error.message, `${srv.url} answered HTTP 200 without a JSON-RPC response`);
  });

  test('a pretty-printed (multi-line) JSON body is relayed as one line', async () => {
    srv.injectFault({ kind: 'pretty-json', text: 'pretty ✓' });
    b.send(call('pretty'));
    const r = await b.waitForId('pretty', 10000);
    assert.equal(r.result?.content?.[0]?.text, 'pretty ✓', JSON.stringify(r));
  });

  test('an SSE event split over data: lines with CRLF endings is reassembled', async () => {
    srv.injectFault({ kind: 'sse-multiline', text: 'multi-line sse' });
    b.send(call('sse-ml'));
    const r = await b.waitForId('sse-ml', 10000);
    assert.equal(r.result?.content?.[0]?.text, 'multi-line sse', JSON.stringify(r));
  });

  test('connection reset mid-request (an error, or a transparent retry; exactly one answer)', async () => {
    srv.injectFault({ kind: 'reset' });
    b.send(call('ereset', 'after reset'));
    const r = await b.waitForId('ereset', 15000);
    if (r.result) assert.equal(r.result.content[0].text, 'after reset');
    else assert.match(r.error.message, /: the server closed the connection without answering/, JSON.stringify(r));
    b.send(call('ereset-after', 'recovered'));
    const ok = await b.waitForId('ereset-after', 15000);
    assert.equal(ok.result?.content?.[0]?.text, 'recovered', JSON.stringify(ok));
    const answers = b.messages().filter((m) => m.id === 'ereset');
    assert.equal(answers.length, 1, 'answered exactly once');
  });

  test('stdout carried only JSON-RPC lines', () => {
    assertAllJsonRpc(b.lines, 'bridge stdout');
    assert.equal(b.partial(), '');
  });
});
