// Logging: stderr only (stdout stays pure JSON-RPC), --silent, --debug,
// --log-file, and secrets (header values) never logged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  assertAllJsonRpc, freePortClosed, killAll, rawHandshake, requireBridge, spawnRawBridge, startServer,
} from '../lib/harness.mjs';

const SECRET = 'tok-9f8e7d6c5b4a-SECRET';

describe('logging', { timeout: 40000 }, () => {
  let srv, dir;
  before(async () => {
    requireBridge();
    srv = await startServer('streamable');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-log-'));
  });
  after(async () => {
    await srv?.stop();
    await killAll();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A short session: initialize, one call, one failing call (5xx), EOF. */
  async function session(args, env) {
    const b = spawnRawBridge([srv.url, ...args], { env });
    try {
      assert.ok((await rawHandshake(b)).result);
      b.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'log me' } } });
      await b.waitForId(1);
      srv.injectFault({ status: 502, body: 'bad gateway' });
      b.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' } } });
      await b.waitForId(2);
      b.endStdin();
      const { code } = await b.waitExit(5000);
      assert.equal(code, 0);
      assertAllJsonRpc(b.lines);
      assert.equal(b.partial(), '');
      return b.stderr();
    } finally {
      b.kill();
    }
  }

  test('--debug logs HTTP exchanges on stderr, never the Authorization value', async () => {
    const err = await session(['--debug', '--header', 'Authorization: Bearer ${TOK}', '--header', 'X-Api-Key: ${TOK}'], { TOK: SECRET });
    assert.ok(err.length > 0, 'something logged');
    assert.match(err, /POST/);
    assert.ok(!err.includes(SECRET), `secret leaked on stderr:\n${err}`);
  });

  test('--silent logs nothing for a session with a recoverable error', async () => {
    const err = await session(['--silent']);
    assert.equal(err, '', `stderr not empty: ${err}`);
  });

  test('default level reports the remote failure on stderr but is not chatty', async () => {
    const err = await session([]);
    assert.ok(err.split('\n').filter(Boolean).length < 20, `too chatty:\n${err}`);
  });

  test('--log-file appends timestamped lines; secrets absent', async () => {
    const file = path.join(dir, 'bridge.log');
    fs.writeFileSync(file, 'existing line\n');
    await session(['--debug', '--log-file', file, '--header', 'Authorization: Bearer ${TOK}'], { TOK: SECRET });
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.startsWith('existing line\n'), 'appended, not truncated');
    const lines = text.split('\n').slice(1).filter(Boolean);
    assert.ok(lines.length > 0, 'log lines written');
    assert.ok(lines.every((l) => /\d{2}:\d{2}:\d{2}/.test(l)), `timestamps on every line:\n${lines.slice(0, 5).join('\n')}`);
    assert.ok(!text.includes(SECRET), 'secret leaked into the log file');
  });

  test('--log-file in a missing directory -> usage/fatal error, not a crash', async () => {
    const b = spawnRawBridge([srv.url, '--log-file', path.join(dir, 'no', 'such', 'dir', 'x.log')]);
    try {
      b.endStdin();
      const { code, signal } = await b.waitExit(5000);
      assert.equal(signal, null);
      assert.equal(code, 2, `exit ${code}: ${b.stderr()}`);
      assert.match(b.stderr(), /^mcp-bridge: cannot open the log file \S+\/no\/such\/dir\/x\.log\n$/);
      assert.deepEqual(b.lines, [], 'nothing on stdout');
    } finally {
      b.kill();
    }
  });

  test('an unreachable server is reported on stderr at the default level', async () => {
    const port = await freePortClosed();
    const b = spawnRawBridge([`http://127.0.0.1:${port}/mcp`, '--connect-timeout', '2']);
    try {
      const r = await rawHandshake(b, { timeoutMs: 10000 });
      assert.ok(r.error);
      b.endStdin();
      await b.waitExit(5000);
      assert.match(b.stderr(), new RegExp(String(port)));
    } finally {
      b.kill();
    }
  });
});
