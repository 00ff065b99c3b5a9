// The remote server dies mid-session and comes back on the same port: calls
// during the outage get JSON-RPC errors (the bridge stays up), and calls after
// the restart succeed (re-initialize on 404 / reconnect).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAllJsonRpc, callTool, connectBridge, killAll, requireBridge, resultText, spawnServer, waitUntil,
} from '../lib/harness.mjs';

async function expectRpcError(promise) {
  try {
    const r = await promise;
    assert.fail(`expected a JSON-RPC error, got a result: ${JSON.stringify(r).slice(0, 300)}`);
  } catch (e) {
    if (e.code === 'ERR_ASSERTION') throw e;
    // McpError carries the JSON-RPC error code; a timeout would be code -32001 from the SDK itself.
    assert.ok(Number.isInteger(e.code), `not a JSON-RPC error: ${e}`);
    assert.ok(!/Request timed out/.test(String(e.message)), `the bridge never answered: ${e.message}`);
    return e;
  }
}

for (const kind of ['streamable', 'legacy-sse']) {
  describe(`${kind} server killed and restarted on the same port`, { timeout: 55000 }, () => {
    let server, h, port;
    const script = kind === 'streamable' ? 'streamable.mjs' : 'legacy-sse.mjs';
    before(async () => {
      requireBridge();
      server = await spawnServer(script, ['--port', '0']);
      port = server.port;
      const args = ['--connect-timeout', '3'];
      if (kind === 'legacy-sse') args.push('--transport', 'sse-only');
      h = await connectBridge(server.url, { args });
    });
    after(async () => {
      await h?.close();
      await server?.stop();
      await killAll();
    });

    test('a call before the outage works', async () => {
      assert.equal(resultText(await callTool(h.client, 'echo', { message: 'before' })), 'before');
    });

    test('during the outage: each call gets a JSON-RPC error promptly, the bridge survives', async () => {
      await server.stop('SIGKILL'); // resolves once the server has exited
      const t0 = Date.now();
      // --connect-timeout 3: an answer within 12 s is generous.
      const e = await expectRpcError(callTool(h.client, 'echo', { message: 'during' }, { timeout: 12000 }));
      assert.ok(Date.now() - t0 < 12000, 'the error came within the connect timeout budget');
      assert.ok(e.message.length > 0);
      assert.equal(h.proc.exitCode, null, 'bridge still running');
      assert.equal(h.proc.signalCode, null, 'bridge not killed by a signal');
      // A second request during the outage also gets its own error.
      await expectRpcError(h.client.listTools(undefined, { timeout: 12000 }));
    });

    test('after the restart on the same port: calls succeed', async () => {
      await server.stop('SIGKILL'); // no-op when already dead
      server = await spawnServer(script, ['--port', String(port)]);
      assert.equal(server.port, port);

      // The first call after the restart should succeed; allow the bridge a moment
      // to notice, but every failure in between must be a proper JSON-RPC error.
      let ok = null;
      const failures = [];
      await waitUntil(async () => {
        try {
          ok = await callTool(h.client, 'echo', { message: 'after' }, { timeout: 15000 });
          return true;
        } catch (err) {
          failures.push(String(err.message));
          return false;
        }
      }, 15000, 'a successful call after the restart', 500).catch((err) => {
        err.message += `; failures: ${failures.join(' | ')}\nstderr:\n${h.stderr().slice(-2000)}`;
        throw err;
      });
      assert.equal(resultText(ok), 'after');
      assert.equal(failures.length, 0, `calls after the restart failed first: ${failures.join(' | ')}`);
      assert.deepEqual(await h.client.ping({ timeout: 10000 }), {});
      assert.equal(h.proc.exitCode, null);
      assertAllJsonRpc(h.lines);
      // The client saw exactly one initialize response.
      assert.equal(h.messages().filter((m) => m.result?.serverInfo).length, 1);
    });
  });
}
