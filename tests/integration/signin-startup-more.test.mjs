// Start-up while the person signs in, the paths beyond the plain success
// (signin-startup.test.mjs): a host that gives initialize 5 s, a person who
// takes a few seconds in the browser.
//  - the authorization server refuses (the person declines: error=access_denied
//    at the redirect URI): initialize was answered in time; the sign-in tool's
//    description and result, a log message and every other request's error say
//    that the sign-in failed and why; the bridge keeps answering and exits 0 at
//    the end of its input; stdout holds JSON-RPC only;
//  - the token endpoint refuses the code (invalid_grant): the same, with that
//    reason;
//  - a 2026-07-28 server behind OAuth: the bridge's server/discover gets 401,
//    the host's initialize is answered in time, and after the sign-in the host
//    gets list_changed, the modern server's tools, a call's result, and a call
//    that asks for input reaches it as elicitation/create and completes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  assertAllJsonRpc, callTool, connectBridge, killAll, requireBridge, resultText, spawnRawBridge, TESTS_DIR,
  waitUntil, withTimeout,
} from '../lib/harness.mjs';
import {
  cleanupHomes, describeStack, startOidcStack, tempHome,
} from '../servers/oidc-stack.mjs';
import {
  authUrl, connectTimed as connectSlow, HOST_INIT_TIMEOUT_MS, launches, slowSigninEnv,
} from '../lib/slow-signin.mjs';

const DELAY_S = 8; // well past the bridge's 2.5 s wait before it answers initialize itself
const DENIED = 'the person declined the consent';
const REFUSED = new RegExp(`access_denied.*${DENIED}`); // the error and its description, as the AS sent them

const envFor = (home) => slowSigninEnv(home, DELAY_S);
const connectTimed = (s, home, opts) => connectSlow(s, home, DELAY_S, opts);

const hasNote = (h, method) => h.notifications.some((n) => n.method === method);
const notes = (h, method) => h.notifications.filter((n) => n.method === method).length;
const logMessages = (h) => h.notifications.filter((n) => n.method === 'notifications/message');

/** Every stdout line is one JSON-RPC 2.0 message. */
function assertOnlyJsonRpc(h) {
  for (const l of h.lines) {
    let m;
    assert.doesNotThrow(() => { m = JSON.parse(l); }, `not JSON on stdout: ${l}`);
    assert.equal(m.jsonrpc, '2.0', `not JSON-RPC on stdout: ${l}`);
  }
}

/** Ends the bridge's input and waits for it to exit on its own. */
async function endInput(h) {
  h.proc.stdin.end();
  return withTimeout(h.exit, 10000, 'the bridge to exit at the end of its input');
}

