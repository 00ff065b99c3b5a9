// Server-to-client traffic: elicitation and sampling requests (on the POST
// response stream and on the GET stream), server pings, and notifications on
// the standalone GET stream. The client's answers must travel back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAllJsonRpc, callTool, connectBridge, killAll, requireBridge, resultText, startServer, waitUntil,
} from '../lib/harness.mjs';

for (const mode of ['sse', 'json']) {
  describe(`server requests and notifications (${mode} responses)`, { timeout: 50000 }, () => {
    let srv, h;
    const elicits = [];
    const samples = [];
    before(async () => {
      requireBridge();
      srv = await startServer('streamable', { json: mode === 'json' });
      h = await connectBridge(srv.url, {
        onElicit: async (req) => {
          elicits.push(req);
          return { action: 'accept', content: { name: `answer-${elicits.length}` } };
        },
        onSample: async (req) => {
          samples.push(req);
          return { role: 'assistant', model: 'bridge-test-model', stopReason: 'endTurn', content: { type: 'text', text: `sampled: ${req.params.messages[0].content.text}` } };
        },
      });
    });
    after(async () => {
      await h?.close();
      await srv?.stop();
      await killAll();
    });

    test('client capabilities reach the server', () => {
      const caps = srv.posts('initialize')[0].initParams.capabilities;
      assert.ok(caps.elicitation, 'elicitation capability forwarded');
      assert.ok(caps.sampling, 'sampling capability forwarded');
    });

    test('the bridge opens the GET stream with the session id', async () => {
      const get = await srv.waitGetOpen(5000);
      assert.match(get.headers.accept ?? '', /text\/event-stream/);
      assert.ok(get.headers['mcp-session-id']);
    });

    // In JSON-response mode a server cannot stream a request on the POST response,
    // so only the GET-stream variants apply there.
    const vias = mode === 'sse' ? ['post', 'get'] : ['get'];
    for (const via of vias) {
      test(`elicitation/create via the ${via} stream: request relayed, answer returned`, async () => {
        const n = elicits.length;
        const r = await callTool(h.client, 'elicit', { message: `Name please (${via})`, via }, { timeout: 20000 });
        assert.equal(elicits.length, n + 1, 'client handler ran once');
        assert.equal(elicits.at(-1).params.message, `Name please (${via})`);
        assert.deepEqual(elicits.at(-1).params.requestedSchema.required, ['name']);
        assert.deepEqual(JSON.parse(resultText(r)), { action: 'accept', content: { name: `answer-${n + 1}` } });
        // The answer went back as a POST carrying a JSON-RPC response, with the session id.
        const resp = srv.log.filter((e) => e.method === 'POST' && e.rpc?.some((m) => m.kind === 'response')).at(-1);
        assert.ok(resp, 'a POST with the client response');
        assert.ok(resp.headers['mcp-session-id']);
        assert.ok([200, 202].includes(resp.status), `response POST status ${resp.status}`);
      });

      test(`sampling/createMessage via the ${via} stream`, async () => {
        const n = samples.length;
        const r = await callTool(h.client, 'sample', { prompt: `hello ${via}`, via }, { timeout: 20000 });
        assert.equal(samples.length, n + 1);
        assert.equal(samples.at(-1).params.maxTokens, 64);
        const out = JSON.parse(resultText(r));
        assert.equal(out.model, 'bridge-test-model');
        assert.equal(out.content.text, `sampled: hello ${via}`);
      });

      test(`server ping via the ${via} stream`, async () => {
        const r = await callTool(h.client, 'ping_client', { via }, { timeout: 20000 });
        assert.equal(resultText(r), 'pong');
      });
    }

    test('a declined elicitation is relayed as declined', async () => {
      const saved = elicits.length;
      h.client.setRequestHandler((await import('@modelcontextprotocol/sdk/types.js')).ElicitRequestSchema,
        async (req) => { elicits.push(req); return { action: 'decline' }; });
      const r = await callTool(h.client, 'elicit', { via: mode === 'sse' ? 'post' : 'get' }, { timeout: 20000 });
      assert.equal(elicits.length, saved + 1);
      assert.deepEqual(JSON.parse(resultText(r)), { action: 'decline' });
    });

    test('notifications on the GET stream (logging + tools/list_changed) arrive', async () => {
      const n0 = h.notifications.length;
      const r = JSON.parse(resultText(await callTool(h.client, 'notify', { data: `note-${mode}` }, { timeout: 20000 })));
      assert.equal(r.getOpen, true, 'the bridge had a GET stream open');
      await waitUntil(() => h.notifications.length >= n0 + 2, 5000, 'two notifications');
      const got = h.notifications.slice(n0);
      const logMsg = got.find((x) => x.method === 'notifications/message');
      assert.ok(logMsg, `logging message in ${JSON.stringify(got)}`);
      assert.equal(logMsg.params.data, `note-${mode}`);
      assert.equal(logMsg.params.level, 'info');
      assert.ok(got.find((x) => x.method === 'notifications/tools/list_changed'), 'tools/list_changed');
    });

    test('unsolicited notifications after the call returned also arrive', async () => {
      const n0 = h.notifications.length;
      await callTool(h.client, 'notify', { data: `later-${mode}`, afterMs: 300 }, { timeout: 20000 });
      await waitUntil(() => h.notifications.slice(n0).some((x) => x.params?.data === `later-${mode}`), 5000,
        'the delayed logging message');
    });

    test('GET stream closed by the server -> reopened with Last-Event-ID, missed notifications replayed', async () => {
      const n0 = h.notifications.length;
      const getsBefore = srv.log.filter((e) => e.method === 'GET').length;
      const r = JSON.parse(resultText(await callTool(h.client, 'drop_get', { missed: 2 }, { timeout: 20000 })));
      assert.equal(r.getOpen, true);
      await waitUntil(() => srv.log.filter((e) => e.method === 'GET').length > getsBefore, 8000, 'the GET stream to be reopened');
      const reopen = srv.log.filter((e) => e.method === 'GET').at(-1);
      assert.ok(reopen.lastEventId, `reopened with Last-Event-ID (headers: ${JSON.stringify(reopen.headers)})`);
      await waitUntil(() => {
        const data = h.notifications.slice(n0).map((x) => x.params?.data);
        return data.includes('missed-1') && data.includes('missed-2');
      }, 8000, 'the missed notifications to be replayed');
      const data = h.notifications.slice(n0).map((x) => x.params?.data).filter((d) => d);
      assert.deepEqual(data.filter((d) => /before-drop|missed-/.test(d)), ['before-drop', 'missed-1', 'missed-2'], 'each exactly once, in order');
    });

    test('stdout carried only JSON-RPC lines; no client errors', () => {
      assertAllJsonRpc(h.lines);
      assert.equal(h.errors.length, 0, `client errors: ${h.errors.map(String).join('; ')}`);
    });
  });
}
