// A real OAuth 2.1 / OpenID Connect stack for the bridge's OAuth integration
// tests (tests/integration/oauth-*.test.mjs):
//
//  - an authorization server built on oidc-provider v9 (its own loopback port,
//    optionally mounted under a path so its issuer has a path component):
//    PKCE (S256) required, RFC 8707 resource indicators issuing JWT access
//    tokens whose audience is the MCP server's URL, refresh tokens issued by
//    the provider's default policy (offline_access with prompt=consent) and
//    rotated, RFC 7591 dynamic registration (optional), static clients
//    (optional), and an interaction handler that signs in a fixed test user and
//    grants consent without any form, so tests/conformance/browser.sh (a curl
//    "browser" with a cookie jar) completes the sign-in headlessly;
//  - an MCP server (MCP TypeScript SDK, Streamable HTTP, another loopback port)
//    that verifies those JWTs with jose against the AS's JWKS (issuer,
//    audience, typ, expiry), serves RFC 9728 protected resource metadata and
//    answers 401 with a WWW-Authenticate challenge (with a resource_metadata
//    hint unless told otherwise); with `dpop`, the MCP server takes only
//    DPoP-bound tokens (RFC 9449; oidc-provider issues them by default), each
//    request with a proof it verifies (signature by the header's jwk, htm,
//    htu, iat, ath, the token's cnf.jkt, and optionally its own nonce); with
//    mcpServer 'v2-modern', the endpoint behind the same token check is a
//    2026-07-28-only server built on the TypeScript SDK v2.
//
// Everything the AS sees is recorded (requests, token grants, the secrets it
// issued or received) so tests can assert on the exchange and check logs for
// leaks.
import { createHash, randomUUID, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { z } from 'zod';
import Provider from 'oidc-provider';
import {
  EmbeddedJWK, calculateJwkThumbprint, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify,
} from 'jose';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  McpServer as McpServerV2, acceptedContent, createMcpHandler, inputRequired,
} from '@modelcontextprotocol/server';

export const TEST_USER = 'test-user-1';
const OIDC_SCOPES = new Set(['openid', 'offline_access', 'profile', 'email']);

function listen(app, port = 0) {
  return new Promise((resolve, reject) => {
    const s = app.listen(port, '127.0.0.1', (err) => (err ? reject(err) : resolve(s)));
  });
}

function closeServer(s) {
  return new Promise((resolve) => {
    s.closeAllConnections?.();
    s.close(() => resolve());
  });
}