describe('signin-startup-more: a refused sign-in and a 2026-07-28 server', { timeout: 150000 }, () => {
  const stacks = [];
  const handles = [];
  before(() => { requireBridge(); });
  after(async () => {
    for (const h of handles) await h.close();
    await killAll();
    for (const s of stacks) await s.close();
    cleanupHomes();
  });

  test('the person declines: the tool, a log message and the errors say the sign-in failed and why', { timeout: 60000 }, async () => {
    const s = await startOidcStack({ denyAuthorization: DENIED });
    stacks.push(s);
    const home = tempHome('signin-denied');
    const { h, ms } = await connectTimed(s, home);
    handles.push(h);
    assert.ok(ms < HOST_INIT_TIMEOUT_MS, `initialize answered in ${ms} ms`);
    assert.equal(h.client.getServerVersion()?.name, 'mcp-bridge', 'the bridge answered initialize itself');
    const url = authUrl(h);
    assert.ok(url, `the authorization URL on stderr:\n${h.stderr()}`);
    assert.equal(launches(home), 1, 'the browser was launched once');

    const waiting = await h.client.listTools(undefined, { timeout: 5000 });
    assert.equal(waiting.tools.length, 1, JSON.stringify(waiting.tools));
    const toolName = waiting.tools[0].name;
    assert.equal(toolName, 'sign_in_127.0.0.1');
    assert.match(waiting.tools[0].description, /waiting/);

    // The browser reaches the redirect URI with error=access_denied.
    await waitUntil(() => logMessages(h).some((n) => /failed/.test(String(n.params?.data))),
      (DELAY_S + 20) * 1000, 'notifications/message saying the sign-in failed', 100).catch((e) => {
      e.message += `\n${h.stderr().slice(-3000)}\n${describeStack(s)}`;
      throw e;
    });
    const note = logMessages(h).find((n) => /failed/.test(String(n.params?.data)));
    assert.equal(note.params.level, 'error');
    const said = String(note.params.data);
    assert.match(said, REFUSED, said);
    assert.ok(said.includes(s.mcpUrl), said);
    assert.equal(s.stats.codeGrants, 0, 'no code was exchanged');
    assert.ok(s.stats.interactions >= 1, describeStack(s));

    const failed = await h.client.listTools(undefined, { timeout: 5000 });
    assert.equal(failed.tools.length, 1, JSON.stringify(failed.tools));
    assert.equal(failed.tools[0].name, toolName);
    assert.match(failed.tools[0].description, /failed/);
    assert.match(failed.tools[0].description, REFUSED);
    assert.doesNotMatch(failed.tools[0].description, /waiting/);

    const r = await callTool(h.client, toolName, {}, { timeout: 5000 });
    assert.equal(r.isError, true, JSON.stringify(r));
    assert.match(resultText(r), /failed/);
    assert.match(resultText(r), REFUSED);

    await assert.rejects(callTool(h.client, 'echo', { message: 'after the refusal' }, { timeout: 5000 }),
      (e) => /failed/.test(e.message) && REFUSED.test(e.message),
      'another call fails at once with the reason');
    assert.deepEqual((await h.client.listPrompts(undefined, { timeout: 5000 })).prompts, []);
    await assert.rejects(h.client.readResource({ uri: 'x://y' }, { timeout: 5000 }),
      (e) => /failed/.test(e.message) && REFUSED.test(e.message),
      'resources/read fails with the reason');
    await h.client.ping({ timeout: 5000 });
    // The host listed the sign-in tool while it waited: told once to list again,
    // so it sees the description that says the sign-in failed.
    assert.equal(notes(h, 'notifications/tools/list_changed'), 1, 'one tools/list_changed for the failure');
    assert.equal(notes(h, 'notifications/prompts/list_changed'), 0, 'prompts were not listed while waiting');
    assert.equal(launches(home), 1, 'no second browser launch');
    assert.equal(logMessages(h).filter((n) => /failed/.test(String(n.params?.data))).length, 1,
      'the failure is logged to the host once');

    const { code, signal } = await endInput(h);
    assert.equal(signal, null, h.stderr().slice(-2000));
    assert.equal(code, 0, h.stderr().slice(-2000));
    assertOnlyJsonRpc(h);
  });

  test('the token endpoint refuses the code: the sign-in tool and the errors give invalid_grant', { timeout: 60000 }, async () => {
    const s = await startOidcStack({ refuseCodeGrant: true });
    stacks.push(s);
    const home = tempHome('signin-badcode');
    const { h, ms } = await connectTimed(s, home);
    handles.push(h);
    assert.ok(ms < HOST_INIT_TIMEOUT_MS, `initialize answered in ${ms} ms`);
    assert.equal(h.client.getServerVersion()?.name, 'mcp-bridge', 'the bridge answered initialize itself');
    const { tools } = await h.client.listTools(undefined, { timeout: 5000 });
    assert.equal(tools.length, 1, JSON.stringify(tools));
    assert.match(tools[0].description, /waiting/);

    await waitUntil(() => logMessages(h).some((n) => /failed/.test(String(n.params?.data))),
      (DELAY_S + 20) * 1000, 'notifications/message saying the sign-in failed', 100).catch((e) => {
      e.message += `\n${h.stderr().slice(-3000)}\n${describeStack(s)}`;
      throw e;
    });
    assert.ok(s.grants.some((g) => g.grant_type === 'authorization_code' && g.error === 'invalid_grant'),
      describeStack(s));
    assert.equal(s.stats.codeGrants, 0, 'no code was exchanged');
    const said = String(logMessages(h).find((n) => /failed/.test(String(n.params?.data))).params.data);
    assert.match(said, /invalid_grant/, said);

    const failed = await h.client.listTools(undefined, { timeout: 5000 });
    assert.match(failed.tools[0].description, /failed.*invalid_grant/);
    const r = await callTool(h.client, failed.tools[0].name, {}, { timeout: 5000 });
    assert.equal(r.isError, true, JSON.stringify(r));
    assert.match(resultText(r), /failed.*invalid_grant/);
    await assert.rejects(callTool(h.client, 'echo', { message: 'x' }, { timeout: 5000 }),
      (e) => /failed.*invalid_grant/.test(e.message), 'another call fails at once with the reason');
    for (const secret of s.allSecrets()) {
      assert.ok(!h.stderr().includes(secret.value), `a ${secret.kind} in the bridge's stderr`);
    }

    const { code } = await endInput(h);
    assert.equal(code, 0, h.stderr().slice(-2000));
    assertOnlyJsonRpc(h);
  });

  test('a 2026-07-28 server: discover gets 401, initialize answered in time, then the modern tools', { timeout: 60000 }, async () => {
    const s = await startOidcStack({ mcpServer: 'v2-modern' });
    stacks.push(s);
    const home = tempHome('signin-modern');
    const elicitations = [];
    const { h, ms } = await connectTimed(s, home, {
      onElicit: async (req) => {
        elicitations.push(req.params);
        return { action: 'accept', content: { name: 'signed-in person' } };
      },
    });
    handles.push(h);
    assert.ok(ms < HOST_INIT_TIMEOUT_MS, `initialize answered in ${ms} ms`);
    assert.equal(h.client.getServerVersion()?.name, 'mcp-bridge', 'the bridge answered initialize itself');
    const url = authUrl(h);
    assert.ok(url, `the authorization URL on stderr:\n${h.stderr()}`);
    const first = s.rsLog.find((e) => e.path === new URL(s.mcpUrl).pathname);
    assert.equal(first?.method, 'POST', describeStack(s));
    assert.equal(first.status, 401, describeStack(s));

    const waiting = await h.client.listTools(undefined, { timeout: 5000 });
    assert.deepEqual(waiting.tools.map((t) => t.name), ['sign_in_127.0.0.1']);
    assert.ok(waiting.tools[0].description.includes(url), waiting.tools[0].description);

    await waitUntil(() => hasNote(h, 'notifications/tools/list_changed'), (DELAY_S + 30) * 1000,
      'tools/list_changed after the sign-in', 100).catch((e) => {
      e.message += `\n${h.stderr().slice(-3000)}\n${describeStack(s)}`;
      throw e;
    });
    assert.equal(s.stats.codeGrants, 1, describeStack(s));
    const rpcs = s.rsLog.filter((e) => e.status === 200).flatMap((e) => e.rpc ?? []);
    assert.ok(rpcs.includes('server/discover'), `the bridge asked server/discover with the token: ${rpcs}`);
    assert.ok(!s.rsLog.some((e) => (e.rpc ?? []).includes('initialize')),
      `no initialize was sent to a 2026-07-28 server:\n${describeStack(s)}`);

    const { tools } = await h.client.listTools(undefined, { timeout: 10000 });
    const names = tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['add', 'ask', 'echo'], JSON.stringify(tools));

    const sum = await callTool(h.client, 'add', { a: 20, b: 22 }, { timeout: 10000 });
    assert.equal(resultText(sum), '42', JSON.stringify(sum));

    const asked = await callTool(h.client, 'ask', {}, { timeout: 15000 });
    assert.equal(elicitations.length, 1, 'the input request reached the host as elicitation/create');
    assert.match(String(elicitations[0].message), /What is your name/);
    assert.equal(resultText(asked), 'hello signed-in person', JSON.stringify(asked));
    assert.ok(h.lines.some((l) => JSON.parse(l).method === 'elicitation/create'), 'elicitation/create on stdout');
    assert.equal(launches(home), 1, 'the browser was launched once');

    const { code } = await endInput(h);
    assert.equal(code, 0, h.stderr().slice(-2000));
    assertOnlyJsonRpc(h);
  });
  test('a host that declared URL-mode elicitation (2025-11-25) is asked to open the sign-in URL, then told it is complete', { timeout: 60000 }, async () => {
    const s = await startOidcStack({});
    stacks.push(s);
    const home = tempHome('signin-url-elicitation');
    const b = spawnRawBridge([s.mcpUrl, '--token-store', 'file'], { env: envFor(home) });
    try {
      const t0 = Date.now();
      b.send({
        jsonrpc: '2.0', id: 0, method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: { elicitation: { url: {} } }, clientInfo: { name: 'raw-host', version: '1' } },
      });
      const init = await b.waitForId(0, HOST_INIT_TIMEOUT_MS);
      assert.ok(init.result, JSON.stringify(init));
      assert.ok(Date.now() - t0 < HOST_INIT_TIMEOUT_MS, 'initialize answered in time');
      b.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      const ask = await b.waitFor((m) => m.method === 'elicitation/create', 5000, 'the URL elicitation');
      assert.equal(ask.params.mode, 'url');
      assert.ok(ask.params.url.startsWith(s.issuer), `the authorization URL: ${ask.params.url}`);
      assert.match(ask.params.message, /Sign in to/);
      const elicitationId = ask.params.elicitationId;
      assert.equal(typeof elicitationId, 'string');
      b.send({ jsonrpc: '2.0', id: ask.id, result: { action: 'accept' } });
      const done = await b.waitFor((m) => m.method === 'notifications/elicitation/complete', (DELAY_S + 30) * 1000,
        'notifications/elicitation/complete after the sign-in');
      assert.equal(done.params.elicitationId, elicitationId);
      await b.waitFor((m) => m.method === 'notifications/tools/list_changed', 10000, 'tools/list_changed');
      b.send({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
      const list = await b.waitForId(1, 10000);
      assert.ok(list.result.tools.some((t) => t.name === 'echo'), JSON.stringify(list));
      // The host's answer to the elicitation was the bridge's, never the server's.
      assert.ok(!s.rsLog.some((e) => (e.rpc ?? []).includes('response')), describeStack(s));
      assert.equal(b.messages().filter((m) => m && m.method === 'elicitation/create').length, 1, 'asked once');
      b.endStdin();
      const { code } = await b.waitExit(10000);
      assert.equal(code, 0, b.stderr());
      assertAllJsonRpc(b.lines);
    } finally {
      b.kill();
    }
  });
});
