// Hostile or broken input on stdin, unreachable servers, command-line usage,
// --header / --header-file / ${VAR}, and --ignore-tool. Uses the raw spawner so
// we control every byte the bridge reads and see every byte it writes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  assertAllJsonRpc, freePortClosed, isJsonRpcMessage, killAll, rawHandshake, requireBridge, runBridge,
  spawnRawBridge, startServer,
} from '../lib/harness.mjs';

/** Responses to a line that has no usable id: either one error object, or (JSON-RPC
 * batch semantics) an array holding one. Returns the error object. */
function singleError(m) {
  if (Array.isArray(m)) {
    assert.equal(m.length, 1, `one error in ${JSON.stringify(m)}`);
    return m[0];
  }
  return m;
}

describe('malformed stdin lines', { timeout: 40000 }, () => {
  let srv, b;
  let seq = 0;
  before(async () => {
    requireBridge();
    srv = await startServer('streamable');
    b = spawnRawBridge([srv.url]);
    const r = await rawHandshake(b);
    assert.ok(r.result, JSON.stringify(r));
  });
  after(async () => {
    b?.kill();
    await srv?.stop();
    await killAll();
  });

  /** Send raw bytes, then a ping; resolve with every message that arrived between
   * (i.e. the bridge's reaction to the bad line) once the ping answer is in. */
  async function reaction(bytes) {
    const start = b.lines.length;
    b.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
    const pid = `probe-${++seq}`;
    b.send({ jsonrpc: '2.0', id: pid, method: 'ping' });
    const pong = await b.waitForId(pid, 10000);
    assert.deepEqual(pong.result, {}, 'the bridge still relays after the bad line');
    const all = b.lines.slice(start).map((l) => JSON.parse(l));
    return all.filter((m) => !(m && m.id === pid));
  }

  test('malformed JSON -> -32700 with id null', async () => {
    const got = await reaction('{"jsonrpc": "2.0", "id": 1, "method": \n');
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0].error?.code, -32700, JSON.stringify(got[0]));
    assert.equal(got[0].id, null);
    assert.ok(isJsonRpcMessage(got[0]));
  });

  test('truncated garbage -> -32700', async () => {
    const got = await reaction('}}}{{{\n');
    assert.equal(got.length, 1);
    assert.equal(got[0].error?.code, -32700);
    assert.equal(got[0].id, null);
  });

  for (const [label, line] of [
    ['a JSON string', '"x"'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
    ['an object that is not JSON-RPC', '{"foo":1}'],
    ['jsonrpc without method/result', '{"jsonrpc":"2.0"}'],
    ['a method that is not a string', '{"jsonrpc":"2.0","method":5}'],
  ]) {
    test(`valid JSON but not JSON-RPC (${label}) -> -32600 with id null`, async () => {
      const got = await reaction(line + '\n');
      assert.equal(got.length, 1, JSON.stringify(got));
      assert.equal(got[0].error?.code, -32600, JSON.stringify(got[0]));
      assert.equal(got[0].id, null);
    });
  }

  test('wrong jsonrpc version with an id -> -32600 (id echoed or null)', async () => {
    const got = await reaction('{"jsonrpc":"1.0","id":"v1","method":"ping"}\n');
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0].error?.code, -32600);
    assert.ok(got[0].id === 'v1' || got[0].id === null, `id ${JSON.stringify(got[0].id)}`);
  });

  test('[1] -> -32600', async () => {
    const got = await reaction('[1]\n');
    assert.equal(got.length, 1, JSON.stringify(got));
    const e = singleError(got[0]);
    assert.equal(e.error?.code, -32600);
    assert.equal(e.id, null);
  });

  test('[] -> -32600', async () => {
    const got = await reaction('[]\n');
    assert.equal(got.length, 1, JSON.stringify(got));
    const e = singleError(got[0]);
    assert.equal(e.error?.code, -32600);
    assert.equal(e.id, null);
  });

  test('invalid UTF-8 bytes -> an error response, the bridge goes on', async () => {
    const head = Buffer.from('{"jsonrpc":"2.0","id":"utf","method":"tools/call","params":{"name":"echo","arguments":{"message":"');
    const bad = Buffer.concat([head, Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}}}\n')]);
    const got = await reaction(bad);
    assert.equal(got.length, 1, JSON.stringify(got));
    // Not UTF-8 is not JSON: a parse error at the first bad byte, id unknown.
    assert.equal(got[0].error?.code, -32700, JSON.stringify(got[0]));
    assert.equal(got[0].error.message, `Parse error: invalid JSON at byte ${head.length}`);
    assert.equal(got[0].id, null);
    assert.ok(!srv.log.find((e) => e.rpc?.some((m) => m.id === 'utf')), 'not forwarded to the server');
  });

  test('a NUL byte inside a string -> error', async () => {
    const stderrFrom = b.stderr().length;
    const got = await reaction(Buffer.from('{"jsonrpc":"2.0","id":"nul","method":"ping","params":{"x":"a\u0000b"}}\n', 'latin1'));
    assert.equal(got.length, 1, JSON.stringify(got));
    // A raw NUL is not allowed in a JSON string: the line is not JSON.
    assert.equal(got[0].error?.code, -32700, JSON.stringify(got[0]));
    assert.equal(got[0].id, null);
    assert.match(got[0].error.message, /^Parse error: invalid JSON at byte \d+$/, got[0].error.message);
    assert.match(b.stderr().slice(stderrFrom), /error: stdin: Parse error: invalid JSON at byte \d+/, 'and says so on stderr');
  });

  test('a CRLF-terminated request is accepted', async () => {
    b.write('{"jsonrpc":"2.0","id":"crlf","method":"ping"}\r\n');
    const r = await b.waitForId('crlf');
    assert.deepEqual(r.result, {});
  });

  test('a blank line is ignored: no answer, nothing on stderr, the bridge relays on', async () => {
    const stderrFrom = b.stderr().length;
    const got = await reaction('\n');
    assert.deepEqual(got, [], 'no message for a blank line');
    assert.equal(b.stderr().slice(stderrFrom), '', 'nothing logged for a blank line');
  });

  test('a request split across many writes is reassembled', async () => {
    const line = JSON.stringify({ jsonrpc: '2.0', id: 'split', method: 'tools/call', params: { name: 'echo', arguments: { message: 'pieces' } } }) + '\n';
    for (let i = 0; i < line.length; i += 7) {
      // Each piece is handed to the pipe before the next is written.
      await new Promise((r) => b.child.stdin.write(line.slice(i, i + 7), r));
    }
    const r = await b.waitForId('split');
    assert.equal(r.result?.content?.[0]?.text, 'pieces');
  });

  test('two requests in one write are both answered', async () => {
    b.write('{"jsonrpc":"2.0","id":"two-a","method":"ping"}\n{"jsonrpc":"2.0","id":"two-b","method":"ping"}\n');
    assert.deepEqual((await b.waitForId('two-a')).result, {});
    assert.deepEqual((await b.waitForId('two-b')).result, {});
  });

  test('stdout held only JSON-RPC lines throughout', () => {
    const msgs = b.lines.map((l) => JSON.parse(l));
    for (const m of msgs) {
      const list = Array.isArray(m) ? m : [m];
      for (const x of list) assert.ok(isJsonRpcMessage(x), `not JSON-RPC: ${JSON.stringify(x)}`);
    }
    assert.equal(b.partial(), '', 'no unterminated output');
    assert.equal(b.exitInfo, null, 'still running');
  });
});

