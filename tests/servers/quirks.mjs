// An OAuth-protected MCP server with its own, hand-written authorization server,
// configurable to reproduce the quirks real deployments have (issue #3):
//
//   ttl           access-token lifetime in seconds (default 3600)
//   rotate        rotate refresh tokens (default true): a used refresh token is
//                 dead, and reusing one is answered invalid_grant. With false the
//                 refresh response carries no refresh_token (the old one stays good)
//   revocation    offer an RFC 7009 revocation endpoint (default true); every
//                 revocation is recorded
//   dcr           offer RFC 7591 dynamic registration (default true)
//   staticClients pre-registered clients: [{ client_id, client_secret?, redirect_uris? }]
//                 (without redirect_uris any loopback /oauth/callback is accepted)
//   hint          the 401 challenge: 'absolute' (default, resource_metadata="<abs url>"),
//                 'relative' (resource_metadata="/.well-known/oauth-protected-resource/mcp"),
//                 'none' (bare: Bearer error="invalid_token")
//   prmAt         where the protected resource metadata is served: 'path' (default,
//                 /.well-known/oauth-protected-resource/mcp), 'root'
//                 (/.well-known/oauth-protected-resource only), 'both'
//   prmResource   the PRM's "resource" (default: the MCP URL); another origin for a
//                 mismatch
//   extraResources more RFC 8707 resource values the AS accepts besides the PRM's
//                 (tenants behind one URL); resourceOf maps each access token issued
//                 by an authorization code to the resource it was requested for
//   asPath        '' (issuer = AS origin) or e.g. '/tenant1': the issuer has a path and
//                 its metadata is ONLY at /.well-known/oauth-authorization-server/tenant1
//   separateAs    the AS listens on its own port (default false: same origin)
//   oauth         false: no authentication at all (default true)
//   scope         the scope (default 'mcp')
//
// Everything is counted: stats.authorizations, stats.tokenRequests,
// stats.grants[grant_type], stats.registrations, stats.tokenErrors ([{grant_type, error}]),
// stats.revocations ([{kind, hint, client_id}]); asLog / rsLog hold every request.
//
// Run standalone: node quirks.mjs [--opts '<json>'] prints "LISTENING <mcp url>".
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import express from 'express';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

function listen(app) {
  return new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err) => (err ? reject(err) : resolve(s)));
  });
}

