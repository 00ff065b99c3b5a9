// The parts of enterprise-managed authorization (SEP-990) and workload identity
// federation (SEP-1933), each on its own loopback port, verifying what they
// receive with jose as real ones would:
//  - an enterprise IdP: OpenID metadata, a sign-in (authorization code + PKCE
//    S256, approved at once; ID tokens with the request's nonce, signed with
//    the key its jwks_uri publishes; a refresh token for offline_access) and
//    an RFC 8693 token exchange that
//    takes an ID token it issued (signature, iss, aud = the client at the IdP,
//    exp) and issues an ID-JAG (typ oauth-id-jag+jwt) for the audience and
//    resource asked;
//  - the MCP server's authorization server: RFC 8414 metadata, and the RFC 7523
//    jwt-bearer grant for a client authenticated with client_secret_basic. The
//    assertion is checked as RFC 7523 §3 asks: signature by a key of an issuer
//    it trusts (the IdP for an ID-JAG, else the workload platform), iss, aud =
//    its issuer identifier, exp (and nbf/iat within bounds), sub; an ID-JAG
//    also its typ, client_id = the authenticated client and resource = the MCP
//    server. It answers with an opaque Bearer token;
//  - an MCP server (SDK, stateless Streamable HTTP) that takes only those
//    tokens, with RFC 9728 metadata naming the AS.
// Importable only:
//   const s = await startJwtBearerStack({ clientId, clientSecret, idpClientId, platform: { issuer, publicKey } })
//   s.idp.issuer, s.as.issuer, s.mcpUrl, s.issueIdToken(sub, { expiresIn }), s.log, s.grants,
//   s.revokeAll(), s.close(); s.idp.signIns (authorization requests seen),
//   s.idp.signInMode = 'ok' | 'wrong-nonce' | 'other-key' (the ID token the sign-in returns),
//   s.idp.idTokenLifetime (seconds, 600 unless set), s.idp.revokeRefreshTokens();
//   an IdP grant records the ID token it issued (id_token), the refresh token it
//   was given (presented_refresh_token) and issued (refresh_token); an exchange
//   the ID token it took (subject_token)
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { closeServer, createTrackedServer, listen, readBody, sendJson } from './util.mjs';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag';

async function server(handler) {
  const s = createTrackedServer(handler);
  const port = await listen(s);
  return { s, origin: `http://127.0.0.1:${port}` };
}

function form(req) {
  return readBody(req).then((b) => new URLSearchParams(b.toString('utf8')));
}

function basicClient(req) {
  const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  if (!m) return null;
  const [id, secret] = Buffer.from(m[1], 'base64').toString('utf8').split(':').map(decodeURIComponent);
  return { id, secret };
}

