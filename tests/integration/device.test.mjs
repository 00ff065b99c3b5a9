// --device-code (RFC 8628): no browser and no listener; the bridge prints a code
// and a URL on stderr and polls until the authorization server approves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { killAll, requireBridge, waitUntil } from '../lib/harness.mjs';
import { makeDirs, rawSession, removeDirs, storedTokenRecord } from '../lib/oauth-env.mjs';
import { startQuirkServer } from '../servers/quirks.mjs';

describe('device authorization grant', { timeout: 60000 }, () => {
  let s, d;
  before(async () => {
    requireBridge();
    s = await startQuirkServer({ device: true, deviceApproveAfter: 2 });
    d = makeDirs('device');
  });
  after(async () => { await killAll(); await s?.close(); removeDirs(); });

  test('signs in with a user code, no browser, and stores the tokens', async () => {
    const { b, init } = await rawSession(s.url, d, {
      args: ['--device-code', '--token-store', 'file'],
      env: { BROWSER: '/bin/false' },
    });
    try {
      assert.ok(init.result, JSON.stringify(init));
      // A sign-in that takes longer than 2.5 s gets initialize answered by the
      // bridge meanwhile (README: Start-up while signing in): wait for the grant.
      await waitUntil(() => s.stats.grants.device_code === 1, 20000, 'the device_code grant');
      assert.equal(s.stats.authorizations, 0, 'no browser authorization');
      assert.equal(s.stats.deviceAuthorizations, 1);
      assert.ok(s.stats.devicePolls >= 3, 'polled until approved');
      assert.match(b.stderr(), /WDJB-MJHT/);
      assert.match(b.stderr(), /activate/);
      // The store is written on a worker thread after the sign-in: wait for it.
      await waitUntil(() => storedTokenRecord(d)?.refresh_token, 10000, 'the refresh token to be stored');
    } finally { b.kill(); }
  });
});
