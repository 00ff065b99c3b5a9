// What is read back from the credential store is checked like what comes from
// the network, and concurrent writers never corrupt it (file store):
//  - a stored access token with CR/LF never becomes header lines: the record
//    is refused with a clear message and the bridge signs in again;
//  - a record that is a FIFO does not block the start;
//  - many bridges writing the same record at once leave a whole record.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { callTool, connectBridge, killAll, requireBridge, resultText } from '../lib/harness.mjs';
import { cli, makeDirs, removeDirs } from '../lib/oauth-env.mjs';
import {
  browserLog, cleanupHomes, describeStack, oauthEnv, startOidcStack, tempHome,
} from '../servers/oidc-stack.mjs';

/** The file the bridge keeps the sign-in for `url` in, under an XDG_CONFIG_HOME. */
function recordFile(configHome, url) {
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 32);
  return path.join(configHome, 'mcp-bridge', 'credentials', `server-${hash}.json`);
}

function writeRecord(configHome, url, doc) {
  const file = recordFile(configHome, url);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify({ label: 'test', kind: 'tokens', subject: url, secret: JSON.stringify(doc) }),
    { mode: 0o600 });
  return file;
}

async function connect(s, home) {
  return connectBridge(s.mcpUrl, { args: ['--token-store', 'file'], env: oauthEnv(home), connectTimeoutMs: 15000 })
    .catch((e) => {
      e.message += `\n${describeStack(s)}\n--- browser.sh ---\n${browserLog(home)}`;
      throw e;
    });
}

describe('store read-back is checked', { timeout: 60000 }, () => {
  let s;
  before(async () => {
    requireBridge();
    s = await startOidcStack();
  });
  after(async () => {
    await killAll();
    await s?.close();
    cleanupHomes();
  });

  test('a stored token with CR/LF is refused, never sent as header lines; the bridge signs in again', async () => {
    const home = tempHome('store-crlf');
    writeRecord(home, s.mcpUrl, {
      version: 1, server: s.mcpUrl, issuer: s.issuer, access_token: 'stored-token\r\nX-Injected: yes',
      expires_at: Math.floor(Date.now() / 1000) + 3600,
    });
    const h = await connect(s, home);
    try {
      assert.equal(resultText(await callTool(h.client, 'echo', { message: 'crlf' })), 'crlf');
      assert.deepEqual(s.rsLog.filter((e) => e.headers.includes('x-injected')).map((e) => `${e.method} ${e.path}`), [],
        'no request carried the injected header');
      assert.match(h.stderr(), /not a printable token.*sign in again/);
    } finally {
      await h.close();
    }
    assert.equal(s.stats.authorizations, 1, 'signed in again');
  });

  test('a record that is a FIFO does not block the start; the bridge signs in and replaces it', async () => {
    const home = tempHome('store-fifo');
    const file = recordFile(home, s.mcpUrl);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    execFileSync('mkfifo', ['-m', '600', file]);
    const before = s.stats.authorizations;
    const h = await connect(s, home);
    try {
      assert.equal(resultText(await callTool(h.client, 'echo', { message: 'fifo' })), 'fifo');
      assert.match(h.stderr(), /not a regular file/);
    } finally {
      await h.close();
    }
    assert.equal(s.stats.authorizations, before + 1);
  });
});

describe('concurrent writers of one record', { timeout: 120000 }, () => {
  after(removeDirs);

  test('16 imports at once, 3 times: every write succeeds and the record is always one whole document', async () => {
    requireBridge();
    const d = makeDirs('store-race');
    const server = 'https://race.example.test/mcp';
    for (let round = 0; round < 3; round++) {
      const tokens = [];
      const runs = [];
      for (let i = 0; i < 16; i++) {
        const refresh = `r${round}-${i}-${'x'.repeat(200000)}`;
        tokens.push(refresh);
        const file = path.join(d.logs, `c${round}-${i}.json`);
        fs.writeFileSync(file, JSON.stringify({
          format: 'mcp-bridge-credentials', version: 1, server, client_id: `c${i}`, refresh_token: refresh,
        }));
        runs.push(cli(d, ['import', file, '--token-store', 'file'], { timeoutMs: 30000 }));
      }
      const results = await Promise.all(runs);
      for (const [i, r] of results.entries()) assert.equal(r.code, 0, `import ${i} of round ${round}: ${r.stderr}`);
      const text = fs.readFileSync(recordFile(d.config, server), 'utf8');
      let doc;
      assert.doesNotThrow(() => { doc = JSON.parse(JSON.parse(text).secret); }, 'the record is whole JSON');
      const i = tokens.indexOf(doc.refresh_token);
      assert.ok(i >= 0, 'the record is one of the written documents');
      assert.equal(doc.client_id, `c${i}`, 'and all of it is from that one');
    }
    const left = fs.readdirSync(path.join(d.config, 'mcp-bridge', 'credentials')).filter((n) => n.endsWith('.tmp'));
    assert.deepEqual(left, [], 'no temporary file is left behind');
  });
});
