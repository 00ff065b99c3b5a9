// Messages a person can act on: one failure is one line on stderr (however many
// requests it fails), the JSON-RPC errors carry the same sentence, and the
// sentence points at the real cause:
//  - a failed sign-in (--no-browser) is reported once, not by the flow, then per
//    request, then at exit;
//  - --no-browser where no client can be registered names the registration;
//  - an Authorization header given with --header that the server refuses is
//    named as such (not "pass credentials with --header"), and the requests
//    sent behind the failed initialize are answered at once;
//  - a wrong path (POST 404, the HTTP+SSE fallback GET fails too) reports the
//    POST's 404 and says to check the path;
//  - the sign-in timeout names --auth-timeout and its value;
//  - an OAuth endpoint refused for its scheme is named in that one line (not
//    "see above");
//  - `mcp-bridge login` reports a failed sign-in once, with the URL;
//  - a credential store that cannot be written is one line for the whole
//    sign-in (registration and tokens), naming where;
//  - no "no OS keychain answered" note when nothing is stored; one note when a
//    sign-in is.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { initializeRequest, killAll, requireBridge, spawnRawBridge } from '../lib/harness.mjs';
import { cli, envFor, makeDirs, removeDirs, storedTokenRecord } from '../lib/oauth-env.mjs';
import { startHostileAs } from '../servers/hostile-as.mjs';
import { startQuirkServer } from '../servers/quirks.mjs';
import { startStreamableServer } from '../servers/streamable.mjs';

const FILE = ['--token-store', 'file'];

/** Initialize plus `n` tools/list sent at once (a burst); returns every response
 * and the whole stderr once the bridge has exited. */
async function burst(url, args, env, n = 3) {
  const d = makeDirs('messages');
  const b = spawnRawBridge([url, ...args], { env: envFor(d, env) });
  b.send(initializeRequest(0));
  for (let i = 1; i <= n; i++) b.send({ jsonrpc: '2.0', id: i, method: 'tools/list', params: {} });
  const replies = [];
  for (let i = 0; i <= n; i++) replies.push(await b.waitForId(i, 20000));
  b.endStdin();
  await b.waitExit(15000);
  return { replies, stderr: b.stderr(), d };
}

const lines = (text) => text.split('\n').filter((l) => l.trim() !== '');
const errorLines = (text) => lines(text).filter((l) => /^mcp-bridge: error:/.test(l));

/** Every reply is an error whose message is the one stderr error line. */
function assertOneCause(replies, stderr) {
  const errs = errorLines(stderr);
  assert.equal(errs.length, 1, `exactly one error line on stderr:\n${stderr}`);
  const sentence = errs[0].replace(/^mcp-bridge: error: /, '');
  for (const r of replies) {
    assert.ok(r.error, `an error for id ${r.id}: ${JSON.stringify(r)}`);
    assert.equal(r.error.message, sentence, `id ${r.id} carries the logged sentence`);
  }
  return sentence;
}

