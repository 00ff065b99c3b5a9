// Secrets never reach the bridge's logs: a full sign-in at a real authorization
// server (oidc-provider), with a dynamically registered *confidential* client
// (so there is a client secret), a 401-triggered refresh with rotation, and a
// restart that reuses the stored tokens — all with --debug and --log-file. The
// AS records every secret it issued or received (access and refresh tokens,
// the client secret, the registration access token, the authorization code and
// the PKCE code_verifier sent to the token endpoint); none may appear on the
// bridge's stderr or in its log file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  callTool, connectBridge, killAll, requireBridge, resultText, sleep,
} from '../lib/harness.mjs';
import {
  browserLog, cleanupHomes, describeStack, oauthEnv, startOidcStack, storedTokens, tempHome,
} from '../servers/oidc-stack.mjs';

/** The pieces of a secret that must not appear: the value, and for a JWT its signature. */
function needles(value) {
  const out = [value];
  const parts = value.split('.');
  if (parts.length === 3 && parts[2].length >= 20) out.push(parts[2]);
  // A long secret cut short is still a leak: its first 24 characters (skipping
  // a JWT's header, which is the same for every token of this AS).
  if (parts.length !== 3 && value.length > 32) out.push(value.slice(0, 24));
  return out;
}

function findLeaks(s, texts) {
  const leaks = [];
  for (const { kind, value } of s.allSecrets()) {
    for (const n of needles(value)) {
      for (const [where, text] of Object.entries(texts)) {
        const i = text.indexOf(n);
        if (i >= 0) {
          const line = text.slice(text.lastIndexOf('\n', i) + 1, text.indexOf('\n', i) < 0 ? undefined : text.indexOf('\n', i));
          leaks.push(`${kind} in ${where}: ${line.slice(0, 300)}`);
        }
      }
    }
  }
  return [...new Set(leaks)];
}

describe('oauth: secrets never logged (--debug, --log-file)', { timeout: 90000 }, () => {
  let s, home, logFile, h;
  const stderrs = [];
  before(async () => {
    requireBridge();
    s = await startOidcStack({ publicClients: false, maxTokenAgeS: 3 });
    home = tempHome('secrets');
    logFile = path.join(home, 'bridge.log');
  });
  after(async () => {
    await h?.close();
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  const start = () => connectBridge(s.mcpUrl, {
    args: ['--debug', '--log-file', logFile],
    env: oauthEnv(home),
    connectTimeoutMs: 30000,
  }).catch((e) => {
    e.message += `\n${describeStack(s)}\n--- browser.sh ---\n${browserLog(home)}`;
    throw e;
  });

  test('sign-in, refresh and restart with --debug', async () => {
    h = await start();
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'one' })), 'one');
    await sleep(4000); // waiting is the point: the MCP server now refuses the token: 401 -> refresh
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'two' }, { timeout: 20000 })), 'two');
    await h.close();
    stderrs.push(h.stderr());
    h = undefined;
    h = await start(); // stored tokens (the access token is refused by now: refresh again)
    await sleep(3500); // waiting is the point: the refreshed token ages past 3 s, refused again
    assert.equal(resultText(await callTool(h.client, 'echo', { message: 'three' }, { timeout: 20000 })), 'three');
    await h.close();
    stderrs.push(h.stderr());
    h = undefined;

    // What was exercised, so the leak check below means something.
    assert.equal(s.stats.authorizations, 1, describeStack(s));
    assert.equal(s.stats.codeGrants, 1);
    assert.ok(s.stats.refreshGrants >= 2, `refreshes happened\n${describeStack(s)}`);
    assert.equal(s.stats.failedGrants, 0, describeStack(s));
    assert.equal(s.registrations[0].token_endpoint_auth_method, 'client_secret_basic', 'a confidential client');
    assert.equal(s.secrets.clientSecrets.size, 1, 'the AS issued a client secret');
    assert.equal(s.secrets.codes.size, 1);
    assert.equal(s.secrets.codeVerifiers.size, 1);
    assert.ok(s.secrets.refreshTokens.size >= 3);
    assert.ok(s.secrets.accessTokens.size >= 3);
    assert.ok(storedTokens(home)?.refresh_token, 'tokens were stored');
  });

  test('neither stderr nor the log file holds any secret', () => {
    const logText = fs.readFileSync(logFile, 'utf8');
    const stderrText = stderrs.join('\n');
    assert.match(stderrText, /debug:/, 'stderr has the debug log');
    assert.match(logText, /refresh/i, 'the log file covers the refresh');
    assert.match(logText, /token/i);
    assert.ok(logText.length > 1000, 'the log file is not empty');
    const leaks = findLeaks(s, { stderr: stderrText, 'log file': logText });
    assert.deepEqual(leaks, [], `secrets in the logs:\n${leaks.join('\n')}`);
  });

  test('no log file or stray file outside credentials/ holds a secret', () => {
    // Everything the bridge wrote under XDG_CONFIG_HOME except its credential
    // store (where tokens belong) and the test's own files.
    const texts = {};
    const walk = (dir) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (p !== path.join(home, 'mcp-bridge', 'credentials')) walk(p);
        } else if (p !== logFile && e.name !== 'browser.log') {
          texts[path.relative(home, p)] = fs.readFileSync(p, 'utf8');
        }
      }
    };
    walk(home);
    const leaks = findLeaks(s, texts);
    assert.deepEqual(leaks, [], `secrets outside the credential store:\n${leaks.join('\n')}`);
  });
});