describe('--max-message-size', { timeout: 30000 }, () => {
  let srv, b;
  before(async () => {
    requireBridge();
    srv = await startServer('streamable');
    b = spawnRawBridge([srv.url, '--max-message-size', '64k']);
    const r = await rawHandshake(b);
    assert.ok(r.result, JSON.stringify(r));
  });
  after(async () => {
    b?.kill();
    await srv?.stop();
    await killAll();
  });

  const echo = (id, n) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message: 'y'.repeat(n) } } });

  test('a line just under the limit is relayed', async () => {
    b.send(echo('under', 60 * 1024));
    const r = await b.waitForId('under');
    assert.equal(r.result?.content?.[0]?.text.length, 60 * 1024);
  });

  test('an oversize line -> error, not forwarded; the next request works', async () => {
    const start = b.lines.length;
    b.send(echo('over', 200 * 1024));
    b.send({ jsonrpc: '2.0', id: 'next', method: 'tools/call', params: { name: 'echo', arguments: { message: 'next' } } });
    const next = await b.waitForId('next', 10000);
    assert.equal(next.result?.content?.[0]?.text, 'next');
    const errs = b.lines.slice(start).map((l) => JSON.parse(l)).filter((m) => m.error);
    assert.equal(errs.length, 1, `one error for the oversize line: ${JSON.stringify(errs)}`);
    // The line is not parsed (that is what the limit is for), so its id is unknown.
    assert.equal(errs[0].id, null, JSON.stringify(errs[0]));
    assert.equal(errs[0].error.code, -32600, JSON.stringify(errs[0]));
    assert.match(errs[0].error.message, /over the 65536-byte limit \(--max-message-size\)/, errs[0].error.message);
    assert.ok(!srv.log.find((e) => e.rpc?.some((m) => m.id === 'over')), 'oversize request not forwarded');
  });

  test('an oversize line of 3 MB without JSON structure -> one error, bridge alive', async () => {
    const start = b.lines.length;
    b.write(Buffer.alloc(3 * 1024 * 1024, 0x61));
    b.write('\n');
    b.send({ jsonrpc: '2.0', id: 'next2', method: 'ping' });
    assert.deepEqual((await b.waitForId('next2', 10000)).result, {});
    const errs = b.lines.slice(start).map((l) => JSON.parse(l)).filter((m) => m.error);
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.equal(errs[0].id, null);
    assert.equal(errs[0].error.code, -32600, JSON.stringify(errs[0]));
    assert.match(errs[0].error.message, /message of 3145728 bytes is over the 65536-byte limit/, errs[0].error.message);
    assert.equal(b.exitInfo, null, 'still running');
  });

  test('a server message over the limit -> error for that request, bridge alive', async () => {
    b.send({ jsonrpc: '2.0', id: 'bigresp', method: 'tools/call', params: { name: 'big', arguments: { bytes: 200 * 1024 } } });
    const stderrFrom = b.stderr().length;
    const r = await b.waitForId('bigresp', 10000);
    assert.ok(r.error, `expected an error for an oversize server message, got ${JSON.stringify(r).slice(0, 200)}`);
    // The error says what happened and which option governs it.
    assert.equal(r.error.message,
      `POST ${srv.url}: the server sent an SSE event larger than the 65536-byte limit (--max-message-size)`);
    assert.match(b.stderr().slice(stderrFrom), /the server sent an SSE event larger than the 65536-byte limit \(--max-message-size\)/,
      'stderr names the limit');
    b.send({ jsonrpc: '2.0', id: 'after-big', method: 'ping' });
    assert.deepEqual((await b.waitForId('after-big')).result, {});
  });

  test('stdout only JSON-RPC', () => {
    assertAllJsonRpc(b.lines);
  });
});