/**
 * Start the authorization server and the MCP resource server.
 * opts:
 *   issuerPath        '' (issuer = origin) or e.g. '/oidc' (provider mounted there)
 *   registration      enable RFC 7591 dynamic registration (default true)
 *   publicClients     allow token_endpoint_auth_method "none" (default true); with
 *                     false, dynamically registered clients get a client_secret
 *   staticClients     array of oidc-provider client metadata (pre-registered), or
 *                     an async function ({ mcpUrl, issuer }) returning it, for
 *                     redirect URIs derived from the MCP URL
 *   accessTokenTTL    seconds (default 3600)
 *   refreshTokenTTL   seconds (default 3600)
 *   scope             the MCP resource's scope (default 'mcp')
 *   challenge         'hint' (default): Bearer error=..., resource_metadata="..."
 *                     'bare': just "Bearer"
 *                     'invalid_token': Bearer error="invalid_token" (no hint)
 *   prmAt             'path' (default: /.well-known/oauth-protected-resource/mcp only)
 *                     'root' (/.well-known/oauth-protected-resource only)
 *                     'both' (the path one and the root one)
 *                     'none' (no protected resource metadata anywhere)
 *   sameOrigin        the AS and the MCP server share one origin (one port), as
 *                     with 2025-03-26 servers that are their own AS
 *   requireScope      the MCP server refuses tokens without `scope` (default
 *                     true); false: any token its AS issued for it will do
 *   extraMetadataAt   more AS-origin paths that serve the provider's discovery
 *                     document (e.g. '/.well-known/openid-configuration/oidc')
 *   mcpPath           default '/mcp'
 *   stepUp            { tool, scope }: calling that tool needs one more scope; a
 *                     token without it gets 403 Bearer error="insufficient_scope",
 *                     scope="<scope> <stepUp.scope>" (RFC 6750 step-up)
 *   clientAuthMethods the token endpoint's client authentication methods (default:
 *                     client_secret_basic, client_secret_post and, with
 *                     publicClients, none); e.g. add 'private_key_jwt'
 *   clientCredentials enable the client credentials grant (default false)
 *   deviceFlow        enable the device authorization grant (RFC 8628; default
 *                     false); the test approves a user code with approveDevice()
 *   dpop              false (default), or { asNonce, rsNonce }: the MCP server
 *                     takes DPoP-bound tokens (oidc-provider's DPoP feature is
 *                     on by default; asNonce: its nonceSecret is set and it
 *                     requires a nonce in token request proofs); the challenge is
 *                     `DPoP ...`, its PRM says dpop_bound_access_tokens_required,
 *                     and it accepts only `Authorization: DPoP` with a valid
 *                     proof (rsNonce: carrying the nonce it hands out in
 *                     DPoP-Nonce; a proof without it gets 401 use_dpop_nonce)
 *   rsPort            the MCP server's port (default: an ephemeral one): a
 *                     second stack can take over the MCP URL of a first one
 *                     whose resource server was closed (closeResourceServer),
 *                     as a server that moves to another authorization server
 *   maxTokenAgeS      when > 0, the MCP server refuses (401 invalid_token) access
 *                     tokens issued more than this many seconds ago, although
 *                     their exp is later: a server-side expiry/revocation the
 *                     client cannot predict, so only a 401 tells it
 *   denyAuthorization a reason (string): the person declines at the consent
 *                     step, so the authorization ends with error=access_denied
 *                     and that error_description at the client's redirect_uri
 *                     (default: undefined, everything is granted)
 *   refuseCodeGrant   true: the token endpoint answers every authorization code
 *                     exchange 400 invalid_grant (the code was "already used"),
 *                     after the person signed in (default false)
 *   mcpServer         'v1' (default): the MCP endpoint is the SDK v1 server with
 *                     sessions (tools echo, whoami); 'v2-modern': a TypeScript
 *                     SDK v2 server that speaks only the 2026-07-28 revision (no
 *                     sessions; tools echo, add {a, b}, and ask, which asks for
 *                     a name with input_required), behind the same token check
 */
