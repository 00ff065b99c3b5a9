// Start-up while the person signs in, for a 2026-07-28 host: the TypeScript
// SDK v2 client (era negotiation with server/discover, on a short-lived second
// bridge it starts for the probe and stops; tool list changes followed through
// a subscriptions/listen stream), giving every request 5 s, against an
// OAuth-protected server whose sign-in takes the person several seconds:
//  - connect succeeds in time and on the 2026-07-28 era (the bridge answered
//    server/discover itself), and the probe's bridge opened no browser: one
//    browser launch in all;
//  - tools/list holds the sign-in tool with the URL while the person signs in;
//  - when the sign-in lands, the listen stream brings tools/list_changed, the
//    server's tools follow, and a call succeeds;
//  - stdout holds JSON-RPC only; the second start uses the stored tokens.
// Both against a server with sessions (SDK v1: the bridge speaks 2025 to it)
// and against a 2026-07-28-only server (SDK v2). With raw lines:
//  - a host that only asks server/discover and stops the bridge gets a
//    DiscoverResult at once, and no browser opens;
//  - the person declines: the host's listen brings tools/list_changed, and the
//    sign-in tool says the sign-in failed and why.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bridgeBin, bridgeEnv, isJsonRpcMessage, killAll, requireBridge, spawnRawBridge, tapStdoutLines, withTimeout,
} from '../lib/harness.mjs';
import { cleanupHomes, startOidcStack, tempHome } from '../servers/oidc-stack.mjs';
import { HOST_INIT_TIMEOUT_MS, launches, slowSigninEnv } from '../lib/slow-signin.mjs';

const DELAY_S = 10; // the person's time in the browser: well past the bridge's 2.5 s wait
const STEP_MS = 5000;

const DENIED = 'the person declined the consent';
const META = (extra = {}) => ({
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'raw-2026-host', version: '1' },
  ...extra,
});
const request = (id, method, params = {}) => ({ jsonrpc: '2.0', id, method, params: { ...params, _meta: META() } });

const textOf = (r) => r?.content?.find((c) => c.type === 'text')?.text ?? '';

/** A v2 SDK host over stdio, with its bridge's stdout lines and stderr kept. */
async function connectV2(url, home) {
  const { Client } = await import('@modelcontextprotocol/client');
  const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
  const h = { changed: 0, wake: () => {}, lines: [], err: '', errors: [] };
  h.client = new Client({ name: 'signin-v2-host', version: '1.0.0' }, {
    capabilities: {},
    versionNegotiation: { mode: 'auto' },
    listChanged: {
      tools: { autoRefresh: false, debounceMs: 0, onChanged: (e) => { if (!e) { h.changed++; h.wake(); } } },
    },
  });
  h.client.onerror = (e) => h.errors.push(String(e?.message ?? e));
  h.transport = new StdioClientTransport({
    command: bridgeBin(),
    args: [url, '--token-store', 'file'],
    env: bridgeEnv(slowSigninEnv(home, DELAY_S)),
    stderr: 'pipe',
  });
  h.transport.stderr.on('data', (d) => { h.err += d; });
  h.lines = tapStdoutLines(h.transport).lines;
  const t0 = Date.now();
  await h.client.connect(h.transport, { timeout: HOST_INIT_TIMEOUT_MS });
  h.ms = Date.now() - t0;
  h.close = () => h.client.close().catch(() => {});
  return h;
}

function assertOnlyJsonRpc(h) {
  for (const l of h.lines) {
    let m;
    assert.doesNotThrow(() => { m = JSON.parse(l); }, `not JSON on stdout: ${l}`);
    assert.ok(isJsonRpcMessage(m), `not JSON-RPC on stdout: ${l}`);
  }
}

