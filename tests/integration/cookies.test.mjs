// Cookies a server sets (a load balancer pinning a session to one node) are sent
// back on later requests, as mcp-remote does; --disable-cookies turns that off,
// as it does in mcp-remote.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectBridge, killAll, requireBridge } from '../lib/harness.mjs';
import { startStatelessServer } from '../servers/stateless.mjs';

/** A stateless Streamable HTTP server that sets a cookie on every answer and
 * records the Cookie header of every request. */
async function startCookieServer() {
  const seen = [];
  const srv = await startStatelessServer({
    name: 'cookie-server',
    tools: [{ name: 'ping_tool', description: 'answers pong', text: 'pong' }],
    onRequest(req, res) {
      seen.push({ method: req.method, cookie: req.headers.cookie ?? null });
      res.setHeader('Set-Cookie', 'lb=node-7; Path=/; HttpOnly');
    },
  });
  return { ...srv, seen };
}

describe('cookies', { timeout: 60000 }, () => {
  let s;
  before(async () => {
    requireBridge();
    s = await startCookieServer();
  });
  after(async () => {
    await killAll();
    await s?.close();
  });

  for (const [flags, sent] of [[[], true], [['--disable-cookies'], false]]) {
    test(`${flags.length ? flags.join(' ') : 'by default'}: the cookie set on the first answer is ${sent ? '' : 'not '}sent back`, async () => {
      s.seen.length = 0;
      const h = await connectBridge(s.url, { args: flags });
      try {
        const r = await h.client.callTool({ name: 'ping_tool', arguments: {} });
        assert.equal(r.content?.[0]?.text, 'pong');
        const posts = s.seen.filter((x) => x.method === 'POST');
        assert.ok(posts.length >= 3, `initialize, initialized and tools/call reached the server: ${JSON.stringify(s.seen)}`);
        assert.equal(posts[0].cookie, null, 'the first request has no cookie yet');
        for (const p of posts.slice(1)) {
          assert.equal(p.cookie, sent ? 'lb=node-7' : null, JSON.stringify(s.seen));
        }
      } finally {
        await h.close();
      }
    });
  }
});