export async function startOidcStack(opts = {}) {
  const {
    issuerPath = '', registration = true, publicClients = true,
    accessTokenTTL = 3600, refreshTokenTTL = 3600, scope = 'mcp', challenge = 'hint', prmAt = 'path',
    mcpPath = '/mcp', extraMetadataAt = [], stepUp = null, sameOrigin = false,
    requireScope = true, clientCredentials = false, dpop = false, deviceFlow = false,
    denyAuthorization, refuseCodeGrant = false, mcpServer = 'v1',
  } = opts;
  if (mcpServer !== 'v1' && mcpServer !== 'v2-modern') throw new Error(`mcpServer: v1 or v2-modern, not ${mcpServer}`);
  let maxTokenAgeS = opts.maxTokenAgeS ?? 0;

  // ---- two apps on two ports: the AS and the MCP server -------------------
  const asApp = express();
  // Same origin: the MCP routes are a router mounted ahead of the provider.
  const rsApp = sameOrigin ? express.Router() : express();
  const asHttp = await listen(asApp);
  const rsHttp = sameOrigin ? asHttp : await listen(rsApp, opts.rsPort ?? 0);
  const asOrigin = `http://127.0.0.1:${asHttp.address().port}`;
  const rsOrigin = `http://127.0.0.1:${rsHttp.address().port}`;
  const issuer = `${asOrigin}${issuerPath}`;
  const mcpUrl = `${rsOrigin}${mcpPath}`;
  const staticClients = typeof opts.staticClients === 'function'
    ? await opts.staticClients({ mcpUrl, issuer })
    : (opts.staticClients ?? []);

  const stats = {
    authorizations: 0, // authorization requests (GET/POST /auth, not the resume)
    resumes: 0,
    interactions: 0,
    registrations: 0,
    tokenRequests: 0, // every request to the token endpoint
    dpopProofs: 0, // MCP requests whose DPoP proof was verified
    dpopNonceChallenges: 0, // 401 use_dpop_nonce answers of the MCP server
    codeGrants: 0,
    deviceGrants: 0, // device_code token requests answered 200
    refreshGrants: 0,
    failedGrants: 0,
  };
  const asLog = []; // { method, path, status }
  const grants = []; // { grant_type, status, resource, error, refresh_token_in, refresh_token_out, access_token, at }
  const authRequests = []; // the query of each authorization request
  const registrationsLog = []; // the registered clients' metadata as answered (client_id, jwks, ...)
  const errors = []; // provider error events
  const secrets = { accessTokens: new Set(), refreshTokens: new Set(), codes: new Set(), codeVerifiers: new Set(),
    clientSecrets: new Set(), registrationAccessTokens: new Set() };
  const asHttpLog = []; // every HTTP request to the AS origin: { method, url (path + query), status }
  asApp.use((req, res, next) => {
    if (req.headers['x-oidc-stack-internal']) return next();
    const e = { method: req.method, url: req.originalUrl, path: req.originalUrl.split('?')[0], at: Date.now() };
    asHttpLog.push(e);
    res.on('finish', () => { e.status = res.statusCode; });
    next();
  });
  for (const c of staticClients) if (c.client_secret) secrets.clientSecrets.add(c.client_secret);

  // ---- oidc-provider ------------------------------------------------------
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };

  const resourceInfo = (indicator) => ({
    scope: stepUp ? `${scope} ${stepUp.scope}` : scope,
    audience: indicator,
    accessTokenFormat: 'jwt',
    accessTokenTTL,
    jwt: { sign: { alg: 'RS256' } },
  });

  const provider = new Provider(issuer, {
    clients: staticClients,
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, name: 'Test User', email: 'test-user@example.test' }),
    }),
    clientAuthMethods: opts.clientAuthMethods ?? (publicClients
      ? ['client_secret_basic', 'client_secret_post', 'none']
      : ['client_secret_basic', 'client_secret_post']),
    pkce: { required: () => true },
    scopes: ['openid', 'offline_access'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: clientCredentials },
      deviceFlow: { enabled: deviceFlow },
      registration: { enabled: registration, initialAccessToken: false },
      revocation: { enabled: true },
      ...(dpop?.asNonce ? { dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true } } : {}),
      resourceIndicators: {
        enabled: true,
        // Tokens are always for the MCP server: JWT access tokens.
        defaultResource: async () => mcpUrl,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator) => {
          const { errors: e } = await import('oidc-provider');
          if (indicator !== mcpUrl) throw new e.InvalidTarget(`unknown resource ${indicator}`);
          if (refuseCodeGrant && ctx.oidc?.route === 'token' && ctx.oidc.params?.grant_type === 'authorization_code') {
            throw new e.InvalidGrant('the authorization code was refused (refuseCodeGrant)');
          }
          return resourceInfo(indicator);
        },
      },
    },
    // Refresh tokens are issued by oidc-provider's default policy (only for
    // offline_access, which it honours only with prompt=consent), as real
    // OpenID providers do; rotated on every use.
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? accessTokenTTL,
      AuthorizationCode: 60,
      Grant: 3600,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      RefreshToken: refreshTokenTTL,
    },
    interactions: { url: async (_ctx, interaction) => `${issuerPath}/interaction/${interaction.uid}` },
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
  provider.proxy = false;
  for (const ev of ['server_error', 'grant.error', 'authorization.error', 'registration_create.error',
    'introspection.error', 'revocation.error']) {
    provider.on(ev, (_ctx, err) => { errors.push({ event: ev, error: err?.message, detail: err?.error_description }); });
  }

  // Observe every exchange the provider handles.
  provider.use(async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    asLog.push({ method: ctx.method, path: ctx.path, route, status: ctx.status });
    if (route === 'authorization') {
      stats.authorizations++;
      authRequests.push({ ...ctx.oidc.params });
    } else if (route === 'resume') {
      stats.resumes++;
    } else if (route === 'registration') {
      stats.registrations++;
      const body = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
      registrationsLog.push({ status: ctx.status, client_id: body.client_id, token_endpoint_auth_method: body.token_endpoint_auth_method,
        redirect_uris: body.redirect_uris, grant_types: body.grant_types, jwks: body.jwks });
      if (body.client_secret) secrets.clientSecrets.add(body.client_secret);
      if (body.registration_access_token) secrets.registrationAccessTokens.add(body.registration_access_token);
    } else if (route === 'token') {
      stats.tokenRequests++;
      const p = ctx.oidc.params ?? {};
      const body = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
      if (p.code) secrets.codes.add(p.code);
      if (p.code_verifier) secrets.codeVerifiers.add(p.code_verifier);
      if (body.access_token) secrets.accessTokens.add(body.access_token);
      if (body.refresh_token) secrets.refreshTokens.add(body.refresh_token);
      if (body.id_token) secrets.accessTokens.add(body.id_token);
      const ok = ctx.status === 200;
      if (!ok) stats.failedGrants++;
      else if (p.grant_type === 'authorization_code') stats.codeGrants++;
      else if (p.grant_type === 'refresh_token') stats.refreshGrants++;
      else if (p.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') stats.deviceGrants++;
      grants.push({
        grant_type: p.grant_type, status: ctx.status, resource: p.resource, error: body.error,
        error_description: body.error_description, refresh_token_in: p.refresh_token,
        refresh_token_out: body.refresh_token, access_token: body.access_token, scope: body.scope,
        expires_in: body.expires_in, client_id: ctx.oidc.client?.clientId, at: Date.now(),
        basicAuth: /^Basic /i.test(ctx.get('authorization') ?? ''), code_verifier: p.code_verifier,
        dpopProof: Boolean(ctx.get('dpop')), token_type: body.token_type,
        client_assertion_type: p.client_assertion_type,
      });
    }
  });

  // The login + consent "UI": no form, the fixed test user approves everything
  // that was asked for, in one interaction.
  asApp.get(`${issuerPath}/interaction/:uid`, async (req, res, next) => {
    try {
      stats.interactions++;
      const details = await provider.interactionDetails(req, res);
      if (denyAuthorization !== undefined) {
        await provider.interactionFinished(req, res, {
          error: 'access_denied', error_description: String(denyAuthorization),
        }, { mergeWithLastSubmission: false });
        return;
      }
      const { prompt, params } = details;
      const accountId = details.session?.accountId ?? TEST_USER;
      let grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
      if (!grant) grant = new provider.Grant({ accountId, clientId: params.client_id });
      const requested = String(params.scope ?? '').split(' ').filter(Boolean);
      const oidc = requested.filter((s) => OIDC_SCOPES.has(s));
      const rs = requested.filter((s) => !OIDC_SCOPES.has(s));
      if (oidc.length) grant.addOIDCScope(oidc.join(' '));
      const resources = [].concat(params.resource ?? mcpUrl);
      for (const r of resources) grant.addResourceScope(r, rs.length ? rs.join(' ') : scope);
      const d = prompt?.details ?? {};
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      if (d.missingResourceScopes) {
        for (const [ind, scopes] of Object.entries(d.missingResourceScopes)) grant.addResourceScope(ind, scopes.join(' '));
      }
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, {
        login: { accountId },
        consent: { grantId },
      }, { mergeWithLastSubmission: true });
    } catch (e) {
      errors.push({ event: 'interaction', error: e.message });
      next(e);
    }
  });
  for (const p of extraMetadataAt) {
    asApp.get(p, async (_req, res) => {
      const r = await fetch(`${issuer}/.well-known/openid-configuration`, { headers: { 'x-oidc-stack-internal': '1' } });
      res.status(r.status).json(await r.json());
    });
  }
  if (sameOrigin) asApp.use(rsApp);
  if (issuerPath) asApp.use(issuerPath, provider.callback());
  else asApp.use(provider.callback());

  // ---- the MCP server -------------------------------------------------------
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const prmPath = `/.well-known/oauth-protected-resource${mcpPath}`;
  const prmUrl = `${rsOrigin}${prmPath}`;
  const prm = {
    resource: mcpUrl,
    authorization_servers: [issuer],
    scopes_supported: [scope],
    bearer_methods_supported: ['header'],
    resource_name: 'oidc-stack test MCP server',
    ...(dpop ? { dpop_bound_access_tokens_required: true, dpop_signing_alg_values_supported: ['ES256'] } : {}),
  };
  let rsNonce = randomBytes(16).toString('base64url');
  const rsLog = []; // { method, path, headers (names), token (raw or null), status, rpc, why }
  const tokensSeen = new Set();
  let challengeMode = challenge;

  rsApp.use((req, res, next) => {
    const entry = { method: req.method, path: req.path, at: Date.now(), headers: Object.keys(req.headers) };
    rsLog.push(entry);
    res.on('finish', () => { entry.status = res.statusCode; });
    req.logEntry = entry;
    next();
  });
  if (prmAt === 'path' || prmAt === 'both') rsApp.get(prmPath, (_req, res) => res.json(prm));
  if (prmAt === 'root' || prmAt === 'both') rsApp.get('/.well-known/oauth-protected-resource', (_req, res) => res.json(prm));

  const challengeHeader = (error, description) => {
    switch (challengeMode) {
      case 'bare': return 'Bearer';
      case 'invalid_token': return 'Bearer error="invalid_token"';
      default: {
        const parts = [];
        if (error) parts.push(`error="${error}"`);
        if (description) parts.push(`error_description="${description.replace(/["\\]/g, '')}"`);
        parts.push(`resource_metadata="${prmUrl}"`);
        return dpop ? `DPoP algs="ES256", ${parts.join(', ')}` : `Bearer ${parts.join(', ')}`;
      }
    }
  };

  // RFC 9449 §7.1, §4.3: the proof in the DPoP header of a request that
  // carries a DPoP-bound token; throws what is wrong.
  const checkDpopProof = async (req, token, payload) => {
    const proof = req.headers.dpop;
    if (typeof proof !== 'string' || !proof) throw Object.assign(new Error('no DPoP proof'), { code: 'DPOP' });
    const { payload: p, protectedHeader: ph } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
    const fail = (what) => { throw Object.assign(new Error(`DPoP proof: ${what}`), { code: 'DPOP' }); };
    if (ph.jwk?.d) fail('private key in the header');
    if (p.htm !== req.method) fail(`htm ${p.htm} for ${req.method}`);
    if (p.htu !== mcpUrl) fail(`htu ${p.htu}`);
    if (typeof p.iat !== 'number' || Math.abs(Date.now() / 1000 - p.iat) > 60) fail('iat not fresh');
    if (typeof p.jti !== 'string' || !p.jti) fail('no jti');
    if (p.ath !== createHash('sha256').update(token).digest('base64url')) fail('ath is not the token hash');
    if (await calculateJwkThumbprint(ph.jwk) !== payload.cnf?.jkt) fail('key is not the one the token is bound to');
    if (dpop.rsNonce && p.nonce !== rsNonce) return 'nonce';
    return 'ok';
  };

  const bearer = async (req, res, next) => {
    const h = req.headers.authorization;
    const m = (dpop ? /^DPoP ([^\s]+)$/i : /^Bearer ([^\s]+)$/i).exec(h ?? '');
    if (dpop && dpop.rsNonce) res.set('DPoP-Nonce', rsNonce);
    const deny = (error, description) => {
      req.logEntry.why = description ?? 'no token';
      res.set('WWW-Authenticate', challengeHeader(error, description));
      res.status(401).json({ error: error ?? 'unauthorized', error_description: description ?? 'authorization required' });
    };
    if (!m) return deny(undefined, undefined);
    req.logEntry.token = m[1];
    try {
      const { payload, protectedHeader } = await jwtVerify(m[1], jwks, {
        issuer, audience: mcpUrl, typ: 'at+jwt', algorithms: ['RS256'],
      });
      if (maxTokenAgeS > 0 && Date.now() / 1000 - payload.iat > maxTokenAgeS) {
        return deny('invalid_token', 'the access token was revoked');
      }
      const scopes = String(payload.scope ?? '').split(' ');
      if (requireScope && !scopes.includes(scope)) return deny('invalid_token', `token lacks scope ${scope}`);
      if (dpop) {
        if (await checkDpopProof(req, m[1], payload) === 'nonce') {
          stats.dpopNonceChallenges++;
          req.logEntry.why = 'use_dpop_nonce';
          res.set('WWW-Authenticate', 'DPoP algs="ES256", error="use_dpop_nonce", error_description="a nonce is required"');
          res.status(401).json({ error: 'use_dpop_nonce' });
          return undefined;
        }
        stats.dpopProofs++;
        req.logEntry.dpopVerified = true;
      }
      tokensSeen.add(m[1]);
      req.auth = { payload, protectedHeader };
      return next();
    } catch (e) {
      return deny('invalid_token', `${e.code ?? 'ERR'}: ${e.message}`);
    }
  };

  const sessions = new Map();
  const buildMcp = (getAuth) => {
    const mcp = new McpServer({ name: 'oidc-stack-mcp', version: '1.0.0' });
    mcp.registerTool('echo', { description: 'Echo a message', inputSchema: { message: z.string() } },
      async ({ message }) => ({ content: [{ type: 'text', text: message }] }));
    if (stepUp) {
      mcp.registerTool(stepUp.tool, { description: `Needs scope ${stepUp.scope}`, inputSchema: {} },
        async () => ({ content: [{ type: 'text', text: `granted: ${getAuth()?.payload?.scope}` }] }));
    }
    mcp.registerTool('whoami', { description: 'The authenticated subject and client', inputSchema: {} },
      async () => {
        const p = getAuth()?.payload ?? {};
        return { content: [{ type: 'text', text: JSON.stringify({ sub: p.sub, client_id: p.client_id, aud: p.aud, scope: p.scope, iss: p.iss }) }] };
      });
    return mcp;
  };
  const modern = mcpServer === 'v2-modern' ? createMcpHandler(buildModernMcp, { legacy: 'reject' }) : null;
  rsApp.all(mcpPath, express.json({ limit: '4mb' }), bearer, async (req, res, next) => {
    if (!modern) return next();
    if (req.body) req.logEntry.rpc = [].concat(req.body).map((x) => x?.method ?? 'response');
    const abort = new AbortController();
    res.on('close', () => { if (!res.writableFinished) abort.abort(); });
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
    }
    headers.delete('content-length');
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(`${rsOrigin}${req.originalUrl}`, {
      method: req.method, headers, body: hasBody ? JSON.stringify(req.body ?? null) : undefined, signal: abort.signal,
    });
    const response = await modern.fetch(request, hasBody ? { parsedBody: req.body } : undefined);
    return writeWebResponse(res, response);
  });
  rsApp.all(mcpPath, async (req, res) => {
    if (req.body) req.logEntry.rpc = [].concat(req.body).map((x) => x?.method ?? 'response');
    if (stepUp && [].concat(req.body ?? []).some((x) => x?.method === 'tools/call' && x.params?.name === stepUp.tool)) {
      const granted = String(req.auth.payload.scope ?? '').split(' ');
      if (!granted.includes(stepUp.scope)) {
        req.logEntry.why = `insufficient_scope (needs ${stepUp.scope})`;
        res.set('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${scope} ${stepUp.scope}", `
          + `resource_metadata="${prmUrl}", error_description="the ${stepUp.tool} tool needs ${stepUp.scope}"`);
        res.status(403).json({ error: 'insufficient_scope' });
        return;
      }
    }
    const sid = req.headers['mcp-session-id'];
    let entry = sid ? sessions.get(sid) : undefined;
    if (sid && !entry) {
      res.status(404).json({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } });
      return;
    }
    if (!entry) {
      entry = { auth: req.auth };
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => sessions.set(id, entry),
      });
      entry.transport = transport;
      transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
      await buildMcp(() => entry.auth).connect(transport);
    }
    entry.auth = req.auth; // the latest token's claims
    await entry.transport.handleRequest(req, res, req.body);
  });

  return {
    issuer,
    asOrigin,
    rsOrigin,
    mcpUrl,
    prmUrl,
    provider,
    stats,
    asLog,
    asHttpLog,
    rsLog,
    grants,
    authRequests,
    registrations: registrationsLog,
    errors,
    secrets,
    tokensSeen,
    /** Change the 401 challenge style at run time. */
    setChallenge(mode) { challengeMode = mode; },
    setMaxTokenAge(s) { maxTokenAgeS = s; },
    /** A new MCP-server DPoP nonce (dpop.rsNonce): proofs with the old one get use_dpop_nonce. */
    rotateDpopNonce() { rsNonce = randomBytes(16).toString('base64url'); },
    /**
     * deviceFlow: the test user approves the device authorization whose user
     * code the client showed, as the verification page would after a sign-in:
     * every scope asked for, for the MCP server. False when no such code waits.
     */
    async approveDevice(userCode) {
      const code = await provider.DeviceCode.findByUserCode(String(userCode).toUpperCase().replace(/\W/g, ''));
      if (!code || code.accountId || code.error) return false;
      const requested = String(code.params?.scope ?? '').split(' ').filter(Boolean);
      const oidc = requested.filter((x) => OIDC_SCOPES.has(x));
      const rs = requested.filter((x) => !OIDC_SCOPES.has(x));
      const grant = new provider.Grant({ accountId: TEST_USER, clientId: code.clientId });
      if (oidc.length) grant.addOIDCScope(oidc.join(' '));
      grant.addResourceScope(mcpUrl, rs.length ? rs.join(' ') : scope);
      Object.assign(code, {
        accountId: TEST_USER,
        authTime: Math.floor(Date.now() / 1000),
        grantId: await grant.save(),
        scope: requested.join(' '),
        resource: mcpUrl,
      });
      await code.save();
      return true;
    },
    /** Requests to the MCP endpoint that carried a token and were refused. */
    rejectedTokens: () => rsLog.filter((e) => e.path === mcpPath && e.status === 401 && e.token),
    /** Every secret the AS issued or received, as a flat list of { kind, value }. */
    allSecrets() {
      const out = [];
      for (const [kind, set] of Object.entries(secrets)) for (const value of set) out.push({ kind, value });
      return out;
    },
    /** Stop the MCP server only (its port is free for another stack); the AS stays. */
    async closeResourceServer() {
      for (const e of sessions.values()) e.transport.close().catch(() => {});
      if (!sameOrigin && rsHttp.listening) await closeServer(rsHttp);
    },
    async close() {
      for (const e of sessions.values()) e.transport.close().catch(() => {});
      await modern?.close().catch(() => {});
      await Promise.all(sameOrigin || !rsHttp.listening ? [closeServer(asHttp)] : [closeServer(asHttp), closeServer(rsHttp)]);
    },
  };
}

