// Start-up while the person signs in (a host that gives initialize 5 s, a
// person who takes 20 s in the browser):
//  - initialize is answered within the host's timeout;
//  - tools/list holds the sign-in tool alone, whose description and result
//    carry the authorization URL; notifications/message carries it too;
//    another tool's call fails at once with an error that names the URL;
//  - after the sign-in, list_changed arrives, the real tools are listed and a
//    call succeeds;
//  - the second start uses the stored tokens (no sign-in tool, no browser);
//  - two bridges started 100 ms apart launch the browser once, and both end
//    up with the real tools.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  callTool, connectBridge, killAll, requireBridge, resultText, sleep, TESTS_DIR, waitUntil,
} from '../lib/harness.mjs';
import {
  cleanupHomes, describeStack, startOidcStack, tempHome,
} from '../servers/oidc-stack.mjs';
import {
  authUrl, connectTimed as connectSlow, HOST_INIT_TIMEOUT_MS, launches, slowSigninEnv,
} from '../lib/slow-signin.mjs';

const DELAY_S = 20;

const envFor = (home) => slowSigninEnv(home, DELAY_S);
const connectTimed = (s, home, opts) => connectSlow(s, home, DELAY_S, opts);

const hasNote = (h, method) => h.notifications.some((n) => n.method === method);

describe('signin-startup: initialize answered at once while the person signs in', { timeout: 240000 }, () => {
  let s;
  const handles = [];
  before(async () => {
    requireBridge();
    s = await startOidcStack();
  });
  after(async () => {
    for (const h of handles) await h.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  const home = tempHome('signin-startup');

  test('first start: sign-in tool and log carry the URL; the real tools follow list_changed', async () => {
    const { h, ms } = await connectTimed(s, home);
    handles.push(h);
    assert.ok(ms < HOST_INIT_TIMEOUT_MS, `initialize answered in ${ms} ms`);
    const url = authUrl(h);
    assert.ok(url, `the authorization URL on stderr:\n${h.stderr()}`);
    assert.equal(launches(home), 1, 'the browser was launched once');

    const { tools } = await h.client.listTools(undefined, { timeout: 5000 });
    assert.equal(tools.length, 1, JSON.stringify(tools));
    assert.equal(tools[0].name, 'sign_in_127.0.0.1');
    assert.ok(tools[0].description.includes(url), tools[0].description);
    const r = await callTool(h.client, tools[0].name, {}, { timeout: 5000 });
    assert.ok(resultText(r).includes(url) && /waiting/.test(resultText(r)), resultText(r));
    await waitUntil(() => h.notifications.some((n) => n.method === 'notifications/message'
      && String(n.params?.data).includes(url)), 5000, 'notifications/message with the URL');
    await assert.rejects(callTool(h.client, 'echo', { message: 'early' }, { timeout: 5000 }),
      (e) => e.message.includes(url), 'a call before the sign-in names the URL');
    assert.ok(!hasNote(h, 'notifications/tools/list_changed'), 'no list_changed before the sign-in');

    await waitUntil(() => hasNote(h, 'notifications/tools/list_changed'), (DELAY_S + 40) * 1000,
      'tools/list_changed after the sign-in', 100).catch((e) => {
      e.message += `\n${h.stderr().slice(-3000)}\n${describeStack(s)}`;
      throw e;
    });
    assert.ok(hasNote(h, 'notifications/prompts/list_changed'));
    assert.ok(hasNote(h, 'notifications/resources/list_changed'));
    const after1 = await h.client.listTools(undefined, { timeout: 10000 });
    assert.ok(after1.tools.some((t) => t.name === 'echo'), JSON.stringify(after1.tools));
    assert.ok(!after1.tools.some((t) => t.name.startsWith('sign_in_')));
    const echo = await callTool(h.client, 'echo', { message: 'after sign-in' }, { timeout: 10000 });
    assert.match(resultText(echo), /after sign-in/);
    assert.equal(launches(home), 1);
    assert.ok(h.lines.every((l) => JSON.parse(l).jsonrpc === '2.0'), 'only JSON-RPC on stdout');
    await h.close();
  });

  test('second start: the stored tokens are used; no sign-in tool, no browser', async () => {
    const { h, ms } = await connectTimed(s, home);
    handles.push(h);
    assert.ok(ms < HOST_INIT_TIMEOUT_MS, `initialize answered in ${ms} ms`);
    const { tools } = await h.client.listTools(undefined, { timeout: 5000 });
    assert.ok(tools.some((t) => t.name === 'echo'), JSON.stringify(tools));
    assert.ok(!tools.some((t) => t.name.startsWith('sign_in_')));
    const echo = await callTool(h.client, 'echo', { message: 'again' }, { timeout: 10000 });
    assert.match(resultText(echo), /again/);
    assert.equal(launches(home), 1, 'no second browser launch');
    await h.close();
  });

  test('two bridges started 100 ms apart: one browser launch; both get the real tools', async () => {
    const home2 = tempHome('signin-startup-two');
    const first = connectTimed(s, home2);
    await sleep(100);
    const second = connectTimed(s, home2);
    const [a, b] = await Promise.all([first, second]);
    handles.push(a.h, b.h);
    assert.ok(a.ms < HOST_INIT_TIMEOUT_MS && b.ms < HOST_INIT_TIMEOUT_MS, `${a.ms} ms, ${b.ms} ms`);
    for (const { h } of [a, b]) {
      await waitUntil(() => hasNote(h, 'notifications/tools/list_changed'), (DELAY_S + 40) * 1000,
        'tools/list_changed', 100).catch((e) => {
        e.message += `\n${h.stderr().slice(-3000)}`;
        throw e;
      });
      const { tools } = await h.client.listTools(undefined, { timeout: 10000 });
      assert.ok(tools.some((t) => t.name === 'echo'), JSON.stringify(tools));
      const echo = await callTool(h.client, 'echo', { message: 'both' }, { timeout: 10000 });
      assert.match(resultText(echo), /both/);
    }
    assert.equal(launches(home2), 1, 'the browser was launched once');
  });
});
