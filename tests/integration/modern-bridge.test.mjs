// The bridge in front of a 2026-07-28 server, request by request: raw JSON-RPC
// lines on stdin (a 2025-era host, or a 2026-era one carrying its own _meta),
// a recording server (tests/servers/modern-recorder.mjs) that shows every HTTP
// request the bridge made, and checks of both sides: what the server got
// (headers, bodies, ids, closed streams) and what the host got on stdout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  assertAllJsonRpc, killAll, requireBridge, sleep, spawnRawBridge, waitUntil,
} from '../lib/harness.mjs';
import {
  ASK_ROUNDS, INSTRUCTIONS, MODERN, NON_ASCII_TOOL, SERVER_INFO, startModernRecorder,
} from '../servers/modern-recorder.mjs';

const CASE_TIMEOUT_MS = 40000;
const META_VERSION = 'io.modelcontextprotocol/protocolVersion';
const META_CAPS = 'io.modelcontextprotocol/clientCapabilities';
const META_CLIENT = 'io.modelcontextprotocol/clientInfo';
const META_LOG_LEVEL = 'io.modelcontextprotocol/logLevel';
const META_SUBSCRIPTION = 'io.modelcontextprotocol/subscriptionId';

const HOST_INFO = { name: 'raw-2025-host', version: '9.8.7' };
const HOST_CAPS = { elicitation: { form: {} }, roots: { listChanged: true } };

let tmp;
before(() => {
  requireBridge();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'modern-bridge-'));
});
after(async () => {
  await killAll();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** A fresh HOME and cache dir, so era records never leak between cases. */
function freshHome(name) {
  const home = fs.mkdtempSync(path.join(tmp, `${name}-`));
  return { HOME: home, XDG_CACHE_HOME: path.join(home, 'cache') };
}

function startBridge(url, env, args = []) {
  return spawnRawBridge([url, ...args], { env });
}

/** stdout and stderr of a bridge, for assertion messages. */
const ctx = (b) => `\n--- stdout ---\n${b.lines.join('\n').slice(-3000)}\n--- stderr ---\n${b.stderr().slice(-3000)}`;

/** A 2025-era host's handshake; returns the initialize result. */
async function legacyHandshake(b, { protocolVersion = '2025-06-18', caps = HOST_CAPS } = {}) {
  b.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion, capabilities: caps, clientInfo: HOST_INFO } });
  const r = await b.waitForId(0, 10000);
  assert.ok(r.result, `initialize answered with a result: ${JSON.stringify(r)}${ctx(b)}`);
  b.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return r.result;
}

async function request(b, id, method, params, ms = 10000) {
  b.send({ jsonrpc: '2.0', id, method, ...(params !== undefined ? { params } : {}) });
  return b.waitForId(id, ms);
}

const posts = (srv) => srv.log.entries.filter((e) => e.method === 'POST');
const postsOf = (srv, method) => posts(srv).filter((e) => e.rpcMethod === method);
const toolCalls = (srv, name) => postsOf(srv, 'tools/call').filter((e) => e.body?.params?.name === name);
const listens = (srv) => postsOf(srv, 'subscriptions/listen');

/** Close stdin, expect a clean exit within ms, and only JSON-RPC on stdout. */
async function finish(b, ms = 5000) {
  b.endStdin();
  const { code } = await b.waitExit(ms);
  assert.equal(code, 0, `exit code${ctx(b)}`);
  assertAllJsonRpc(b.lines);
  assert.equal(b.partial(), '', 'nothing after the last newline on stdout');
}