// The 2026-07-28-only MCP server of mcpServer 'v2-modern' (a new instance per
// request, as the SDK's handler makes them).
const NameSchema = z.object({ name: z.string() });
function buildModernMcp() {
  const mcp = new McpServerV2({ name: 'oidc-stack-mcp-v2', version: '1.0.0' });
  mcp.registerTool('echo', { description: 'Echo a message', inputSchema: z.object({ message: z.string() }) },
    async ({ message }) => ({ content: [{ type: 'text', text: message }] }));
  mcp.registerTool('add', {
    description: 'Add two integers', inputSchema: z.object({ a: z.number().int(), b: z.number().int() }),
  }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
  mcp.registerTool('ask', { description: 'Ask the user for a name', inputSchema: z.object({}) }, async (_args, ctx) => {
    const responses = ctx.mcpReq.inputResponses;
    const answer = acceptedContent(responses, 'name', NameSchema);
    if (answer) return { content: [{ type: 'text', text: `hello ${answer.name}` }] };
    if (responses?.name !== undefined) return { isError: true, content: [{ type: 'text', text: 'the user gave no name' }] };
    return inputRequired({
      inputRequests: { name: inputRequired.elicit({ message: 'What is your name?', requestedSchema: NameSchema }) },
    });
  });
  return mcp;
}

/** Copy a web Response (possibly a long SSE stream) onto a Node response. */
async function writeWebResponse(res, response) {
  const headers = {};
  response.headers.forEach((v, k) => { headers[k] = v; });
  res.writeHead(response.status, headers);
  if (!response.body) return res.end();
  const reader = response.body.getReader();
  res.on('close', () => { reader.cancel().catch(() => {}); });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch {
    // The client went away or the stream was torn down.
  }
  return res.end();
}

// ---- test-side helpers ------------------------------------------------------

const BROWSER_SH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'conformance', 'browser.sh');

