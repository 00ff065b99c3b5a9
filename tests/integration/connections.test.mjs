// Thousands of requests in flight with few file descriptors (ulimit -n 256):
// connections to the server are capped, so requests wait for a connection
// instead of failing with "connection refused" when socket() runs out.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHostileStreamsServer } from '../servers/hostile-streams.mjs';
import {
  bridgeBin, killAll, rawHandshake, requireBridge, spawnRawBridge, waitUntil,
} from '../lib/harness.mjs';

const N = 3000;

describe('requests in flight beyond the descriptor limit', { timeout: 180000 }, () => {
  let srv;
  after(async () => { await srv?.stop(); await killAll(); });

  test(`${N} pipelined requests with ulimit -n 256: every one answered with its result`, async () => {
    requireBridge();
    srv = await startHostileStreamsServer({ listen: 'none' });
    // Slow each answer a little, so that many requests are in flight at once.
    srv.delayMs = 20;
    const b = spawnRawBridge(['-c', 'ulimit -n 256 && exec "$0" "$@"', bridgeBin(), srv.url, '--max-pending', String(N + 10)],
      { bin: '/bin/bash' });
    assert.ok((await rawHandshake(b)).result, b.stderr());
    let batch = '';
    for (let i = 1; i <= N; i++) {
      batch += JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: `call-${i}`, arguments: {} } }) + '\n';
    }
    b.write(batch);
    // The initialize answer and N more lines (counted, not parsed, while waiting).
    await waitUntil(() => b.lines.length >= N + 1, 150000, `${N} answers`, 100);
    const answers = b.messages().filter((m) => typeof m.id === 'number' && m.id >= 1);
    const failed = answers.filter((m) => !m.result);
    assert.equal(failed.length, 0, `${failed.length} failed, e.g. ${JSON.stringify(failed[0])}`);
    for (const m of answers) assert.equal(m.result.content[0].text, `call-${m.id}`);
    b.endStdin();
    await b.waitExit(30000);
  });
});