describe('the bridge and a 2026-07-28 server', { timeout: 600000 }, () => {
  test('1. a 2025-era host: initialize and ping answered here, every POST carries the metadata', { timeout: CASE_TIMEOUT_MS }, async () => {
    const srv = await startModernRecorder();
    const b = startBridge(srv.url, freshHome('c1'));
    try {
      const init = await legacyHandshake(b);
      assert.equal(init.protocolVersion, '2025-06-18');
      assert.deepEqual(init.serverInfo, SERVER_INFO);
      assert.equal(init.instructions, INSTRUCTIONS);
      assert.deepEqual(init.capabilities, {
        tools: { listChanged: true },
        resources: { listChanged: true, subscribe: true },
        prompts: { listChanged: true },
        logging: {},
      });
      assert.equal(postsOf(srv, 'initialize').length, 0, 'no initialize POST reached the server');
      assert.equal(postsOf(srv, 'server/discover').length, 1, 'one server/discover');

      const ping = await request(b, 1, 'ping');
      assert.deepEqual(ping, { jsonrpc: '2.0', id: 1, result: {} });
      assert.equal(postsOf(srv, 'ping').length, 0, 'ping answered by the bridge');

      const list = await request(b, 2, 'tools/list');
      assert.ok(Array.isArray(list.result?.tools), `tools/list result${ctx(b)}`);
      await srv.log.waitFor((e) => e.rpcMethod === 'subscriptions/listen', 5000, 'the listen after initialized');
      await finish(b);

      assert.ok(posts(srv).length >= 3, 'discover, tools/list, listen');
      for (const e of posts(srv)) {
        const what = `${e.rpcMethod} POST: ${e.text}`;
        const meta = e.body?.params?._meta;
        assert.ok(meta, `_meta on ${what}`);
        assert.equal(meta[META_VERSION], MODERN, what);
        assert.equal(e.headers['mcp-protocol-version'], meta[META_VERSION], `MCP-Protocol-Version equals _meta on ${what}`);
        assert.equal(e.headers['mcp-method'], e.rpcMethod, `Mcp-Method on ${what}`);
        assert.deepEqual(meta[META_CLIENT], HOST_INFO, `the host's clientInfo on ${what}`);
        assert.deepEqual(meta[META_CAPS], HOST_CAPS, `the host's capabilities on ${what}`);
        assert.equal(e.headers['mcp-session-id'], undefined, `no Mcp-Session-Id on ${what}`);
      }
      const others = srv.log.entries.filter((e) => e.method !== 'POST').map((e) => e.method);
      assert.deepEqual(others, [], 'no GET, no DELETE');
    } finally {
      b.kill();
      await srv.stop();
    }
  });

  test('2. Mcp-Name, its base64 form, Mcp-Param-* and a tool with an invalid annotation left out', { timeout: CASE_TIMEOUT_MS }, async () => {
    const srv = await startModernRecorder();
    const b = startBridge(srv.url, freshHome('c2'));
    try {
      await legacyHandshake(b);
      const list = await request(b, 1, 'tools/list');
      const names = list.result.tools.map((t) => t.name);
      assert.ok(!names.includes('bad_header_tool'), `the tool with x-mcp-header on a number is dropped: ${names}`);
      for (const n of ['echo', NON_ASCII_TOOL, 'region_query', 'ask']) assert.ok(names.includes(n), `${n} kept: ${names}`);

      const r1 = await request(b, 2, 'tools/call', { name: 'region_query', arguments: { region: 'us-west1', limit: 25, options: { dryRun: true }, query: 'SELECT 1' } });
      assert.equal(r1.result?.content?.[0]?.text, 'region:us-west1', ctx(b));
      const call = toolCalls(srv, 'region_query')[0];
      assert.equal(call.headers['mcp-name'], 'region_query');
      assert.equal(call.headers['mcp-param-region'], 'us-west1');
      assert.equal(call.headers['mcp-param-limit'], '25');
      assert.equal(call.headers['mcp-param-dry-run'], 'true');
      assert.equal(call.headers['mcp-param-query'], undefined, 'no header for an unannotated parameter');

      const r2 = await request(b, 3, 'tools/call', { name: NON_ASCII_TOOL, arguments: {} });
      assert.equal(r2.result?.content?.[0]?.text, 'hello', ctx(b));
      const sentinel = `=?base64?${Buffer.from(NON_ASCII_TOOL, 'utf8').toString('base64')}?=`;
      assert.equal(toolCalls(srv, NON_ASCII_TOOL)[0].headers['mcp-name'], sentinel);

      const uri = 'file:///project/config.json';
      const r3 = await request(b, 4, 'resources/read', { uri });
      assert.equal(r3.result?.contents?.[0]?.uri, uri, ctx(b));
      const read = postsOf(srv, 'resources/read')[0];
      assert.equal(read.headers['mcp-name'], uri);
      assert.equal(read.headers['mcp-method'], 'resources/read');

      const r4 = await request(b, 5, 'prompts/get', { name: 'greeting' });
      assert.ok(r4.result?.messages, ctx(b));
      assert.equal(postsOf(srv, 'prompts/get')[0].headers['mcp-name'], 'greeting');
      await finish(b);
    } finally {
      b.kill();
      await srv.stop();
    }
  });

  test('2b. HeaderMismatch (-32020): the tools are read again and the call sent once more with the new header', { timeout: CASE_TIMEOUT_MS }, async () => {
    const srv = await startModernRecorder({ shiftyTool: true });
    const b = startBridge(srv.url, freshHome('c2b'));
    try {
      await legacyHandshake(b);
      await request(b, 1, 'tools/list'); // shifty has no annotation yet
      const r = await request(b, 2, 'tools/call', { name: 'shifty', arguments: { tenant: 'acme' } });
      assert.equal(r.result?.content?.[0]?.text, 'shifty:acme', `the call succeeds after the re-read${ctx(b)}`);
      const seen = posts(srv).map((e) => e.rpcMethod).filter((m) => m === 'tools/list' || m === 'tools/call');
      assert.deepEqual(seen, ['tools/list', 'tools/call', 'tools/list', 'tools/call'], ctx(b));
      const calls = toolCalls(srv, 'shifty');
      assert.equal(calls[0].headers['mcp-param-tenant'], undefined, 'the first call knew no annotation');
      assert.equal(calls[1].headers['mcp-param-tenant'], 'acme', 'the second call carries the header');
      assert.notEqual(calls[0].body.id, calls[1].body.id, 'a new id');
      assert.ok(!b.lines.some((l) => l.includes('-32020')), `the host never sees the mismatch${ctx(b)}`);
      await finish(b);
    } finally {
      b.kill();
      await srv.stop();
    }
  });

  test('3. logging/setLevel answered here; later requests carry the level; the log messages reach the host', { timeout: CASE_TIMEOUT_MS }, async () => {
    const srv = await startModernRecorder();
    const b = startBridge(srv.url, freshHome('c3'));
    try {
      await legacyHandshake(b);
      const before = await request(b, 1, 'tools/call', { name: 'chatty', arguments: {} });
      assert.equal(before.result?.content?.[0]?.text, 'chatty:done', ctx(b));
      assert.equal(toolCalls(srv, 'chatty')[0].body.params._meta[META_LOG_LEVEL], undefined, 'no level before setLevel');
      assert.ok(!b.messages().some((m) => m.method === 'notifications/message'), 'no log message before setLevel');

      const set = await request(b, 2, 'logging/setLevel', { level: 'debug' });
      assert.deepEqual(set, { jsonrpc: '2.0', id: 2, result: {} });
      assert.equal(postsOf(srv, 'logging/setLevel').length, 0, 'setLevel answered by the bridge');

      const afterCall = await request(b, 3, 'tools/call', { name: 'chatty', arguments: {} });
      assert.equal(afterCall.result?.content?.[0]?.text, 'chatty:done', ctx(b));
      assert.equal(toolCalls(srv, 'chatty')[1].body.params._meta[META_LOG_LEVEL], 'debug');
      const msgs = b.messages();
      const logIdx = msgs.findIndex((m) => m.method === 'notifications/message');
      assert.ok(logIdx >= 0, `the log message reached the host${ctx(b)}`);
      assert.deepEqual(msgs[logIdx].params, { level: 'warning', logger: 'chatty', data: 'logLevel debug' });
      assert.ok(logIdx < msgs.findIndex((m) => m.id === 3), 'the log message came before the result');
      await finish(b);
    } finally {
      b.kill();
      await srv.stop();
    }
  });

  test('4. multi round-trip: two rounds of input, retries with inputResponses and requestState', { timeout: CASE_TIMEOUT_MS }, async () => {
    const srv = await startModernRecorder();
    const b = startBridge(srv.url, freshHome('c4'));
    try {
      await legacyHandshake(b);
      const hostId = 'call-ask';
      b.send({ jsonrpc: '2.0', id: hostId, method: 'tools/call', params: { name: 'ask', arguments: {} } });
      const isInput = (m) => m.method === 'elicitation/create' && m.id !== undefined;

      const first = await b.waitFor(isInput, 10000, 'the first elicitation/create');
      assert.deepEqual(first.params, ASK_ROUNDS[0].inputs.github_login.params);
      assert.notEqual(first.id, hostId);
      const login = { action: 'accept', content: { name: 'octocat' } };
      b.send({ jsonrpc: '2.0', id: first.id, result: login });

      await waitUntil(() => b.messages().filter(isInput).length >= 3, 10000, 'the two requests of round 2');
      const round2 = b.messages().filter(isInput).slice(1);
      const ids = new Set([first.id, ...round2.map((m) => m.id)]);
      assert.equal(ids.size, 3, 'each input request has its own id');
      const answers = { 'Colour?': { action: 'accept', content: { c: 'teal' } }, 'Size?': { action: 'accept', content: { s: 'XL' } } };
      for (const m of round2.reverse()) b.send({ jsonrpc: '2.0', id: m.id, result: answers[m.params.message] });

      const final = await b.waitForId(hostId, 10000);
      const expected = { colour: answers['Colour?'], size: answers['Size?'] };
      const finalText = final.result?.content?.[0]?.text ?? '';
      assert.ok(finalText.startsWith('asked:'), `the final result for the host${ctx(b)}`);
      assert.deepEqual(JSON.parse(finalText.slice(6)), expected, 'the server completed with the round-2 answers');
      assert.equal(final.result.resultType, 'complete');

      const calls = toolCalls(srv, 'ask');
      assert.equal(calls.length, 3, 'the first request and two retries');
      assert.equal(calls[0].body.params.inputResponses, undefined);
      assert.deepEqual(calls[1].body.params.inputResponses, { github_login: login });
      assert.equal(calls[1].body.params.requestState, ASK_ROUNDS[0].state);
      assert.deepEqual(calls[2].body.params.inputResponses, expected);
      assert.equal(calls[2].body.params.requestState, ASK_ROUNDS[1].state);
      assert.equal(new Set(calls.map((c) => JSON.stringify(c.body.id))).size, 3, `three JSON-RPC ids: ${calls.map((c) => c.body.id)}`);
      for (const c of calls.slice(1)) {
        assert.deepEqual(c.body.params._meta[META_CLIENT], HOST_INFO, 'the retry carries _meta');
        assert.equal(c.headers['mcp-name'], 'ask');
      }
      assert.equal(b.messages().filter((m) => m.id === hostId).length, 1, 'one answer for the host');
      await finish(b);
    } finally {
      b.kill();
      await srv.stop();
    }
  });

  test('4b. a request cancelled while its input is asked: no retry, nothing for the host', { timeout: CASE_TIMEOUT_MS }, async () => {
    const srv = await startModernRecorder();
    const b = startBridge(srv.url, freshHome('c4b'));
    try {
      await legacyHandshake(b);
      b.send({ jsonrpc: '2.0', id: 40, method: 'tools/call', params: { name: 'ask', arguments: {} } });
      const input = await b.waitFor((m) => m.method === 'elicitation/create', 10000, 'the elicitation/create');
      b.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 40 } });
      b.send({ jsonrpc: '2.0', id: input.id, result: { action: 'accept', content: { name: 'late' } } });
      const r = await request(b, 41, 'tools/call', { name: 'echo', arguments: { text: 'still' } });
      assert.equal(r.result?.content?.[0]?.text, 'echo:still', ctx(b));
      await sleep(300);
      assert.equal(toolCalls(srv, 'ask').length, 1, 'no retry of a cancelled request');
      assert.equal(b.messages().filter((m) => m.id === 40).length, 0, `nothing for id 40${ctx(b)}`);
      await finish(b);
    } finally {
      b.kill();
      await srv.stop();
    }
  });

  test('5. -32022: a request sent again with the version the server supports', { timeout: CASE_TIMEOUT_MS }, async () => {
    // A 2026-era host whose request names a version the server does not speak.
    const srv = await startModernRecorder();
    const b = startBridge(srv.url, freshHome('c5'));
    try {
      const meta = { [META_VERSION]: '2026-09-01', [META_CAPS]: {}, [META_CLIENT]: { name: 'm', version: '1' } };
      const r = await request(b, 7, 'tools/call', { name: 'echo', arguments: { text: 'v' }, _meta: meta });
      assert.equal(r.result?.content?.[0]?.text, 'echo:v', ctx(b));
      const calls = toolCalls(srv, 'echo');
      assert.equal(calls.length, 2, 'refused once, then sent again');
      assert.equal(calls[0].body.params._meta[META_VERSION], '2026-09-01');
      assert.equal(calls[1].body.params._meta[META_VERSION], MODERN);
      assert.equal(calls[1].headers['mcp-protocol-version'], MODERN);
      assert.deepEqual(calls[1].body.params.arguments, { text: 'v' });
      assert.equal(b.messages().filter((m) => m.id === 7).length, 1, 'one answer');
      await finish(b);
    } finally {
      b.kill();
      await srv.stop();
    }

    // A 2025-era host whose first request (the bridge's server/discover) is refused.
    const srv2 = await startModernRecorder({ rejectVersionOnce: 'server/discover' });
    const b2 = startBridge(srv2.url, freshHome('c5b'));
    try {
      const init = await legacyHandshake(b2);
      assert.deepEqual(init.serverInfo, SERVER_INFO, ctx(b2));
      const discovers = postsOf(srv2, 'server/discover');
      assert.equal(discovers.length, 2, 'server/discover asked again after -32022');
      assert.equal(discovers[1].body.params._meta[META_VERSION], MODERN);
      assert.equal(discovers[1].headers['mcp-protocol-version'], MODERN);

      // Refused naming only the version the request already had: no loop, the error goes to the host.
      srv2.state.rejectVersionOnce = 'tools/call';
      const r = await request(b2, 5, 'tools/call', { name: 'echo', arguments: { text: 'x' } });
      assert.equal(r.error?.code, -32022, ctx(b2));
      assert.equal(toolCalls(srv2, 'echo').length, 1, 'not sent again with the same version');
      await finish(b2);
    } finally {
      b2.kill();
      await srv2.stop();
    }
  });

  test('6. a response stream cut before the response: sent again once, under a new id', { timeout: CASE_TIMEOUT_MS }, async () => {
    const srv = await startModernRecorder();
    const b = startBridge(srv.url, freshHome('c6'));
    try {
      await legacyHandshake(b);
      const r = await request(b, 6, 'tools/call', { name: 'flaky', arguments: {} }, 15000);
      assert.equal(r.result?.content?.[0]?.text, 'flaky:ok', ctx(b));
      const calls = toolCalls(srv, 'flaky');
      assert.equal(calls.length, 2, 'sent twice');
      assert.notDeepEqual(calls[1].body.id, calls[0].body.id, 'the second has a new id');
      const strip = (c) => ({ ...c.body, id: undefined });
      assert.deepEqual(strip(calls[1]), strip(calls[0]), 'the same request otherwise');
      await sleep(300);
      assert.equal(b.messages().filter((m) => m.id === 6).length, 1, 'the host gets one answer');
      await finish(b);
    } finally {
      b.kill();
      await srv.stop();
    }
  });

  test('7. notifications/cancelled closes the request stream; nothing for that id reaches the host', { timeout: CASE_TIMEOUT_MS }, async () => {
    const srv = await startModernRecorder();
    const b = startBridge(srv.url, freshHome('c7'));
    try {
      await legacyHandshake(b);
      b.send({ jsonrpc: '2.0', id: 70, method: 'tools/call', params: { name: 'slow', arguments: {} } });
      const slow = await srv.log.waitFor((e) => e.body?.params?.name === 'slow', 5000, 'the slow call');
      b.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 70, reason: 'user gave up' } });
      await waitUntil(() => slow.closedEarly, 3000, 'the slow call stream closed by the bridge');
      const r = await request(b, 71, 'tools/call', { name: 'echo', arguments: { text: 'after' } });
      assert.equal(r.result?.content?.[0]?.text, 'echo:after', ctx(b));
      await sleep(4500); // past the moment the slow tool would have answered
      assert.equal(b.messages().filter((m) => m.id === 70).length, 0, `nothing for id 70${ctx(b)}`);
      assert.equal(postsOf(srv, 'notifications/cancelled').length, 0, 'closing the stream is the cancellation');
      const r2 = await request(b, 72, 'tools/call', { name: 'echo', arguments: { text: 'later' } });
      assert.equal(r2.result?.content?.[0]?.text, 'echo:later', ctx(b));
      await finish(b);
    } finally {
      b.kill();
      await srv.stop();
    }
  });

  test('8. resources/subscribe becomes subscriptions/listen; the notifications reach the host as 2025 ones', { timeout: CASE_TIMEOUT_MS }, async () => {
    const srv = await startModernRecorder();
    const b = startBridge(srv.url, freshHome('c8'));
    const uri = 'file:///project/config.json';
    try {
      await legacyHandshake(b);
      await srv.log.waitFor((e) => e.rpcMethod === 'subscriptions/listen', 5000, 'the first listen');
      const sub = await request(b, 1, 'resources/subscribe', { uri });
      assert.deepEqual(sub, { jsonrpc: '2.0', id: 1, result: {} });
      assert.equal(postsOf(srv, 'resources/subscribe').length, 0, 'no resources/subscribe POST');
      await waitUntil(() => listens(srv).some((e) => e.body.params.notifications?.resourceSubscriptions), 5000, 'a listen with the uri');
      const withUri = listens(srv).at(-1);
      assert.deepEqual(withUri.body.params.notifications.resourceSubscriptions, [uri]);
      assert.equal(withUri.headers['mcp-method'], 'subscriptions/listen');
      assert.deepEqual(withUri.body.params._meta[META_CLIENT], HOST_INFO);
      await waitUntil(() => srv.listens.filter((l) => !l.closed).length === 1 && !srv.listens.at(-1).closed, 5000, 'only the new listen open');

      assert.equal(srv.pushListen('notifications/resources/updated', { uri }), 1);
      assert.equal(srv.pushListen('notifications/tools/list_changed', {}), 1);
      const upd = await b.waitFor((m) => m.method === 'notifications/resources/updated', 5000, 'resources/updated');
      const changed = await b.waitFor((m) => m.method === 'notifications/tools/list_changed', 5000, 'tools/list_changed');
      assert.deepEqual(upd.params, { uri }, 'no subscriptionId left in resources/updated');
      assert.equal(changed.params?._meta?.[META_SUBSCRIPTION], undefined, 'no subscriptionId in list_changed');
      assert.ok(!JSON.stringify(b.messages()).includes(META_SUBSCRIPTION), 'no subscriptionId anywhere on stdout');
      assert.ok(!b.messages().some((m) => m.method === 'notifications/subscriptions/acknowledged'), 'no acknowledgement for the host');

      const n = listens(srv).length;
      const unsub = await request(b, 2, 'resources/unsubscribe', { uri });
      assert.deepEqual(unsub, { jsonrpc: '2.0', id: 2, result: {} });
      await waitUntil(() => listens(srv).length > n, 5000, 'a new listen after unsubscribe');
      assert.equal(listens(srv).at(-1).body.params.notifications?.resourceSubscriptions, undefined, 'the uri is gone');
      await waitUntil(() => srv.listens.filter((l) => !l.closed).length === 1, 5000, 'the listen with the uri closed');
      await finish(b);
    } finally {
      b.kill();
      await srv.stop();
    }
  });

  test('9. the era record: probed once, not asked again, asked again when it stops working', { timeout: 60000 }, async () => {
    const env = freshHome('c9');
    let srv = await startModernRecorder({ mode: 'legacy' });
    const { port, url } = srv;
    const recordDir = path.join(env.XDG_CACHE_HOME, 'mcp-bridge', 'era');
    const record = () => fs.readdirSync(recordDir).map((f) => fs.readFileSync(path.join(recordDir, f), 'utf8'));
    const session = async (expectName) => {
      const b = startBridge(url, env);
      try {
        const init = await legacyHandshake(b);
        assert.equal(init.serverInfo.name, expectName, ctx(b));
        const r = await request(b, 1, 'tools/list');
        assert.ok(r.result?.tools, ctx(b));
        await finish(b);
      } finally {
        b.kill();
      }
    };
    const sent = () => posts(srv).map((e) => e.rpcMethod).filter((m) => m === 'server/discover' || m === 'initialize');
    try {
      await session('legacy-recorder');
      assert.deepEqual(sent(), ['server/discover', 'initialize'], 'first start: probe, then initialize');
      assert.deepEqual(record(), ['legacy\n']);

      srv.log.clear();
      await session('legacy-recorder');
      assert.deepEqual(sent(), ['initialize'], 'second start: no server/discover');

      await srv.stop();
      srv = await startModernRecorder({ mode: 'modern', port });
      await session(SERVER_INFO.name);
      assert.deepEqual(sent(), ['initialize', 'server/discover'], 'third start: initialize refused, then the probe');
      assert.deepEqual(record(), [`modern ${MODERN}\n`]);
    } finally {
      await srv.stop();
    }

    // A record saying "older" for a server that now speaks 2026-07-28: a
    // 2026-era host's own server/discover still reaches the server, so the host
    // stays in its era (the record would have sent it back to initialize).
    const envD = freshHome('c9d');
    const older = await startModernRecorder({ mode: 'legacy' });
    const portD = older.port;
    {
      const b1 = startBridge(older.url, envD);
      try {
        await legacyHandshake(b1);
        await finish(b1);
      } finally {
        b1.kill();
      }
    }
    await older.stop();
    const newer = await startModernRecorder({ mode: 'modern', port: portD });
    {
      const b2 = startBridge(newer.url, envD);
      try {
        b2.send({ jsonrpc: '2.0', id: 'd1', method: 'server/discover', params: { _meta: { [META_VERSION]: MODERN, [META_CAPS]: {} } } });
        const d = await b2.waitForId('d1', 10000);
        assert.ok(d.result?.supportedVersions, `a DiscoverResult, not the record's -32601: ${JSON.stringify(d)}${ctx(b2)}`);
        assert.equal(postsOf(newer, 'server/discover').length, 1, 'the host\'s own server/discover reached the server');
        await finish(b2);
      } finally {
        b2.kill();
        await newer.stop();
      }
    }

    const legacySrv = await startModernRecorder({ mode: 'legacy' });
    const b = startBridge(legacySrv.url, freshHome('c9b'), ['--protocol', 'legacy']);
    try {
      await legacyHandshake(b);
      await request(b, 1, 'tools/list');
      await finish(b);
      assert.equal(postsOf(legacySrv, 'server/discover').length, 0, '--protocol legacy never sends server/discover');
      assert.equal(postsOf(legacySrv, 'initialize').length, 1);
    } finally {
      b.kill();
      await legacySrv.stop();
    }
  });

  test('10. a 2026-era host: its requests pass untouched, with the headers', { timeout: CASE_TIMEOUT_MS }, async () => {
    const srv = await startModernRecorder();
    const b = startBridge(srv.url, freshHome('c10'));
    const meta = {
      [META_VERSION]: MODERN,
      [META_CAPS]: { elicitation: {} },
      [META_CLIENT]: { name: 'raw-2026-host', version: '2.0.0' },
      'example.com/trace': 'abc-123',
    };
    const sendLine = (obj) => { const line = JSON.stringify(obj); b.sendLine(line); return line; };
    try {
      const discoverLine = sendLine({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: meta } });
      const d = await b.waitForId(1);
      assert.deepEqual(d.result?.supportedVersions, [MODERN], ctx(b));
      assert.equal(d.result.instructions, INSTRUCTIONS);
      const dPost = postsOf(srv, 'server/discover');
      assert.equal(dPost.length, 1, 'the host\'s own server/discover is the probe');
      assert.equal(dPost[0].text, discoverLine, 'server/discover passed byte for byte');
      assert.equal(dPost[0].headers['mcp-protocol-version'], MODERN);
      assert.equal(dPost[0].headers['mcp-method'], 'server/discover');

      const callLine = sendLine({ jsonrpc: '2.0', id: 'c-2', method: 'tools/call', params: { name: 'echo', arguments: { text: 'm' }, _meta: meta } });
      const c = await b.waitForId('c-2');
      assert.equal(c.result?.content?.[0]?.text, 'echo:m', ctx(b));
      const cPost = toolCalls(srv, 'echo')[0];
      assert.equal(cPost.text, callLine, 'tools/call passed byte for byte');
      assert.equal(cPost.headers['mcp-protocol-version'], MODERN);
      assert.equal(cPost.headers['mcp-method'], 'tools/call');
      assert.equal(cPost.headers['mcp-name'], 'echo');

      const listenLine = sendLine({ jsonrpc: '2.0', id: 'sub-1', method: 'subscriptions/listen', params: { _meta: meta, notifications: { toolsListChanged: true } } });
      const ack = await b.waitFor((m) => m.method === 'notifications/subscriptions/acknowledged', 5000, 'the acknowledgement');
      assert.equal(ack.params._meta[META_SUBSCRIPTION], 'sub-1');
      const lPost = listens(srv);
      assert.equal(lPost.length, 1, 'only the host\'s listen (the bridge opens none for a 2026 host)');
      assert.equal(lPost[0].text, listenLine, 'subscriptions/listen passed byte for byte');
      assert.equal(lPost[0].headers['mcp-method'], 'subscriptions/listen');
      srv.pushListen('notifications/tools/list_changed', {});
      const changed = await b.waitFor((m) => m.method === 'notifications/tools/list_changed', 5000, 'list_changed');
      assert.equal(changed.params._meta[META_SUBSCRIPTION], 'sub-1');

      // Its cancellation of the listen closes that stream (HTTP has no other way).
      b.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'sub-1' } });
      await waitUntil(() => srv.listens[0].closed, 3000, 'the host\'s listen stream closed');
      assert.equal(postsOf(srv, 'notifications/cancelled').length, 0, 'closing the stream is the cancellation');

      // Its request whose stream breaks is sent again; it gets the answer under its own id.
      const flaky = await request(b, 'f-1', 'tools/call', { name: 'flaky', arguments: {}, _meta: meta }, 15000);
      assert.equal(flaky.result?.content?.[0]?.text, 'flaky:ok', ctx(b));
      const flakyPosts = toolCalls(srv, 'flaky');
      assert.equal(flakyPosts.length, 2);
      assert.equal(flakyPosts[0].body.id, 'f-1');
      assert.notEqual(flakyPosts[1].body.id, 'f-1', 'the second has a new id');
      assert.deepEqual(flakyPosts[1].body.params, flakyPosts[0].body.params, 'its own params and _meta again');
      assert.equal(srv.log.entries.filter((e) => e.method !== 'POST').length, 0, 'no GET, no DELETE');
      await finish(b, 2000);
    } finally {
      b.kill();
      await srv.stop();
    }

    // In front of an older server, the host's server/discover fails at once.
    const legacySrv = await startModernRecorder({ mode: 'legacy' });
    const b2 = startBridge(legacySrv.url, freshHome('c10b'));
    try {
      const t0 = Date.now();
      const r = await request(b2, 1, 'server/discover', { _meta: meta }, 5000);
      assert.equal(r.error?.code, -32601, `-32601 for server/discover${ctx(b2)}`);
      assert.ok(Date.now() - t0 < 2000, `answered within 2 s (took ${Date.now() - t0} ms)`);
      const r2 = await request(b2, 2, 'server/discover', { _meta: meta }, 5000);
      assert.equal(r2.error?.code, -32601);
      assert.equal(postsOf(legacySrv, 'server/discover').length, 1, 'the second one is not sent');
      await finish(b2);
    } finally {
      b2.kill();
      await legacySrv.stop();
    }
  });

  test('11. stdin EOF with a listen open: the bridge exits within 2 s (both host eras)', { timeout: CASE_TIMEOUT_MS }, async () => {
    const srv = await startModernRecorder();
    try {
      const b = startBridge(srv.url, freshHome('c11'));
      try {
        await legacyHandshake(b);
        await srv.log.waitFor((e) => e.rpcMethod === 'subscriptions/listen', 5000, 'the bridge\'s listen');
        await waitUntil(() => srv.listens.length === 1, 5000, 'the listen stream open');
        const t0 = Date.now();
        await finish(b, 2000);
        assert.ok(Date.now() - t0 < 2000);
      } finally {
        b.kill();
      }

      const meta = { [META_VERSION]: MODERN, [META_CAPS]: {}, [META_CLIENT]: { name: 'm', version: '1' } };
      const b2 = startBridge(srv.url, freshHome('c11b'));
      try {
        b2.send({ jsonrpc: '2.0', id: 'L', method: 'subscriptions/listen', params: { _meta: meta, notifications: { toolsListChanged: true } } });
        await b2.waitFor((m) => m.method === 'notifications/subscriptions/acknowledged', 5000, 'the acknowledgement');
        await finish(b2, 2000);
        await waitUntil(() => srv.listens.at(-1).closed, 2000, 'the host\'s listen stream closed');
      } finally {
        b2.kill();
      }
    } finally {
      await srv.stop();
    }
  });
});