function closeServer(s) {
  return new Promise((resolve) => {
    s.closeAllConnections?.();
    s.close(() => resolve());
  });
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const token = (prefix) => `${prefix}_${b64url(randomBytes(24))}`;

function loopbackMatch(registered, given) {
  if (registered === given) return true;
  // RFC 8252 7.3: any port on a loopback redirect URI.
  try {
    const a = new URL(registered);
    const b = new URL(given);
    const loop = (h) => ['127.0.0.1', 'localhost', '[::1]'].includes(h);
    return a.protocol === 'http:' && b.protocol === 'http:' && loop(a.hostname) && a.hostname === b.hostname
      && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

export async function startQuirkServer(opts = {}) {
  const {
    ttl = 3600, rotate = true, revocation = true, dcr = true, staticClients = [], hint = 'absolute',
    prmAt = 'path', asPath = '', separateAs = false, oauth = true, scope = 'mcp',
    // device: offer RFC 8628; the code is approved after `deviceApproveAfter` polls.
    device = false, deviceApproveAfter = 2,
  } = opts;
  let accessTtl = ttl;

  const rsApp = express();
  const rsHttp = await listen(rsApp);
  const asApp = separateAs ? express() : rsApp;
  const asHttp = separateAs ? await listen(asApp) : rsHttp;
  const rsOrigin = `http://127.0.0.1:${rsHttp.address().port}`;
  const asOrigin = `http://127.0.0.1:${asHttp.address().port}`;
  const issuer = `${asOrigin}${asPath}`;
  const mcpPath = '/mcp';
  const mcpUrl = `${rsOrigin}${mcpPath}`;
  const prmPath = `/.well-known/oauth-protected-resource${mcpPath}`;
  const prmUrl = `${rsOrigin}${prmPath}`;
  const resource = opts.prmResource ?? mcpUrl;
  const acceptedResources = new Set([resource, ...(opts.extraResources ?? [])]);
  const resourceOf = new Map(); // access token -> the resource its authorization asked for

  const stats = {
    authorizations: 0,
    tokenRequests: 0,
    grants: { authorization_code: 0, refresh_token: 0 },
    tokenErrors: [],
    registrations: 0,
    revocations: [],
    mcpRequests: 0,
    rejected: 0,
  };
  const asLog = [];
  const rsLog = [];
  const clients = new Map();
  for (const c of staticClients) clients.set(c.client_id, { ...c, static: true });
  const codes = new Map(); // code -> { client_id, redirect_uri, challenge, scope, resource }
  const accessTokens = new Map(); // token -> { client_id, scope, expiresAt }
  const refreshTokens = new Map(); // token -> { client_id, scope }
  const issued = { access: [], refresh: [] };
  const usedRefreshTokens = new Set();

  const logTo = (log) => (req, res, next) => {
    const e = { method: req.method, path: req.path, at: Date.now() };
    log.push(e);
    res.on('finish', () => { e.status = res.statusCode; });
    req.logEntry = e;
    next();
  };
  if (separateAs) {
    rsApp.use(logTo(rsLog));
    asApp.use(logTo(asLog));
  } else {
    rsApp.use((req, res, next) => logTo(req.path === mcpPath || req.path.startsWith('/.well-known/oauth-protected')
      ? rsLog : asLog)(req, res, next));
  }

  // ---- authorization server ------------------------------------------------
  const asMeta = () => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    ...(dcr ? { registration_endpoint: `${issuer}/register` } : {}),
    ...(revocation ? { revocation_endpoint: `${issuer}/revoke` } : {}),
    ...(device ? { device_authorization_endpoint: `${issuer}/device_authorization` } : {}),
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    scopes_supported: [scope],
  });
  if (oauth) {
    // RFC 8414 section 3: the well-known suffix goes between the host and the issuer's path.
    asApp.get(`/.well-known/oauth-authorization-server${asPath}`, (_req, res) => res.json(asMeta()));
  }

  const oauthError = (res, status, error, description) => res.status(status).json({
    error, ...(description ? { error_description: description } : {}),
  });

  /** Authenticate the client at the token / revocation endpoint; returns the client or null. */
  function authClient(req) {
    let id = req.body?.client_id;
    let secret = req.body?.client_secret;
    const m = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (m) {
      const [u, p] = Buffer.from(m[1], 'base64').toString('utf8').split(':');
      id = decodeURIComponent(u);
      secret = decodeURIComponent(p ?? '');
    }
    const c = id ? clients.get(id) : undefined;
    if (!c) return null;
    if (c.client_secret && c.client_secret !== secret) return null;
    return c;
  }

  asApp.post(`${asPath}/register`, express.json(), (req, res) => {
    if (!dcr) return oauthError(res, 404, 'not_found');
    stats.registrations++;
    const meta = req.body ?? {};
    if (!Array.isArray(meta.redirect_uris) || !meta.redirect_uris.length) {
      return oauthError(res, 400, 'invalid_redirect_uri', 'redirect_uris required');
    }
    const method = meta.token_endpoint_auth_method ?? 'client_secret_basic';
    const c = {
      ...meta,
      client_id: `dyn-${randomUUID()}`,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      token_endpoint_auth_method: method,
      ...(method === 'none' ? {} : { client_secret: token('cs'), client_secret_expires_at: 0 }),
    };
    clients.set(c.client_id, c);
    res.status(201).json(c);
  });

  asApp.get(`${asPath}/authorize`, (req, res) => {
    const q = req.query;
    const c = clients.get(String(q.client_id ?? ''));
    if (!c) return oauthError(res, 400, 'invalid_client', 'unknown client_id');
    const redirect = String(q.redirect_uri ?? '');
    const okRedirect = c.redirect_uris?.length
      ? c.redirect_uris.some((r) => loopbackMatch(r, redirect))
      : /^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+\/oauth\/callback$/.test(redirect);
    if (!okRedirect) return oauthError(res, 400, 'invalid_request', `redirect_uri ${redirect} not registered`);
    if (q.response_type !== 'code') return oauthError(res, 400, 'unsupported_response_type');
    if (!q.code_challenge || q.code_challenge_method !== 'S256') {
      return oauthError(res, 400, 'invalid_request', 'PKCE S256 required');
    }
    if (q.resource && !acceptedResources.has(q.resource)) {
      return oauthError(res, 400, 'invalid_target', `unknown resource ${q.resource}`);
    }
    stats.authorizations++;
    const code = token('code');
    codes.set(code, {
      client_id: c.client_id, redirect_uri: redirect, challenge: String(q.code_challenge),
      scope: String(q.scope ?? scope), resource: q.resource,
    });
    const to = new URL(redirect);
    to.searchParams.set('code', code);
    if (q.state !== undefined) to.searchParams.set('state', String(q.state));
    to.searchParams.set('iss', issuer);
    res.redirect(302, to.href);
  });

  function issue(client_id, grantedScope) {
    const at = token('at');
    accessTokens.set(at, { client_id, scope: grantedScope, expiresAt: Date.now() + accessTtl * 1000 });
    issued.access.push(at);
    const out = { access_token: at, token_type: 'Bearer', expires_in: accessTtl, scope: grantedScope };
    return out;
  }

  /** A new access token and a new refresh token (for the same client and scope). */
  function issueWithRefresh(client_id, grantedScope) {
    const out = issue(client_id, grantedScope);
    const rt = token('rt');
    refreshTokens.set(rt, { client_id, scope: grantedScope });
    issued.refresh.push(rt);
    out.refresh_token = rt;
    return out;
  }

  asApp.post(`${asPath}/token`, express.urlencoded({ extended: false }), (req, res) => {
    stats.tokenRequests++;
    const p = req.body ?? {};
    const gt = p.grant_type;
    const fail = (status, error, description) => {
      stats.tokenErrors.push({ grant_type: gt, error, error_description: description });
      return oauthError(res, status, error, description);
    };
    const c = authClient(req);
    if (!c) return fail(401, 'invalid_client', 'client authentication failed');
    if (p.resource && !acceptedResources.has(p.resource)) return fail(400, 'invalid_target', `unknown resource ${p.resource}`);
    res.set('Cache-Control', 'no-store');
    if (gt === 'authorization_code') {
      const k = codes.get(p.code);
      codes.delete(p.code);
      if (!k || k.client_id !== c.client_id) return fail(400, 'invalid_grant', 'unknown authorization code');
      if (k.redirect_uri !== p.redirect_uri) return fail(400, 'invalid_grant', 'redirect_uri mismatch');
      const want = b64url(createHash('sha256').update(String(p.code_verifier ?? '')).digest());
      if (want !== k.challenge) return fail(400, 'invalid_grant', 'PKCE verification failed');
      stats.grants.authorization_code++;
      const out = issueWithRefresh(c.client_id, k.scope);
      resourceOf.set(out.access_token, k.resource ?? null);
      return res.json(out);
    }
    if (gt === 'urn:ietf:params:oauth:grant-type:device_code') {
      const d = deviceCodes.get(p.device_code);
      if (!d || d.client_id !== c.client_id) return fail(400, 'invalid_grant', 'unknown device code');
      d.polls++;
      stats.devicePolls = (stats.devicePolls ?? 0) + 1;
      if (d.polls <= deviceApproveAfter) {
        return oauthError(res, 400, 'authorization_pending');
      }
      deviceCodes.delete(p.device_code);
      stats.grants.device_code = (stats.grants.device_code ?? 0) + 1;
      return res.json(issueWithRefresh(c.client_id, d.scope));
    }
    if (gt === 'refresh_token') {
      const r = refreshTokens.get(p.refresh_token);
      if (!r || r.client_id !== c.client_id) {
        const why = usedRefreshTokens.has(p.refresh_token) ? 'refresh token already used (rotated)' : 'unknown refresh token';
        return fail(400, 'invalid_grant', why);
      }
      stats.grants.refresh_token++;
      if (!rotate) return res.json(issue(c.client_id, r.scope));
      refreshTokens.delete(p.refresh_token);
      usedRefreshTokens.add(p.refresh_token);
      return res.json(issueWithRefresh(c.client_id, r.scope));
    }
    return fail(400, 'unsupported_grant_type', String(gt));
  });

  const deviceCodes = new Map();
  asApp.post(`${asPath}/device_authorization`, express.urlencoded({ extended: false }), (req, res) => {
    const c = authClient(req);
    if (!c) return oauthError(res, 401, 'invalid_client', 'client authentication failed');
    const dc = token('dc');
    deviceCodes.set(dc, { client_id: c.client_id, scope: String(req.body?.scope ?? scope), polls: 0 });
    stats.deviceAuthorizations = (stats.deviceAuthorizations ?? 0) + 1;
    res.json({ device_code: dc, user_code: 'WDJB-MJHT', verification_uri: `${issuer}/activate`,
      expires_in: 60, interval: 1 });
  });

  asApp.post(`${asPath}/revoke`, express.urlencoded({ extended: false }), (req, res) => {
    if (!revocation) return oauthError(res, 404, 'not_found');
    const c = authClient(req);
    if (!c) return oauthError(res, 401, 'invalid_client');
    const t = req.body?.token;
    let kind = 'unknown';
    if (accessTokens.has(t)) {
      kind = 'access';
      accessTokens.delete(t);
    } else if (refreshTokens.has(t)) {
      kind = 'refresh';
      refreshTokens.delete(t);
    }
    stats.revocations.push({ kind, hint: req.body?.token_type_hint, client_id: c.client_id });
    res.status(200).end();
  });

  // ---- resource server ------------------------------------------------------
  const prm = () => ({
    resource,
    authorization_servers: [issuer],
    scopes_supported: [scope],
    bearer_methods_supported: ['header'],
    resource_name: 'quirks test MCP server',
  });
  if (oauth) {
    if (prmAt !== 'root') rsApp.get(prmPath, (_req, res) => res.json(prm()));
    if (prmAt !== 'path') rsApp.get('/.well-known/oauth-protected-resource', (_req, res) => res.json(prm()));
  }

  const challenge = (error) => {
    if (hint === 'none') return 'Bearer error="invalid_token"';
    const where = hint === 'relative' ? prmPath : prmUrl;
    return `Bearer ${error ? `error="${error}", ` : ''}resource_metadata="${where}"`;
  };

  const validToken = (t) => {
    const a = accessTokens.get(t);
    return a && a.expiresAt > Date.now() ? a : null;
  };

  const bearer = (req, res, next) => {
    if (!oauth) return next();
    const m = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
    const a = m ? validToken(m[1]) : null;
    if (m) req.logEntry.token = m[1];
    if (!a) {
      stats.rejected++;
      req.logEntry.why = m ? 'invalid or expired token' : 'no token';
      res.set('WWW-Authenticate', challenge(m ? 'invalid_token' : undefined));
      return res.status(401).json({ error: m ? 'invalid_token' : 'unauthorized' });
    }
    req.auth = a;
    return next();
  };

  const sessions = new Map();
  const buildMcp = (entry) => {
    const mcp = new McpServer({ name: 'quirks-mcp', version: '1.0.0' });
    mcp.registerTool('echo', { description: 'Echo a message', inputSchema: { message: z.string() } },
      async ({ message }) => ({ content: [{ type: 'text', text: message }] }));
    mcp.registerTool('whoami', { description: 'The client the token was issued to', inputSchema: {} },
      async () => ({ content: [{ type: 'text', text: JSON.stringify({ client_id: entry.auth?.client_id ?? null }) }] }));
    return mcp;
  };
  rsApp.all(mcpPath, express.json({ limit: '4mb' }), bearer, async (req, res) => {
    stats.mcpRequests++;
    if (req.body) req.logEntry.rpc = [].concat(req.body).map((x) => x?.method ?? 'response');
    const sid = req.headers['mcp-session-id'];
    let entry = sid ? sessions.get(sid) : undefined;
    if (sid && !entry) {
      res.status(404).json({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } });
      return;
    }
    if (!entry) {
      entry = {};
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => sessions.set(id, entry),
      });
      entry.transport = transport;
      transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
      await buildMcp(entry).connect(transport);
    }
    entry.auth = req.auth;
    await entry.transport.handleRequest(req, res, req.body);
  });

  return {
    url: mcpUrl,
    mcpUrl,
    rsOrigin,
    asOrigin,
    issuer,
    prmUrl,
    resource,
    stats,
    asLog,
    rsLog,
    issued,
    resourceOf,
    clients,
    /** True when the server accepts this access token right now. */
    isValidAccessToken: (t) => !!validToken(t),
    isLiveRefreshToken: (t) => refreshTokens.has(t),
    /** Every access and refresh token issued so far (for leak checks). */
    secrets: () => [...issued.access, ...issued.refresh],
    setTtl(s) { accessTtl = s; },
    /** Make every issued access token expire now (the client is not told). */
    expireAccessTokens() { for (const a of accessTokens.values()) a.expiresAt = 0; },
    /** A compact dump for assertion messages. */
    describe() {
      const sum = (l) => l.map((e) => `${e.method} ${e.path} ${e.status}${e.rpc ? ` ${e.rpc}` : ''}${e.why ? ` (${e.why})` : ''}`);
      const collapse = (lines) => {
        const out = [];
        for (const x of lines) {
          const last = out[out.length - 1];
          if (last && last.x === x) last.n++; else out.push({ x, n: 1 });
        }
        const r = out.map(({ x, n }) => (n > 1 ? `${x} (x${n})` : x));
        return r.length > 60 ? [...r.slice(0, 30), '...', ...r.slice(-30)] : r;
      };
      return JSON.stringify({ stats, as: collapse(sum(asLog)), rs: collapse(sum(rsLog)) }, null, 1);
    },
    async close() {
      for (const e of sessions.values()) e.transport.close().catch(() => {});
      await closeServer(rsHttp);
      if (separateAs) await closeServer(asHttp);
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--opts');
  const o = i > 0 ? JSON.parse(process.argv[i + 1]) : {};
  const s = await startQuirkServer(o);
  console.log(`LISTENING ${s.url}`);
  if (process.argv.includes('--exit-on-stdin-close')) {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  }
}
