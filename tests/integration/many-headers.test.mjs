// Twenty --header lines: every request that ends a session (the DELETE of
// `mcp-bridge login`, and the bridge's DELETE when stdin closes) carries all of
// them, the Authorization line last among them included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  killAll, rawHandshake, requireBridge, runBridge, spawnRawBridge, startServer,
} from '../lib/harness.mjs';

const N = 20;
const headerArgs = [];
for (let i = 0; i < N - 1; i++) headerArgs.push('--header', `X-Extra-${i}: value-${i}`);
headerArgs.push('--header', 'Authorization: Bearer many-headers-token');

function assertAllHeaders(headers) {
  for (let i = 0; i < N - 1; i++) assert.equal(headers[`x-extra-${i}`], `value-${i}`, `X-Extra-${i} present`);
  assert.equal(headers.authorization, 'Bearer many-headers-token', 'the Authorization line present');
  assert.ok(headers['mcp-session-id'], 'the session id present');
}

describe('20 --header lines reach the DELETE that ends the session', { timeout: 60000 }, () => {
  let s, home;
  before(async () => {
    requireBridge();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'many-headers-'));
    s = await startServer('streamable');
  });
  after(async () => {
    await s?.stop();
    await killAll();
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('mcp-bridge login: its DELETE carries all 20 lines', async () => {
    const before = s.deletes.length;
    const r = await runBridge(['login', s.url, '--token-store', 'file', ...headerArgs],
      { timeoutMs: 15000, env: { HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.deletes.length, before + 1, 'one DELETE');
    assertAllHeaders(s.deletes.at(-1).headers);
  });

  test('the bridge at stdin EOF: its DELETE carries all 20 lines', async () => {
    const before = s.deletes.length;
    const b = spawnRawBridge([s.url, '--token-store', 'file', ...headerArgs], { env: { HOME: home } });
    const init = await rawHandshake(b);
    assert.ok(init.result, JSON.stringify(init));
    b.endStdin();
    const { code } = await b.waitExit(10000);
    assert.equal(code, 0, b.stderr());
    assert.equal(s.deletes.length, before + 1, 'one DELETE');
    assertAllHeaders(s.deletes.at(-1).headers);
  });
});