const homes = [];

/** A fresh temporary directory to use as the bridge's XDG_CONFIG_HOME (and logs). */
export function tempHome(label = 'oauth') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mcp-bridge-${label}-`));
  homes.push(dir);
  return dir;
}

/** Remove every tempHome() directory (kept when OAUTH_TEST_KEEP_HOMES=1, for debugging). */
export function cleanupHomes() {
  if (process.env.OAUTH_TEST_KEEP_HOMES === '1') return;
  for (const d of homes.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Env for a bridge that signs in headlessly through browser.sh. */
export function oauthEnv(home, extra = {}) {
  return {
    XDG_CONFIG_HOME: home,
    BROWSER: BROWSER_SH,
    BROWSER_SH_LOG: path.join(home, 'browser.log'),
    ...extra,
  };
}

/** The files under $XDG_CONFIG_HOME/mcp-bridge/credentials: [{ name, mode, text, json, doc }]
 * (each file is {"label": ..., "secret": "<JSON text>"}; doc is the parsed secret).
 * A bridge may be writing meanwhile: its NAME.tmp files are skipped, and a file
 * renamed away between listing and reading is left out. */
export function readCredentials(home) {
  const dir = path.join(home, 'mcp-bridge', 'credentials');
  if (!fs.existsSync(dir)) return { dir, dirMode: null, files: [] };
  const files = fs.readdirSync(dir).filter((name) => !name.endsWith('.tmp')).map((name) => {
    const file = path.join(dir, name);
    let text;
    let mode;
    try {
      text = fs.readFileSync(file, 'utf8');
      mode = fs.statSync(file).mode & 0o777;
    } catch (e) {
      if (e.code === 'ENOENT') return null;
      throw e;
    }
    let json;
    let doc;
    try { json = JSON.parse(text); } catch { json = undefined; }
    try { doc = typeof json?.secret === 'string' ? JSON.parse(json.secret) : undefined; } catch { doc = undefined; }
    return { name, file, mode, text, json, doc };
  }).filter(Boolean);
  return { dir, dirMode: fs.statSync(dir).mode & 0o777, files };
}

/** The stored token document (the parsed secret with an access_token or refresh_token), or undefined. */
export function storedTokens(home) {
  return readCredentials(home).files.map((f) => f.doc).find((d) => d && (d.access_token || d.refresh_token));
}

/** browser.sh's log for this home ('' when it never ran). */
export function browserLog(home) {
  try { return fs.readFileSync(path.join(home, 'browser.log'), 'utf8'); } catch { return ''; }
}

/** Long lists: runs of one repeated entry collapse to "entry (xN)"; at most 40 lines. */
function summarize(list) {
  const out = [];
  for (const x of list) {
    const last = out[out.length - 1];
    if (last && last.x === x) last.n++;
    else out.push({ x, n: 1 });
  }
  const lines = out.map(({ x, n }) => (n > 1 ? `${x} (x${n})` : x));
  return lines.length > 40 ? [...lines.slice(0, 20), `... ${lines.length - 40} more ...`, ...lines.slice(-20)] : lines;
}

/** A compact dump of what the stack saw, for assertion messages. */
export function describeStack(s) {
  return JSON.stringify({
    stats: s.stats,
    as: summarize(s.asHttpLog.map((e) => `${e.method} ${e.path} ${e.status}`)),
    rs: summarize(s.rsLog.map((e) => `${e.method} ${e.path} ${e.status}${e.rpc ? ` ${e.rpc}` : ''}${e.why ? ` (${e.why})` : ''}`)),
    grants: summarize(s.grants.map((g) => `${g.grant_type} ${g.status}${g.error ? ` ${g.error}: ${g.error_description}` : ''}`)),
    errors: s.errors,
  }, null, 1);
}
