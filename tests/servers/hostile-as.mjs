// A hostile MCP resource server + OAuth authorization server in one process,
// for tests/integration/faults-oauth.test.mjs. Everything the bridge is told
// is configurable per test through `srv.cfg`:
//   cfg.issuer          the authorization_servers[0] of the PRM (default: own origin)
//   cfg.metadata(o)     the AS metadata: an object (sent as JSON), a string or
//                       Buffer (sent as is), or null (404); o = own origin
//   cfg.token(form)     the token endpoint's JSON answer to a parsed form
//   cfg.autoApprove     /authorize redirects straight back with a code (default true)
// POST /mcp accepts "Bearer good-token" and otherwise answers 401 with a
// resource_metadata hint. Every request and every secret issued is recorded.
import { URL } from 'node:url';
import { createTrackedServer, listen, closeServer, readBody } from './util.mjs';

export const GOOD_TOKEN = 'good-token-5d1c0a7e9b';

export async function startHostileAs() {
  const log = [];
  const secrets = new Set();
  let origin;
  const cfg = {
    issuer: undefined,
    autoApprove: true,
    metadata: (o) => ({
      issuer: o,
      authorization_endpoint: `${o}/authorize`,
      token_endpoint: `${o}/token`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
    }),
    token: () => ({ access_token: GOOD_TOKEN, token_type: 'Bearer', expires_in: 3600, refresh_token: 'refresh-9f8e7d6c5b4a' }),
  };
  const server = createTrackedServer(async (req, res) => {
    const u = new URL(req.url, origin);
    log.push(`${req.method} ${u.pathname}`);
    if (u.pathname === '/mcp') {
      const body = await readBody(req, 1 << 20);
      if (req.headers.authorization !== `Bearer ${GOOD_TOKEN}`) {
        res.writeHead(401, {
          'WWW-Authenticate': `Bearer error="invalid_token", resource_metadata="${origin}/prm"`,
          'Content-Type': 'application/json',
        }).end('{"error":"invalid_token"}');
        return;
      }
      let msg;
      try { msg = JSON.parse(body.toString()); } catch { res.writeHead(400).end(); return; }
      if (msg.id === undefined) { res.writeHead(202).end(); return; }
      const result = msg.method === 'initialize'
        ? { protocolVersion: msg.params?.protocolVersion ?? '2025-06-18', capabilities: {}, serverInfo: { name: 'hostile-as', version: '1' } }
        : {};
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
      return;
    }
    if (u.pathname === '/prm' || u.pathname.startsWith('/.well-known/oauth-protected-resource')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ resource: `${origin}/mcp`, authorization_servers: [cfg.issuer ?? origin] }));
      return;
    }
    if (u.pathname.startsWith('/.well-known/')) {
      const m = cfg.metadata(origin);
      if (m === null) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(typeof m === 'string' || Buffer.isBuffer(m) ? m : JSON.stringify(m));
      return;
    }
    if (u.pathname === '/authorize') {
      if (!cfg.autoApprove) { res.writeHead(200).end('waiting'); return; }
      const code = `code-${Math.random().toString(36).slice(2)}`;
      secrets.add(code);
      const back = new URL(u.searchParams.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', u.searchParams.get('state') ?? '');
      res.writeHead(302, { Location: back.href }).end();
      return;
    }
    if (u.pathname === '/token') {
      const form = Object.fromEntries(new URLSearchParams((await readBody(req, 1 << 20)).toString()));
      for (const k of ['code', 'code_verifier', 'refresh_token', 'client_secret']) if (form[k]) secrets.add(form[k]);
      const answer = cfg.token(form);
      for (const k of ['access_token', 'refresh_token']) if (typeof answer?.[k] === 'string') secrets.add(answer[k]);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(answer));
      return;
    }
    res.writeHead(404).end();
  });
  const port = await listen(server, 0, '127.0.0.1');
  origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/mcp`, origin, cfg, log, secrets,
    stop: () => closeServer(server),
  };
}