describe('messages: one failure, one line, pointing the right way', { timeout: 180000 }, () => {
  let oauth, noDcr, plain, hostileAs;
  before(async () => {
    requireBridge();
    oauth = await startQuirkServer({});
    noDcr = await startQuirkServer({ dcr: false });
    plain = await startStreamableServer({});
    hostileAs = await startHostileAs();
  });
  after(async () => {
    await killAll();
    await hostileAs?.stop();
    await oauth?.close();
    await noDcr?.close();
    await plain?.stop();
    removeDirs();
  });

  test('a failed sign-in in a burst of requests is one stderr line, the same sentence in every error', async () => {
    const { replies, stderr } = await burst(oauth.url, ['--no-browser', ...FILE]);
    const sentence = assertOneCause(replies, stderr);
    assert.match(sentence, /--no-browser/);
    assert.ok(sentence.includes(oauth.url), sentence);
    assert.equal(lines(stderr).length, 1, `nothing else on stderr:\n${stderr}`);
  });

  test('--no-browser with no way to register a client names the registration, not the browser', async () => {
    const { replies, stderr } = await burst(noDcr.url, ['--no-browser', ...FILE]);
    const sentence = assertOneCause(replies, stderr);
    assert.match(sentence, /offers no dynamic client registration/);
    assert.match(sentence, /--static-oauth-client-info/);
    assert.doesNotMatch(sentence, /sign-in in a browser/);
    assert.equal(noDcr.stats.registrations, 0);
    assert.equal(noDcr.stats.authorizations, 0);
  });

  test('a refused Authorization header given with --header is named, and nothing waits behind it', async () => {
    const { replies, stderr } = await burst(oauth.url, ['--header', 'Authorization: Bearer not-a-token', ...FILE]);
    const sentence = assertOneCause(replies, stderr);
    assert.match(sentence, /answered HTTP 401/);
    assert.match(sentence, /refused the Authorization header given with --header/);
    assert.doesNotMatch(sentence, /pass credentials with --header/);
    assert.doesNotMatch(stderr, /shutting down|giving up/, stderr);
  });

  test('a wrong path: the POST\'s 404 is reported (not the fallback GET\'s), with the path to check', async () => {
    const wrong = new URL('/no-such-path', plain.url).href;
    const { replies, stderr } = await burst(wrong, FILE);
    const sentence = assertOneCause(replies, stderr);
    assert.equal(sentence, `${wrong} answered 404 Not Found to POST: check the URL's path`);
    assert.equal(lines(stderr).length, 1, `nothing else on stderr:\n${stderr}`);
  });

  test('the sign-in timeout names --auth-timeout and its value', async () => {
    // A browser that opens nothing: no sign-in ever comes back.
    const { replies, stderr } = await burst(oauth.url, ['--auth-timeout', '2', ...FILE], { BROWSER: '/bin/true' });
    const sentence = assertOneCause(replies, stderr);
    assert.match(sentence, /--auth-timeout 2\b/);
    assert.match(sentence, /within 2 seconds/);
  });

  test('an OAuth endpoint refused for its scheme is named in the one line', async () => {
    hostileAs.cfg.metadata = (o) => ({
      issuer: o, authorization_endpoint: `${o}/authorize`, token_endpoint: 'http://example.invalid/token',
      response_types_supported: ['code'], code_challenge_methods_supported: ['S256'],
    });
    const { replies, stderr } = await burst(hostileAs.url,
      ['--static-oauth-client-info', '{"client_id":"messages-client"}', ...FILE], { BROWSER: '/bin/true' });
    const sentence = assertOneCause(replies, stderr);
    assert.match(sentence, /refusing the token endpoint "http:\/\/example\.invalid\/token"/);
    assert.doesNotMatch(sentence, /see above/);
  });

  test('login: a failed sign-in is one line, with the URL and --auth-timeout', async () => {
    const d = makeDirs('messages-login');
    const r = await cli(d, ['login', oauth.url, '--auth-timeout', '2', ...FILE], { env: { BROWSER: '/bin/true' } });
    assert.equal(r.code, 1, r.stderr);
    const errs = lines(r.stderr).filter((l) => /failed|error/.test(l));
    assert.equal(errs.length, 1, `one failure line:\n${r.stderr}`);
    assert.match(errs[0], new RegExp(`^mcp-bridge: sign-in to ${oauth.url.replace(/[.]/g, '\\.')} failed: .*--auth-timeout 2\\b`));
  });

  test('a store that cannot be written is said once for the whole sign-in, naming where', async () => {
    const d = makeDirs('messages-store');
    const where = path.join(d.config, 'mcp-bridge', 'credentials');
    fs.mkdirSync(path.dirname(where), { recursive: true });
    fs.writeFileSync(where, 'a file where the credentials directory should be');
    const b = spawnRawBridge([oauth.url, ...FILE], { env: envFor(d) });
    b.send(initializeRequest(0));
    const init = await b.waitForId(0, 20000);
    assert.ok(init.result, `the session works without the store: ${JSON.stringify(init)}\n${b.stderr()}`);
    b.endStdin();
    await b.waitExit(15000);
    const said = lines(b.stderr()).filter((l) => /could not (store|delete)/.test(l));
    assert.equal(said.length, 1, `one line for the store:\n${b.stderr()}`);
    assert.ok(said[0].includes(where), said[0]);
    assert.match(said[0], /sign in again/);
  });

  test('no keychain note on a start that stores nothing', async () => {
    const { replies, stderr } = await burst(plain.url, []);
    for (const r of replies) assert.ok(r.result, JSON.stringify(r));
    assert.doesNotMatch(stderr, /no OS keychain answered/, stderr);
    assert.equal(stderr, '', 'nothing on stderr for a server that needs no sign-in');
  });

  test('the keychain note comes once, when a sign-in is first stored', async () => {
    const { replies, stderr, d } = await burst(oauth.url, []);
    for (const r of replies) assert.ok(r.result, JSON.stringify(r));
    const notes = lines(stderr).filter((l) => /no OS keychain answered/.test(l));
    assert.equal(notes.length, 1, stderr);
    assert.ok(storedTokenRecord(d)?.refresh_token, 'the sign-in was stored in files');
  });
});
