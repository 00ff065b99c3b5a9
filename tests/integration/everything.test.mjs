// SDK client over stdio -> mcp-bridge -> the reference "everything" server over
// Streamable HTTP (a server we did not write).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAllJsonRpc, callTool, connectBridge, killAll, requireBridge, resultText, startServer } from '../lib/harness.mjs';

describe('everything server through the bridge', { timeout: 50000 }, () => {
  let srv, h;
  before(async () => {
    requireBridge();
    srv = await startServer('everything');
    h = await connectBridge(srv.url);
  });
  after(async () => {
    await h?.close();
    await srv?.stop();
    await killAll();
  });

  test('initialize reports the everything server', () => {
    const info = h.client.getServerVersion();
    assert.equal(info?.name, 'mcp-servers/everything');
    const caps = h.client.getServerCapabilities();
    assert.ok(caps?.tools, 'tools capability relayed');
    assert.ok(caps?.resources, 'resources capability relayed');
    assert.ok(caps?.prompts, 'prompts capability relayed');
  });

  test('tools/list', async () => {
    const { tools } = await h.client.listTools(undefined, { timeout: 10000 });
    const names = tools.map((t) => t.name);
    for (const n of ['echo', 'get-sum', 'get-tiny-image']) assert.ok(names.includes(n), `tool ${n} in ${names}`);
  });

  test('tools/call echo and get-sum', async () => {
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'hello through the bridge' })),
      'Echo: hello through the bridge');
    assert.match(resultText(await callTool(h.client, 'get-sum', { a: 40, b: 2 })), /is 42/);
  });

  test('tools/call with an image result (binary data in JSON)', async () => {
    const r = await callTool(h.client, 'get-tiny-image', {});
    const img = r.content.find((c) => c.type === 'image');
    assert.ok(img, 'image content present');
    assert.ok(Buffer.from(img.data, 'base64').length > 50);
  });

  test('resources/list and resources/read', async () => {
    const { resources } = await h.client.listResources(undefined, { timeout: 10000 });
    assert.ok(resources.length > 0, 'has resources');
    const first = resources[0];
    const r = await h.client.readResource({ uri: first.uri }, { timeout: 10000 });
    assert.equal(r.contents[0].uri, first.uri);
    const dyn = await h.client.readResource({ uri: 'demo://resource/dynamic/text/1' }, { timeout: 10000 });
    assert.match(dyn.contents[0].text, /^Resource 1:/);
  });

  test('resources/templates/list', async () => {
    const r = await h.client.listResourceTemplates(undefined, { timeout: 10000 });
    assert.ok(r.resourceTemplates.some((t) => t.uriTemplate.includes('demo://resource/dynamic')));
  });

  test('prompts/list and prompts/get', async () => {
    const { prompts } = await h.client.listPrompts(undefined, { timeout: 10000 });
    assert.ok(prompts.some((p) => p.name === 'simple-prompt'));
    const simple = await h.client.getPrompt({ name: 'simple-prompt' }, { timeout: 10000 });
    assert.equal(simple.messages[0].content.text, 'This is a simple prompt without arguments.');
    const args = await h.client.getPrompt({ name: 'args-prompt', arguments: { city: 'Paris', state: 'TX' } }, { timeout: 10000 });
    assert.equal(args.messages[0].content.text, "What's weather in Paris, TX?");
  });

  test('ping', async () => {
    const r = await h.client.ping({ timeout: 10000 });
    assert.deepEqual(r, {});
  });

  test('unknown tool -> error result or JSON-RPC error, bridge alive', async () => {
    let errored = false;
    try {
      const r = await callTool(h.client, 'no-such-tool', {});
      errored = r.isError === true;
    } catch {
      errored = true;
    }
    assert.ok(errored);
    assert.deepEqual(await h.client.ping({ timeout: 10000 }), {});
  });

  test('stdout carried only JSON-RPC lines', () => {
    assert.ok(h.lines.length > 5);
    assertAllJsonRpc(h.lines);
    assert.equal(h.errors.length, 0, `client errors: ${h.errors.map(String).join('; ')}`);
  });
});
