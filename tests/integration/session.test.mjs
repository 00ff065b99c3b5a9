// Session handling: the Mcp-Session-Id issued at initialize is sent on every
// later request; a server-side expiry (404) is healed by a transparent
// re-initialize that the stdio client never sees; stdin EOF sends DELETE.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAllJsonRpc, callTool, connectBridge, killAll, requireBridge, resultText, startServer, waitUntil, withTimeout,
} from '../lib/harness.mjs';

const initResponses = (h) => h.messages().filter((m) => m.result && m.result.protocolVersion && m.result.serverInfo);
const mcpRequests = (srv) => srv.log.filter((e) => e.path === '/mcp');

for (const mode of ['sse', 'json']) {
  describe(`sessions (${mode} responses)`, { timeout: 50000 }, () => {
    let srv, h;
    before(async () => {
      requireBridge();
      srv = await startServer('streamable', { json: mode === 'json' });
      h = await connectBridge(srv.url);
    });
    after(async () => {
      await h?.close();
      await srv?.stop();
      await killAll();
    });

    test('the issued session id and protocol version header go on every later request', async () => {
      await callTool(h.client, 'echo', { message: 'one' });
      await h.client.listTools(undefined, { timeout: 10000 });
      const sessions = [...srv.sessions.keys()];
      assert.equal(sessions.length, 1, 'exactly one session created');
      const sid = sessions[0];
      const negotiated = initResponses(h)[0].result.protocolVersion;
      // Before the session: initialize, and the question whether the server
      // speaks 2026-07-28 (server/discover; it does not).
      const later = mcpRequests(srv).filter(
        (e) => !(e.rpc ?? []).some((m) => m.method === 'initialize' || m.method === 'server/discover'));
      assert.ok(later.length >= 3, 'initialized + tools/call + tools/list at least');
      for (const e of later) {
        assert.equal(e.headers['mcp-session-id'], sid, `${e.method} ${JSON.stringify(e.rpc)} carries the session id`);
        if (negotiated >= '2025-06-18') {
          assert.equal(e.headers['mcp-protocol-version'], negotiated, `${e.method} ${JSON.stringify(e.rpc)} carries MCP-Protocol-Version`);
        }
      }
      const init = srv.posts('initialize')[0];
      assert.equal(init.headers['mcp-session-id'], undefined, 'initialize has no session id');
      assert.ok(srv.posts('notifications/initialized').length === 1, 'notifications/initialized forwarded once');
    });

    test('expired session -> transparent re-initialize, the call succeeds', async () => {
      const oldSid = [...srv.sessions.keys()][0];
      const initsBefore = srv.posts('initialize').length;
      const linesBefore = h.lines.length;
      assert.ok((await srv.expireSessions()) >= 1);

      const r = await callTool(h.client, 'echo', { message: 'after expiry' }, { timeout: 20000 });
      assert.equal(resultText(r), 'after expiry');

      // The server saw: a 404 for the old session, then a fresh initialize + initialized.
      assert.ok(srv.log.find((e) => e.headers['mcp-session-id'] === oldSid && e.status === 404), 'old session got 404');
      const inits = srv.posts('initialize');
      assert.equal(inits.length, initsBefore + 1, 'exactly one re-initialize');
      const reinit = inits[inits.length - 1];
      assert.equal(reinit.headers['mcp-session-id'], undefined);
      // The re-initialize repeats the client's original parameters.
      assert.equal(reinit.initParams.clientInfo?.name, inits[0].initParams.clientInfo?.name);
      assert.deepEqual(reinit.initParams.capabilities, inits[0].initParams.capabilities);
      const newSid = [...srv.sessions.keys()][0];
      assert.ok(newSid && newSid !== oldSid);
      await waitUntil(() => srv.posts('notifications/initialized').some((e) => e.headers['mcp-session-id'] === newSid),
        3000, 'notifications/initialized on the new session');

      // The client saw exactly its answer: no second initialize response, no error.
      const newLines = h.lines.slice(linesBefore).map((l) => JSON.parse(l));
      assert.equal(initResponses(h).length, 1, 'client saw only its own initialize response');
      assert.ok(!newLines.some((m) => m.error), `no error relayed: ${JSON.stringify(newLines)}`);
      assert.equal(h.errors.length, 0, `client errors: ${h.errors.map(String).join('; ')}`);

      // Later requests use the new session.
      await callTool(h.client, 'add', { a: 1, b: 1 });
      const last = srv.posts('tools/call').at(-1);
      assert.equal(last.headers['mcp-session-id'], newSid);
    });

    test('session expired by the server while idle (expire_sessions tool) -> next call works', async () => {
      const t0 = Date.now();
      await callTool(h.client, 'expire_sessions', { delayMs: 50 });
      await waitUntil(() => srv.sessions.size === 0, 10000, 'sessions to expire');
      // The bridge noticed: its GET stream was closed and reopening it met a 404.
      await srv.log.waitFor((e) => e.method === 'GET' && e.status === 404 && e.time >= t0, 10000, 'the bridge to retry its GET stream and get 404');
      const r = await callTool(h.client, 'echo', { message: 'idle expiry' }, { timeout: 20000 });
      assert.equal(resultText(r), 'idle expiry');
      assert.equal(initResponses(h).length, 1);
    });

    test('stdin EOF -> DELETE of the current session, exit 0', async () => {
      const sid = [...srv.sessions.keys()].at(-1);
      assert.ok(sid);
      const exit = h.exit;
      h.transport._process.stdin.end();
      const { code } = await withTimeout(exit, 5000, 'bridge exit after stdin EOF');
      assert.equal(code, 0, `exit code; stderr:\n${h.stderr().slice(-2000)}`);
      const del = srv.deletes.find((d) => d.sessionId === sid);
      assert.ok(del, `DELETE with session ${sid}; deletes: ${JSON.stringify(srv.deletes.map((d) => d.sessionId))}`);
      assert.ok(del.known, 'DELETE named a live session');
      assertAllJsonRpc(h.lines);
    });
  });

  describe(`session expiry with calls in flight (${mode} responses)`, { timeout: 40000 }, () => {
    let srv, h;
    before(async () => {
      requireBridge();
      srv = await startServer('streamable', { json: mode === 'json' });
      h = await connectBridge(srv.url);
      assert.equal(resultText(await callTool(h.client, 'echo', { message: 'warm' })), 'warm');
    });
    after(async () => {
      await h?.close();
      await srv?.stop();
      await killAll();
    });

    test('expiry with 5 calls in flight -> one re-initialize, all 5 succeed', async () => {
      const initsBefore = srv.posts('initialize').length;
      await srv.expireSessions();
      const calls = [];
      for (let i = 0; i < 5; i++) calls.push(callTool(h.client, 'echo', { message: `burst ${i}` }, { timeout: 20000 }));
      const rs = await Promise.allSettled(calls);
      const failed = rs.map((r, i) => (r.status === 'rejected' ? `#${i}: ${r.reason.message}` : null)).filter(Boolean);
      assert.deepEqual(failed, [], 'every call of the burst succeeded');
      rs.forEach((r, i) => assert.equal(resultText(r.value), `burst ${i}`));
      assert.equal(srv.posts('initialize').length, initsBefore + 1, 'one re-initialize for the whole burst');
      assert.equal(initResponses(h).length, 1);
    });

    test('after that burst the bridge still has a session (no request without Mcp-Session-Id)', async () => {
      // Settled: the bridge's GET stream is open on the new session.
      await waitUntil(() => srv.log.entries.some((e) => e.method === 'GET' && e.streamOpen && !e.closed
        && srv.sessions.has(e.sessionId)), 10000, 'the GET stream of the new session to be open');
      const from = srv.log.entries.length;
      const r = await callTool(h.client, 'echo', { message: 'after burst' }, { timeout: 20000 }).catch((e) => e);
      const sent = srv.log.entries.slice(from).filter((e) => e.method === 'POST');
      assert.ok(!(r instanceof Error), `call after the burst failed: ${r.message}; ` +
        `POSTs: ${JSON.stringify(sent.map((e) => ({ sid: e.sessionId, rpc: e.rpc, status: e.status })))}`);
      assert.equal(resultText(r), 'after burst');
      for (const e of sent) assert.ok(e.sessionId, `POST ${JSON.stringify(e.rpc)} without Mcp-Session-Id`);
    });

  });
}