export async function startJwtBearerStack(opts) {
  const { clientId, clientSecret, idpClientId, platform = null, scope = 'mcp' } = opts;
  const log = []; // { at: 'idp'|'as'|'mcp', method, path, status, why }
  const grants = []; // { grant_type, status, error, kind: 'id-jag'|'workload', sub, scope, resource }
  const tokens = new Set();
  const idpKeys = await generateKeyPair('ES256');
  const strangerKeys = await generateKeyPair('ES256');
  const idpJwk = { ...(await exportJWK(idpKeys.publicKey)), kid: 'idp-1', use: 'sig', alg: 'ES256' };
  const codes = new Map(); // code -> { challenge, redirectUri, nonce }
  const refreshTokens = new Set();
  const signIns = [];
  const idpState = { signInMode: 'ok', signIns };
  let idp, as, rs;

  const signIdToken = (sub, { nonce, key = idpKeys.privateKey, expiresIn = 600 } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(nonce ? { nonce } : {}).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'idp-1' })
      .setIssuer(idp.origin).setSubject(sub).setAudience(idpClientId).setIssuedAt(now)
      .setExpirationTime(now + expiresIn).sign(key);
  };

  const note = (at, req, res, why) => {
    const e = { at, method: req.method, path: req.url.split('?')[0], why };
    log.push(e);
    res.on('finish', () => { e.status = res.statusCode; });
  };

  // ---- the enterprise IdP --------------------------------------------------
  idp = await server(async (req, res) => {
    note('idp', req, res);
    const u = new URL(req.url, idp.origin);
    if (req.method === 'GET' && u.pathname === '/.well-known/openid-configuration') {
      return sendJson(res, 200, {
        issuer: idp.origin, token_endpoint: `${idp.origin}/token`, jwks_uri: `${idp.origin}/jwks`,
        authorization_endpoint: `${idp.origin}/authorize`, response_types_supported: ['code'],
        subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['ES256'],
        grant_types_supported: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE],
        scopes_supported: ['openid', 'offline_access'], code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'], authorization_response_iss_parameter_supported: true,
      });
    }
    if (req.method === 'GET' && u.pathname === '/jwks') return sendJson(res, 200, { keys: [idpJwk] });
    if (req.method === 'GET' && u.pathname === '/authorize') {
      // The person signs in at once (as alice); the answer goes to the loopback redirect URI.
      const q = u.searchParams;
      signIns.push(Object.fromEntries(q));
      const redirectUri = q.get('redirect_uri') ?? '';
      if (q.get('client_id') !== idpClientId || !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+\//.test(redirectUri)
        || q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')
        || !(q.get('scope') ?? '').split(' ').includes('openid')) {
        return sendJson(res, 400, { error: 'invalid_request' });
      }
      const code = randomBytes(16).toString('hex');
      codes.set(code, { challenge: q.get('code_challenge'), redirectUri, nonce: q.get('nonce'),
        offline: q.get('scope').split(' ').includes('offline_access') });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      back.searchParams.set('iss', idp.origin);
      res.writeHead(302, { Location: back.href });
      return res.end();
    }
    if (req.method !== 'POST' || u.pathname !== '/token') return sendJson(res, 404, { error: 'not_found' });
    const f = await form(req);
    const refuse = (status, error, why) => {
      log.at(-1).why = why;
      grants.push({ grant_type: f.get('grant_type'), at: 'idp', status, error, why });
      return sendJson(res, status, { error, error_description: why });
    };
    if (f.get('grant_type') === 'authorization_code' || f.get('grant_type') === 'refresh_token') {
      if (f.get('client_id') !== idpClientId) return refuse(401, 'invalid_client', 'unknown client');
      let nonce;
      let offline = true;
      if (f.get('grant_type') === 'authorization_code') {
        const c = codes.get(f.get('code') ?? '');
        codes.delete(f.get('code') ?? '');
        if (!c) return refuse(400, 'invalid_grant', 'unknown code');
        const challenge = createHash('sha256').update(f.get('code_verifier') ?? '').digest('base64url');
        if (challenge !== c.challenge) return refuse(400, 'invalid_grant', 'PKCE');
        if (f.get('redirect_uri') !== c.redirectUri) return refuse(400, 'invalid_grant', 'redirect_uri');
        ({ nonce, offline } = c);
        if (idpState.signInMode === 'wrong-nonce') nonce = 'not-the-request-nonce';
      } else if (!refreshTokens.has(f.get('refresh_token'))) {
        return refuse(400, 'invalid_grant', 'unknown refresh token');
      }
      const key = idpState.signInMode === 'other-key' ? strangerKeys.privateKey : idpKeys.privateKey;
      const idToken = await signIdToken('alice@example.test', { nonce, key, expiresIn: idpState.idTokenLifetime ?? 600 });
      const refresh = offline ? randomBytes(16).toString('hex') : undefined;
      if (refresh) refreshTokens.add(refresh);
      grants.push({ grant_type: f.get('grant_type'), at: 'idp', status: 200, sub: 'alice@example.test', id_token: idToken,
        presented_refresh_token: f.get('refresh_token') ?? undefined, refresh_token: refresh });
      return sendJson(res, 200, { access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 600,
        id_token: idToken, ...(refresh ? { refresh_token: refresh } : {}) });
    }
    if (f.get('grant_type') !== TOKEN_EXCHANGE) return refuse(400, 'unsupported_grant_type', 'token exchange only');
    if (f.get('subject_token_type') !== ID_TOKEN) return refuse(400, 'invalid_request', 'subject_token_type');
    if (f.get('requested_token_type') !== ID_JAG) return refuse(400, 'invalid_request', 'requested_token_type');
    if (f.get('client_id') !== idpClientId) return refuse(401, 'invalid_client', 'unknown client');
    let idt;
    try {
      ({ payload: idt } = await jwtVerify(f.get('subject_token') ?? '', idpKeys.publicKey, {
        issuer: idp.origin, audience: idpClientId, algorithms: ['ES256'], requiredClaims: ['exp', 'sub'],
      }));
    } catch (e) {
      return refuse(400, 'invalid_grant', `ID token: ${e.code}: ${e.message}`);
    }
    if (f.get('audience') !== as.issuer) return refuse(400, 'invalid_target', `audience ${f.get('audience')}`);
    const now = Math.floor(Date.now() / 1000);
    const jag = await new SignJWT({
      client_id: clientId, resource: f.get('resource'), ...(f.get('scope') ? { scope: f.get('scope') } : {}),
    }).setProtectedHeader({ alg: 'ES256', typ: 'oauth-id-jag+jwt' }).setIssuer(idp.origin).setSubject(idt.sub)
      .setAudience(f.get('audience')).setIssuedAt(now).setExpirationTime(now + 300)
      .setJti(randomBytes(16).toString('hex')).sign(idpKeys.privateKey);
    grants.push({ grant_type: TOKEN_EXCHANGE, at: 'idp', status: 200, sub: idt.sub, resource: f.get('resource'),
      subject_token: f.get('subject_token') });
    return sendJson(res, 200, { access_token: jag, issued_token_type: ID_JAG, token_type: 'N_A', expires_in: 300 });
  });

  // ---- the MCP server's authorization server --------------------------------
  as = await server(async (req, res) => {
    note('as', req, res);
    const u = new URL(req.url, as.origin);
    if (req.method === 'GET' && u.pathname === '/.well-known/oauth-authorization-server') {
      return sendJson(res, 200, {
        issuer: as.issuer, token_endpoint: `${as.issuer}/token`, grant_types_supported: [JWT_BEARER],
        token_endpoint_auth_methods_supported: ['client_secret_basic'], scopes_supported: [scope],
      });
    }
    if (req.method !== 'POST' || u.pathname !== '/token') return sendJson(res, 404, { error: 'not_found' });
    const f = await form(req);
    const refuse = (status, error, why) => {
      log.at(-1).why = why;
      grants.push({ grant_type: f.get('grant_type'), at: 'as', status, error, why });
      return sendJson(res, status, { error, error_description: why });
    };
    if (f.get('grant_type') !== JWT_BEARER) return refuse(400, 'unsupported_grant_type', 'jwt-bearer only');
    const c = basicClient(req);
    if (!c || c.id !== clientId || c.secret !== clientSecret) return refuse(401, 'invalid_client', 'client_secret_basic');
    const assertion = f.get('assertion') ?? '';
    let typ;
    try {
      typ = decodeProtectedHeader(assertion).typ;
    } catch {
      return refuse(400, 'invalid_grant', 'the assertion is not a JWS');
    }
    const jag = typ === 'oauth-id-jag+jwt';
    const trusted = jag ? { issuer: idp.origin, key: idpKeys.publicKey } : platform && { issuer: platform.issuer, key: platform.publicKey };
    if (!trusted) return refuse(400, 'invalid_grant', 'no trusted issuer for this assertion');
    let p;
    try {
      // RFC 7523 §3: iss, sub, aud (this AS), exp; a signature by the issuer's key.
      ({ payload: p } = await jwtVerify(assertion, trusted.key, {
        issuer: trusted.issuer, audience: as.issuer, requiredClaims: ['exp', 'sub'], maxTokenAge: '1h',
        algorithms: ['ES256', 'RS256', 'EdDSA'],
      }));
    } catch (e) {
      return refuse(400, 'invalid_grant', `assertion: ${e.code}: ${e.message}`);
    }
    if (jag && p.client_id !== c.id) return refuse(400, 'invalid_grant', 'the ID-JAG is for another client');
    if (jag && p.resource !== rs.mcpUrl) return refuse(400, 'invalid_grant', `ID-JAG resource ${p.resource}`);
    if (f.get('resource') && f.get('resource') !== rs.mcpUrl) return refuse(400, 'invalid_target', f.get('resource'));
    const token = randomBytes(24).toString('base64url');
    tokens.add(token);
    grants.push({ grant_type: JWT_BEARER, at: 'as', status: 200, kind: jag ? 'id-jag' : 'workload', sub: p.sub,
      scope: f.get('scope'), resource: f.get('resource'), access_token: token });
    return sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope });
  });
  as.issuer = as.origin;

  // ---- the MCP server -------------------------------------------------------
  rs = await server(async (req, res) => {
    note('mcp', req, res);
    const u = new URL(req.url, rs.origin);
    if (u.pathname === '/.well-known/oauth-protected-resource/mcp') {
      return sendJson(res, 200, { resource: rs.mcpUrl, authorization_servers: [as.issuer], scopes_supported: [scope] });
    }
    if (u.pathname !== '/mcp') return sendJson(res, 404, { error: 'not_found' });
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!m || !tokens.has(m[1])) {
      res.writeHead(401, {
        'WWW-Authenticate': `Bearer resource_metadata="${rs.origin}/.well-known/oauth-protected-resource/mcp", scope="${scope}"`,
        'Content-Type': 'application/json',
      });
      return res.end('{"error":"invalid_token"}');
    }
    if (req.method !== 'POST') return res.writeHead(405, { Allow: 'POST' }).end();
    const body = JSON.parse((await readBody(req)).toString('utf8'));
    const sub = grants.find((g) => g.access_token === m[1])?.sub;
    const mcp = new McpServer({ name: 'jwt-bearer-mcp', version: '1.0.0' });
    mcp.registerTool('whoami', { description: 'The subject the token is for', inputSchema: {} },
      async () => ({ content: [{ type: 'text', text: JSON.stringify({ sub }) }] }));
    mcp.registerTool('echo', { description: 'Echo', inputSchema: { message: z.string() } },
      async ({ message }) => ({ content: [{ type: 'text', text: message }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => { transport.close(); mcp.close(); });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  rs.mcpUrl = `${rs.origin}/mcp`;

  return {
    idp: Object.assign(idpState, {
      issuer: idp.origin, tokenEndpoint: `${idp.origin}/token`,
      /** The IdP forgets every refresh token it issued: each is then refused (invalid_grant). */
      revokeRefreshTokens: () => refreshTokens.clear(),
    }),
    as: { issuer: as.issuer },
    mcpUrl: rs.mcpUrl,
    log,
    grants,
    /** An ID token the IdP issued to its client for this subject. */
    issueIdToken: (sub, { expiresIn = 600 } = {}) => signIdToken(sub, { expiresIn }),
    /** Forget every access token issued: the MCP server answers 401 to them. */
    revokeAll: () => tokens.clear(),
    close: async () => { await Promise.all([closeServer(idp.s), closeServer(as.s), closeServer(rs.s)]); },
  };
}