async function firstStartAndSecond(mcpServer, toolName) {
  const s = await startOidcStack({ mcpServer });
  const home = tempHome(`signin-modern-${mcpServer}`);
  const h = await connectV2(s.mcpUrl, home);
  try {
    assert.ok(h.ms < HOST_INIT_TIMEOUT_MS, `connected in ${h.ms} ms`);
    assert.equal(h.client.getProtocolEra(), 'modern', 'the host negotiated the 2026-07-28 era');

    const waiting = await h.client.listTools(undefined, { timeout: STEP_MS });
    assert.equal(waiting.tools.length, 1, JSON.stringify(waiting.tools));
    const signin = waiting.tools[0];
    assert.match(signin.name, /^sign_in_127\.0\.0\.1$/);
    const url = /(https?:\/\/\S+\/auth\S*)/.exec(signin.description)?.[1];
    assert.ok(url, `the sign-in tool gives the authorization URL: ${signin.description}`);
    assert.match(signin.description, /waiting/);
    const status = await h.client.callTool({ name: signin.name, arguments: {} }, { timeout: STEP_MS });
    assert.match(textOf(status), /Open this URL/);
    await assert.rejects(h.client.callTool({ name: toolName, arguments: { message: 'too early' } }, { timeout: STEP_MS }),
      (e) => e.message.includes(url), 'a call before the sign-in fails at once, naming the URL');
    // The probe's bridge, stopped by the host, opened no browser.
    assert.equal(launches(home), 1, 'one browser launch');

    await withTimeout(new Promise((resolve) => { h.wake = resolve; if (h.changed) resolve(); }),
      (DELAY_S + 15) * 1000, 'tools/list_changed on the listen stream after the sign-in')
      .catch((e) => { throw new Error(`${e.message}\nstdout:\n${h.lines.join('\n')}\nstderr:\n${h.err}`); });
    const tools = await h.client.listTools(undefined, { timeout: STEP_MS });
    const names = tools.tools.map((t) => t.name);
    assert.ok(names.includes(toolName), `the server's tools after the sign-in: ${names}`);
    assert.ok(!names.includes(signin.name), 'the sign-in tool is gone');
    const r = await h.client.callTool({ name: toolName, arguments: { message: 'hello' } }, { timeout: STEP_MS });
    assert.ok(!r.isError, JSON.stringify(r));
    assert.match(textOf(r), /hello/);
    assert.equal(launches(home), 1, 'still one browser launch');
    assert.deepEqual(h.errors, []);
    assertOnlyJsonRpc(h);
    assert.ok(!/access_token|refresh_token"\s*:/.test(h.err), 'no token on stderr');
  } finally {
    await h.close();
  }

  // The second start: the stored tokens, no browser, the tools at once.
  const again = await connectV2(s.mcpUrl, home);
  try {
    const tools = await again.client.listTools(undefined, { timeout: STEP_MS });
    assert.ok(tools.tools.some((t) => t.name === toolName), JSON.stringify(tools.tools));
    assert.equal(launches(home), 1, 'no browser on the second start');
    assertOnlyJsonRpc(again);
  } finally {
    await again.close();
    await s.close();
  }
}

describe('signin-startup-modern: a 2026-07-28 host while the person signs in', { timeout: 200000 }, () => {
  before(() => { requireBridge(); });
  after(async () => {
    await killAll();
    cleanupHomes();
  });

  test('a server with sessions (SDK v1)', { timeout: 90000 }, async () => {
    await firstStartAndSecond('v1', 'echo');
  });

  test('a 2026-07-28 server (SDK v2)', { timeout: 90000 }, async () => {
    await firstStartAndSecond('v2-modern', 'echo');
  });

  test('a host that only asks server/discover, then stops the bridge: an answer at once, no browser', { timeout: 30000 }, async () => {
    const s = await startOidcStack({ mcpServer: 'v2-modern' });
    const home = tempHome('signin-modern-probe');
    const b = spawnRawBridge([s.mcpUrl, '--token-store', 'file'], { env: slowSigninEnv(home, DELAY_S) });
    try {
      const t0 = Date.now();
      b.send(request(0, 'server/discover'));
      const d = await b.waitForId(0, HOST_INIT_TIMEOUT_MS);
      assert.ok(Date.now() - t0 < 2000, `server/discover answered in ${Date.now() - t0} ms`);
      const r = d.result;
      assert.ok(r, JSON.stringify(d));
      assert.equal(r.resultType, 'complete');
      assert.ok(r.supportedVersions.includes('2026-07-28'), JSON.stringify(r));
      assert.equal(r.ttlMs, 0, 'a stand-in is not to be cached');
      for (const list of ['tools', 'prompts', 'resources']) assert.equal(r.capabilities[list]?.listChanged, true, list);
      b.endStdin();
      const { code, signal } = await b.waitExit(3000);
      assert.equal(signal, null);
      assert.equal(code, 0, b.stderr());
      assert.equal(launches(home), 0, 'no browser was opened');
      assert.doesNotMatch(b.stderr(), /failed|error/i, 'nothing failed: nobody was asked anything');
      for (const l of b.lines) assert.ok(isJsonRpcMessage(JSON.parse(l)), l);
    } finally {
      b.kill();
      await s.close();
    }
  });

  test('the person declines: tools/list_changed on the listen, and the sign-in tool says why', { timeout: 40000 }, async () => {
    const s = await startOidcStack({ mcpServer: 'v2-modern', denyAuthorization: DENIED });
    const home = tempHome('signin-modern-denied');
    const b = spawnRawBridge([s.mcpUrl, '--token-store', 'file'], { env: slowSigninEnv(home, 4) });
    try {
      b.send(request(0, 'server/discover'));
      await b.waitForId(0, HOST_INIT_TIMEOUT_MS);
      assert.equal(launches(home), 0, 'no browser before the host uses the server');
      b.send(request('listen-1', 'subscriptions/listen', { notifications: { toolsListChanged: true } }));
      const ack = await b.waitFor((m) => m.method === 'notifications/subscriptions/acknowledged', STEP_MS, 'the acknowledgement');
      assert.equal(ack.params._meta['io.modelcontextprotocol/subscriptionId'], 'listen-1');
      assert.deepEqual(ack.params.notifications, { toolsListChanged: true });
      b.send(request(1, 'tools/list'));
      const list = await b.waitForId(1, STEP_MS);
      assert.equal(list.result.tools.length, 1, JSON.stringify(list));
      assert.match(list.result.tools[0].description, /waiting/);
      await withTimeout((async () => { while (launches(home) < 1) await new Promise((r) => setTimeout(r, 50)); })(),
        STEP_MS, 'the browser, once the host used the server');
      const changed = await b.waitFor((m) => m.method === 'notifications/tools/list_changed', 20000, 'tools/list_changed');
      assert.equal(changed.params._meta['io.modelcontextprotocol/subscriptionId'], 'listen-1');
      b.send(request(2, 'tools/list'));
      const failed = await b.waitForId(2, STEP_MS);
      assert.match(failed.result.tools[0].description, /failed/);
      assert.match(failed.result.tools[0].description, new RegExp(`access_denied.*${DENIED}`));
      b.send(request(3, 'tools/call', { name: 'echo', arguments: { message: 'x' } }));
      const err = await b.waitForId(3, STEP_MS);
      assert.match(err.error?.message ?? '', /failed/);
      // A listen opened again after the failure fails with the reason; it starts no new sign-in.
      b.send(request('listen-2', 'subscriptions/listen', { notifications: { toolsListChanged: true } }));
      const again = await b.waitForId('listen-2', STEP_MS);
      assert.match(again.error?.message ?? '', /failed/, JSON.stringify(again));
      assert.equal(launches(home), 1);
      assert.equal(b.messages().filter((m) => m.method === 'notifications/subscriptions/acknowledged').length, 1,
        'acknowledged once');
      b.endStdin();
      const { code } = await b.waitExit(10000);
      assert.equal(code, 0, b.stderr());
      for (const l of b.lines) assert.ok(isJsonRpcMessage(JSON.parse(l)), l);
    } finally {
      b.kill();
      await s.close();
    }
  });
});
