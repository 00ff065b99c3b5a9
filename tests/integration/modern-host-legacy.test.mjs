// A host that speaks only the 2026-07-28 revision (raw lines carrying _meta,
// never initialize) with a server of the older revisions (SDK v1, stateful:
// tests/servers/era-v1.mjs): the bridge opens the session itself, answers
// subscriptions/listen from the session's notifications, and turns the
// server's elicitation request into an input_required result that the host's
// retry answers. Its results carry resultType, and lists the caching hints
// (ttlMs 0, cacheScope private) an older server does not give.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertAllJsonRpc, killAll, requireBridge, spawnRawBridge, spawnServer } from '../lib/harness.mjs';

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
  'io.modelcontextprotocol/clientInfo': { name: 'modern-only-host', version: '2.0.0' },
};
const SUB = 'io.modelcontextprotocol/subscriptionId';

let tmp, srv;
before(async () => {
  requireBridge();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'modern-host-legacy-'));
  srv = await spawnServer('era-v1.mjs');
});
after(async () => {
  await srv?.stop();
  await killAll();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const ctx = (b) => `\n--- stdout ---\n${b.lines.join('\n').slice(-3000)}\n--- stderr ---\n${b.stderr().slice(-3000)}`
  + `\n--- server stderr ---\n${srv.stderr().slice(-1500)}`;

test('a 2026-07-28-only host reaches a 2025 server: tools, input asked as input_required, listen, cancel, exit', { timeout: 40000 }, async () => {
  const home = fs.mkdtempSync(path.join(tmp, 'home-'));
  const b = spawnRawBridge([srv.url], { env: { HOME: home, XDG_CACHE_HOME: path.join(home, 'cache') } });

  // No initialize: the bridge opens the session from this request's _meta.
  b.send({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: META } });
  const list = await b.waitForId(1, 15000);
  assert.deepEqual(list.result?.tools?.map((t) => t.name).sort(), ['add', 'add-tool', 'ask'], ctx(b));
  // A 2026-07-28 result: resultType, and a list is a cacheable result; the
  // older server says nothing of caching, so the safe hints are given.
  assert.equal(list.result.resultType, 'complete', ctx(b));
  assert.equal(list.result.ttlMs, 0);
  assert.equal(list.result.cacheScope, 'private');

  b.send({ jsonrpc: '2.0', id: 2, method: 'subscriptions/listen', params: { _meta: META, notifications: { toolsListChanged: true } } });
  const ack = await b.waitFor((m) => m.method === 'notifications/subscriptions/acknowledged', 10000, 'the acknowledgement');
  assert.equal(ack.params._meta[SUB], 2, ctx(b));
  assert.deepEqual(ack.params.notifications, { toolsListChanged: true });

  b.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { _meta: META, name: 'add', arguments: { a: 2, b: 3 } } });
  const sum = await b.waitForId(3);
  assert.equal(sum.result?.content?.[0]?.text, '5', ctx(b));
  assert.equal(sum.result.resultType, 'complete');
  assert.equal(sum.result.ttlMs, undefined, 'a tool result is not a cacheable one');

  // The server asks the user (elicitation/create): the host gets it in the result.
  b.send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { _meta: META, name: 'ask', arguments: {} } });
  const ir = await b.waitForId(4);
  assert.equal(ir.result?.resultType, 'input_required', ctx(b));
  const keys = Object.keys(ir.result.inputRequests ?? {});
  assert.equal(keys.length, 1, ctx(b));
  assert.equal(ir.result.inputRequests[keys[0]].method, 'elicitation/create');
  assert.equal(typeof ir.result.requestState, 'string');
  assert.ok(!b.messages().some((m) => m && m.method === 'elicitation/create'), `no request on stdout${ctx(b)}`);

  b.send({
    jsonrpc: '2.0', id: 5, method: 'tools/call',
    params: {
      _meta: META, name: 'ask', arguments: {}, requestState: ir.result.requestState,
      inputResponses: { [keys[0]]: { action: 'accept', content: { name: 'Ada' } } },
    },
  });
  assert.equal((await b.waitForId(5)).result?.content?.[0]?.text, 'hello Ada', ctx(b));

  // A change of the tools reaches the host on its listen, tagged with its id.
  b.send({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { _meta: META, name: 'add-tool', arguments: {} } });
  await b.waitForId(6);
  const note = await b.waitFor((m) => m.method === 'notifications/tools/list_changed', 10000, 'list_changed');
  assert.equal(note.params?._meta?.[SUB], 2, ctx(b));

  b.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2 } });
  const started = Date.now();
  b.endStdin();
  const { code } = await b.waitExit(5000);
  assert.equal(code, 0, ctx(b));
  assert.ok(Date.now() - started < 2000, `exits at once after EOF${ctx(b)}`);
  assertAllJsonRpc(b.lines, 'stdout');
  // Only responses and notifications reach a 2026-07-28 host.
  for (const m of b.messages()) assert.ok(!(m && m.method && 'id' in m), `no request to the host: ${JSON.stringify(m)}`);
});