describe('unreachable server', { timeout: 30000 }, () => {
  after(async () => { await killAll(); });

  test('closed port -> initialize gets a JSON-RPC error naming the URL; bridge stays up', async () => {
    requireBridge();
    const port = await freePortClosed();
    const url = `http://127.0.0.1:${port}/mcp`;
    const b = spawnRawBridge([url, '--connect-timeout', '3']);
    try {
      const t0 = Date.now();
      const r = await rawHandshake(b, { id: 'init-unreach', timeoutMs: 15000 });
      assert.ok(Date.now() - t0 < 12000, 'answered promptly');
      assert.ok(r.error, JSON.stringify(r));
      assert.equal(r.id, 'init-unreach');
      assert.ok(r.error.message.includes(`127.0.0.1:${port}`) || JSON.stringify(r.error).includes(url),
        `the error names the URL: ${JSON.stringify(r.error)}`);
      // The process did not die; a second attempt gets its own answer.
      b.send({ jsonrpc: '2.0', id: 'init-2', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
      const r2 = await b.waitForId('init-2', 15000);
      assert.match(r2.error?.message ?? '', /connection refused or unreachable/, JSON.stringify(r2));
      assert.equal(b.exitInfo, null);
      assertAllJsonRpc(b.lines);
    } finally {
      b.kill();
    }
  });
});

describe('command-line usage', { timeout: 30000 }, () => {
  before(() => { requireBridge(); });
  after(async () => { await killAll(); });

  const oneLine = (s) => s.trim().split('\n').length === 1 && s.trim().length > 0;

  for (const [label, args, mention] of [
    ['unknown option', ['http://127.0.0.1:9/mcp', '--bogus-option'], /bogus-option/],
    // (An unknown --transport value is a warning, as in mcp-remote: mcp-remote-flags.test.mjs.)
    ['--authorize-param state=', ['http://127.0.0.1:9/mcp', '--authorize-param', 'state=x'], /state/],
    ['missing URL', [], /url/i],
    ['missing URL with options', ['--debug'], /url/i],
    ['non-loopback http without --allow-http', ['http://example.com/mcp'], /allow-http/],
    ['--connect-timeout not a number', ['http://127.0.0.1:9/mcp', '--connect-timeout', 'soon'], /connect-timeout/],
    ['--max-message-size 0', ['http://127.0.0.1:9/mcp', '--max-message-size', '0'], /max-message-size/],
    ['--header without a colon', ['http://127.0.0.1:9/mcp', '--header', 'NoColonHere'], /header/i],
    ['--header-file that does not exist', ['http://127.0.0.1:9/mcp', '--header-file', '/nonexistent/dir/headers.txt'], /headers\.txt/],
    ['option missing its argument', ['http://127.0.0.1:9/mcp', '--transport'], /transport/],
    ['two URLs', ['http://127.0.0.1:9/mcp', 'http://127.0.0.1:10/mcp'], /10\/mcp|unexpected/],
    ['an unsupported URL scheme', ['ftp://127.0.0.1/mcp'], /ftp|scheme|url/i],
  ]) {
    test(`${label} -> exit 2, one-line reason on stderr, nothing on stdout`, async () => {
      const r = await runBridge(args);
      assert.equal(r.code, 2, `exit code for ${JSON.stringify(args)}; stderr: ${r.stderr}`);
      assert.ok(oneLine(r.stderr), `one line on stderr: ${JSON.stringify(r.stderr)}`);
      assert.match(r.stderr, mention);
      assert.equal(r.stdout, '', 'stdout stays clean');
    });
  }

  test('--header "${UNSET_VAR_X}" -> exit 2 naming the variable', async () => {
    const r = await runBridge(['http://127.0.0.1:9/mcp', '--header', 'Authorization: Bearer ${UNSET_VAR_X}']);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(oneLine(r.stderr), JSON.stringify(r.stderr));
    assert.match(r.stderr, /UNSET_VAR_X/);
  });

  // The CLI accepts the URL: the bridge runs, tries the server, and answers
  // initialize with a connection error naming it (no usage error, no exit).
  async function assertTriesToConnect(url, args) {
    const b = spawnRawBridge([url, ...args, '--connect-timeout', '1']);
    try {
      const r = await rawHandshake(b, { id: 'init', timeoutMs: 10000 });
      assert.equal(r.error?.code, -32000, JSON.stringify(r));
      assert.ok(r.error.message.startsWith(`POST ${url}: `), r.error.message);
      assert.equal(b.exitInfo, null, `still running: ${b.stderr()}`);
      assert.doesNotMatch(b.stderr(), /allow-http|usage/i, 'no usage error');
      assertAllJsonRpc(b.lines);
    } finally {
      b.kill();
    }
  }

  test('http to a non-loopback host is accepted with --allow-http (no usage error)', async () => {
    // 192.0.2.1 is TEST-NET-1: nothing answers.
    await assertTriesToConnect('http://192.0.2.1:9/mcp', ['--allow-http']);
  });

  for (const host of ['localhost', '[::1]']) {
    test(`plain http to ${host} needs no --allow-http`, async () => {
      await assertTriesToConnect(`http://${host}:9/mcp`, []);
    });
  }

  test('--version prints a version and exits 0', async () => {
    const r = await runBridge(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\d+\.\d+\.\d+/);
  });

  test('--help prints usage and exits 0', async () => {
    const r = await runBridge(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /usage/i);
    assert.match(r.stdout + r.stderr, /--header/);
  });

  test('--help fits on one screen; `help` explains options and subcommands', async () => {
    const r = await runBridge(['--help']);
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(lines.length <= 30, `--help is ${lines.length} lines:\n${r.stdout}`);
    for (const l of lines) assert.ok([...l].length <= 80, `a line over 80 columns: ${l}`);
    assert.match(r.stdout, /login\|logout\|status\|token\|doctor\|export\|import/);
    const same = await runBridge(['help']);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(same.stdout, r.stdout);
    const one = await runBridge(['help', 'scope']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^ {2}--scope SCOPES +Request these space-separated scopes/);
    assert.equal((await runBridge(['help', '--no-browser'])).code, 0);
    const all = await runBridge(['help', 'options']);
    assert.equal(all.code, 0, all.stderr);
    for (const opt of r.stdout.match(/--[a-z0-9-]+/g)) assert.ok(all.stdout.includes(opt), `${opt} in help options`);
    const cmds = await runBridge(['help', 'commands']);
    assert.match(cmds.stdout, /mcp-bridge logout <server-url> \| --all/);
    const bad = await runBridge(['help', 'nope']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /no help on "nope"/);
  });
});

describe('--header, --header-file and ${VAR} are sent', { timeout: 30000 }, () => {
  let srv, b, dir;
  before(async () => {
    requireBridge();
    srv = await startServer('streamable');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-hdr-'));
    const file = path.join(dir, 'headers.txt');
    fs.writeFileSync(file, '# a comment\n\nX-From-File: file-value\nX-File-Env: ${FILE_ENV_VAR}\n');
    b = spawnRawBridge([srv.url,
      '--header', 'X-Plain: plain-value',
      '--header', 'Authorization: Bearer ${TOKEN_VAR}',
      '--header', 'X-Spaced:    padded value   ',
      '--header-file', file,
    ], { env: { TOKEN_VAR: 's3cr3t-token', FILE_ENV_VAR: 'from-env' } });
    const r = await rawHandshake(b);
    assert.ok(r.result, JSON.stringify(r));
  });
  after(async () => {
    b?.kill();
    await srv?.stop();
    await killAll();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('on initialize, later POSTs and the GET stream', async () => {
    b.send({ jsonrpc: '2.0', id: 'h1', method: 'tools/call', params: { name: 'headers', arguments: {} } });
    const r = await b.waitForId('h1');
    const seen = JSON.parse(r.result.content[0].text);
    assert.equal(seen['x-plain'], 'plain-value');
    assert.equal(seen.authorization, 'Bearer s3cr3t-token');
    assert.equal(seen['x-spaced'], 'padded value');
    assert.equal(seen['x-from-file'], 'file-value');
    assert.equal(seen['x-file-env'], 'from-env');
    const init = srv.posts('initialize')[0];
    assert.equal(init.headers['x-plain'], 'plain-value');
    assert.equal(init.headers.authorization, 'Bearer s3cr3t-token');
    const get = await srv.waitGetOpen(5000);
    assert.equal(get.headers['x-plain'], 'plain-value', 'GET stream carries the header');
    assert.equal(get.headers.authorization, 'Bearer s3cr3t-token', 'GET stream carries the header');
  });

  test('the secret never appears on stderr', () => {
    assert.ok(!b.stderr().includes('s3cr3t-token'), 'token leaked to the log');
  });

  test('and on the DELETE at shutdown', async () => {
    b.endStdin();
    const { code } = await b.waitExit(5000);
    assert.equal(code, 0);
    const del = srv.deletes.at(-1);
    assert.ok(del, 'DELETE sent');
    assert.equal(del.headers['x-plain'], 'plain-value');
    assert.equal(del.headers.authorization, 'Bearer s3cr3t-token');
  });
});

describe('--ignore-tool', { timeout: 30000 }, () => {
  let srv, b;
  before(async () => {
    requireBridge();
    srv = await startServer('streamable');
    b = spawnRawBridge([srv.url, '--ignore-tool', 'ad*', '--ignore-tool', 'slow', '--ignore-tool', 'e?ho_never']);
    const r = await rawHandshake(b);
    assert.ok(r.result, JSON.stringify(r));
  });
  after(async () => {
    b?.kill();
    await srv?.stop();
    await killAll();
  });

  test('ignored tools are hidden from tools/list, others kept', async () => {
    b.send({ jsonrpc: '2.0', id: 'list', method: 'tools/list' });
    const r = await b.waitForId('list');
    const names = r.result.tools.map((t) => t.name);
    assert.ok(!names.includes('add'), 'add hidden (ad*)');
    assert.ok(!names.includes('slow'), 'slow hidden');
    for (const n of ['echo', 'big', 'elicit', 'notify']) assert.ok(names.includes(n), `${n} kept`);
  });

  test('calling an ignored tool returns an error and is not forwarded', async () => {
    b.send({ jsonrpc: '2.0', id: 'call-add', method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 } } });
    const r = await b.waitForId('call-add');
    assert.equal(r.error?.code, -32602, `expected an error, got ${JSON.stringify(r)}`);
    assert.equal(r.error.message, 'Tool "add" is not available (hidden by --ignore-tool)');
    assert.ok(!srv.log.find((e) => e.rpc?.some((m) => m.id === 'call-add')), 'not forwarded to the server');
  });

  test('calling a kept tool works', async () => {
    b.send({ jsonrpc: '2.0', id: 'call-echo', method: 'tools/call', params: { name: 'echo', arguments: { message: 'kept' } } });
    const r = await b.waitForId('call-echo');
    assert.equal(r.result?.content?.[0]?.text, 'kept');
  });

  test('stdout only JSON-RPC', () => {
    assertAllJsonRpc(b.lines);
  });
});
