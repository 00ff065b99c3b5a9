// The bundled demo: a small "notes" MCP server over Streamable HTTP, protected
// by OAuth, with its own authorization server on the same origin. The
// authorization server approves a fixed demo user at once (no login form), so
// the sign-in also completes where no person is watching. Built on the MCP
// TypeScript SDK's server and authorization-server helpers.
import { randomUUID } from 'node:crypto';
import express from 'express';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { mcpAuthRouter, getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { InvalidGrantError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';

const TOKEN_TTL_S = 3600;

/** An authorization server that signs in "demo-user" without asking. */
class AutoApproveProvider {
  constructor(resource) {
    this.resource = resource;
    const clients = new Map();
    this.clientsStore = {
      getClient: async (id) => clients.get(id),
      registerClient: async (client) => { clients.set(client.client_id, client); return client; },
    };
    this.codes = new Map();
    this.tokens = new Map();
    this.refreshTokens = new Map();
    this.stats = { authorizations: 0, tokenRequests: 0, refreshes: 0 };
  }

  async authorize(client, params, res) {
    this.stats.authorizations++;
    const code = randomUUID();
    this.codes.set(code, { clientId: client.client_id, params });
    const to = new URL(params.redirectUri);
    to.searchParams.set('code', code);
    if (params.state !== undefined) to.searchParams.set('state', params.state);
    res.redirect(to.href);
  }

  async challengeForAuthorizationCode(_client, code) {
    const c = this.codes.get(code);
    if (!c) throw new InvalidGrantError('unknown authorization code');
    return c.params.codeChallenge;
  }

  issue(clientId, scopes) {
    const access = randomUUID();
    const refresh = randomUUID();
    this.tokens.set(access, { clientId, scopes, expiresAt: Date.now() + TOKEN_TTL_S * 1000 });
    this.refreshTokens.set(refresh, { clientId, scopes });
    return { access_token: access, token_type: 'bearer', expires_in: TOKEN_TTL_S,
      refresh_token: refresh, scope: scopes.join(' ') };
  }

  async exchangeAuthorizationCode(client, code, _verifier, _redirectUri, resource) {
    this.stats.tokenRequests++;
    const c = this.codes.get(code);
    if (!c || c.clientId !== client.client_id) throw new InvalidGrantError('unknown authorization code');
    if (resource && resource.href !== this.resource) throw new InvalidGrantError(`unknown resource ${resource}`);
    this.codes.delete(code);
    return this.issue(client.client_id, c.params.scopes || []);
  }

  async exchangeRefreshToken(client, refreshToken) {
    this.stats.refreshes++;
    const r = this.refreshTokens.get(refreshToken);
    if (!r || r.clientId !== client.client_id) throw new InvalidGrantError('unknown refresh token');
    this.refreshTokens.delete(refreshToken); // rotation: each refresh token works once
    return this.issue(client.client_id, r.scopes);
  }

  async verifyAccessToken(token) {
    const t = this.tokens.get(token);
    if (!t || t.expiresAt < Date.now()) throw new InvalidTokenError('unknown or expired token');
    return { token, clientId: t.clientId, scopes: t.scopes, expiresAt: Math.floor(t.expiresAt / 1000),
      resource: new URL(this.resource) };
  }
}

function buildServer(notes) {
  const mcp = new McpServer({ name: 'mcp-bridge-demo', version: '1.0.0' });
  mcp.registerTool('add_note', {
    title: 'Add a note', description: 'Store a short note',
    inputSchema: { text: z.string().describe('The note') },
  }, async ({ text }) => {
    notes.push(text);
    return { content: [{ type: 'text', text: `Stored note #${notes.length}` }] };
  });
  mcp.registerTool('list_notes', {
    title: 'List notes', description: 'Every note stored so far', inputSchema: {},
  }, async () => ({
    content: [{ type: 'text', text: notes.length ? notes.map((n, i) => `${i + 1}. ${n}`).join('\n') : '(no notes yet)' }],
  }));
  mcp.registerTool('word_count', {
    title: 'Count words', description: 'Count the words of a text', inputSchema: { text: z.string() },
  }, async ({ text }) => ({ content: [{ type: 'text', text: String(text.split(/\s+/).filter(Boolean).length) }] }));
  return mcp;
}

export async function startDemoServer({ port = 0, oauth = true } = {}) {
  const app = express();
  const httpServer = await new Promise((resolve) => { const s = app.listen(port, '127.0.0.1', () => resolve(s)); });
  const origin = `http://127.0.0.1:${httpServer.address().port}`;
  const mcpUrl = `${origin}/mcp`;
  const provider = new AutoApproveProvider(mcpUrl);
  const notes = [];
  const sessions = new Map();

  if (oauth) {
    app.use(mcpAuthRouter({
      provider, issuerUrl: new URL(origin), resourceServerUrl: new URL(mcpUrl),
      scopesSupported: ['notes'], resourceName: 'mcp-bridge demo notes',
    }));
  }
  const auth = oauth
    ? requireBearerAuth({ verifier: provider, resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(new URL(mcpUrl)) })
    : (_req, _res, next) => next();
  app.all('/mcp', auth, async (req, res) => {
    const sid = req.headers['mcp-session-id'];
    let transport = sid ? sessions.get(sid) : undefined;
    if (sid && !transport) {
      res.status(404).json({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } });
      return;
    }
    if (!transport) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => sessions.set(id, transport),
      });
      transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
      await buildServer(notes).connect(transport);
    }
    await transport.handleRequest(req, res);
  });

  return {
    url: mcpUrl,
    stats: provider.stats,
    close: () => new Promise((resolve) => {
      for (const t of sessions.values()) t.close().catch(() => {});
      httpServer.closeAllConnections?.();
      httpServer.close(() => resolve());
    }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await startDemoServer({ port: Number(process.argv[2] || 0) });
  console.log(`demo MCP server (OAuth-protected) listening at ${s.url}`);
}
