// `mcp-bridge export URL -o FILE` (or --output FILE) writes the credentials to a
// file of mode 0600, replacing whatever was there whole (a file that was
// readable by others is not reused), and prints nothing on stdout; `import
// FILE` takes it back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { killAll, requireBridge } from '../lib/harness.mjs';
import { cli, makeDirs, removeDirs, storedDocs } from '../lib/oauth-env.mjs';
import { startQuirkServer } from '../servers/quirks.mjs';

const FILE = ['--token-store', 'file'];
const show = (r) => `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;

describe('export to a file', { timeout: 60000 }, () => {
  let s, a;
  before(async () => {
    requireBridge();
    s = await startQuirkServer({});
    a = makeDirs('export-file');
    const l = await cli(a, ['login', s.url, ...FILE]);
    assert.equal(l.code, 0, show(l));
  });
  after(async () => {
    await killAll();
    await s?.close();
    removeDirs();
  });

  for (const flag of ['-o', '--output']) {
    test(`${flag} FILE over a world-readable file: mode 0600, the credentials, nothing on stdout`, async () => {
      const out = path.join(a.logs, `creds${flag}.json`);
      fs.writeFileSync(out, 'old contents\n', { mode: 0o644 });
      fs.chmodSync(out, 0o644);
      const r = await cli(a, ['export', s.url, flag, out, ...FILE]);
      assert.equal(r.code, 0, show(r));
      assert.equal(r.stdout, '', 'nothing on stdout');
      assert.match(r.stderr, /0600/);
      assert.equal(fs.statSync(out).mode & 0o777, 0o600);
      const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
      assert.equal(doc.format, 'mcp-bridge-credentials');
      const rec = storedDocs(a).map((x) => x.doc).find((x) => x?.refresh_token);
      assert.equal(doc.refresh_token, rec.refresh_token);
      assert.ok(!r.stderr.includes(rec.refresh_token), 'no token on stderr');
      assert.deepEqual(fs.readdirSync(a.logs).filter((n) => n.includes('.json.')), [], 'no temporary file left');

      const b = makeDirs('import-file');
      const i = await cli(b, ['import', out, ...FILE]);
      assert.equal(i.code, 0, show(i));
      assert.ok(storedDocs(b).some((x) => x.doc?.refresh_token === doc.refresh_token));
    });
  }

  test('an unwritable FILE: exit 1 with one line naming it', async () => {
    const out = path.join(a.logs, 'no-such-dir', 'creds.json');
    const r = await cli(a, ['export', s.url, '-o', out, ...FILE]);
    assert.equal(r.code, 1, show(r));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`cannot write ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.equal(r.stderr.trim().split('\n').length, 1, show(r));
  });
});
