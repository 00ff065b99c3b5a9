// HTTPS servers for the TLS tests: an MCP server (the SDK's McpServer over its
// Streamable HTTP transport, stateless) and a small OAuth authorization server
// for the client credentials grant, each with its own certificate and,
// optionally, requiring a client certificate issued by a given CA (mutual TLS).
// Both record every request with the subject of the client certificate seen.
//
// Importable only (the tests make the certificates first):
//   const mcp = await startHttpsMcpServer({ tls, clientCa, oauth: { asUrl, token } })
//   const as = await startHttpsAuthServer({ tls, clientCa, clientId, clientSecret, resource })
//   x.url, x.origin, x.log ([{ method, path, clientCn, authorization }]), x.stop()
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { readBody, sendJson } from './util.mjs';

function listenHttps({ tls, clientCa }, handler) {
  const server = https.createServer({
    key: tls.key,
    cert: tls.cert,
    ...(clientCa ? { requestCert: true, rejectUnauthorized: true, ca: clientCa } : {}),
  }, (req, res) => {
    Promise.resolve().then(() => handler(req, res)).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(err?.message ?? err) });
      else res.end();
    });
  });
  const handshakeErrors = [];
  server.on('tlsClientError', (err) => handshakeErrors.push(err.code || err.message));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const origin = `https://127.0.0.1:${server.address().port}`;
      resolve({
        server,
        origin,
        handshakeErrors,
        stop: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

function record(log, req) {
  const cert = req.socket.getPeerCertificate?.();
  log.push({
    method: req.method,
    path: req.url,
    clientCn: cert && cert.subject ? cert.subject.CN : null,
    authorization: req.headers.authorization ?? null,
  });
}

function buildMcp() {
  const mcp = new McpServer({ name: 'bridge-test-https', version: '1.0.0' }, { capabilities: { tools: {} } });
  mcp.registerTool('echo', {
    description: 'Echo the message back',
    inputSchema: { message: z.string() },
  }, async ({ message }) => ({ content: [{ type: 'text', text: message }] }));
  return mcp;
}

/** opts: tls {key, cert}; clientCa (PEM) to require a client certificate;
 * oauth { asUrl, token() } to require a bearer token the AS issued. */
export async function startHttpsMcpServer(opts) {
  const log = [];
  let self;
  const srv = await listenHttps(opts, async (req, res) => {
    record(log, req);
    const u = new URL(req.url, self.origin);
    if (opts.oauth && u.pathname === '/.well-known/oauth-protected-resource/mcp') {
      sendJson(res, 200, { resource: self.url, authorization_servers: [opts.oauth.asUrl] });
      return;
    }
    if (u.pathname !== '/mcp') return sendJson(res, 404, { error: 'not found' });
    if (opts.oauth) {
      const token = opts.oauth.token();
      if (!token || req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, {
          'WWW-Authenticate': `Bearer resource_metadata="${self.origin}/.well-known/oauth-protected-resource/mcp"`,
          'Content-Type': 'application/json',
        });
        res.end('{"error":"invalid_token"}');
        return;
      }
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end();
      return;
    }
    const body = JSON.parse((await readBody(req)).toString('utf8'));
    const mcp = buildMcp();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => { transport.close(); mcp.close(); });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  self = { ...srv, url: `${srv.origin}/mcp`, log };
  return self;
}

/** opts: tls, clientCa, clientId, clientSecret, resource (the MCP server URL).
 * Serves RFC 8414 metadata and a token endpoint for client_credentials. */
export async function startHttpsAuthServer(opts) {
  const log = [];
  const issued = [];
  let self;
  const srv = await listenHttps(opts, async (req, res) => {
    record(log, req);
    const u = new URL(req.url, self.origin);
    if (req.method === 'GET' && u.pathname === '/.well-known/oauth-authorization-server') {
      sendJson(res, 200, {
        issuer: self.origin,
        token_endpoint: `${self.origin}/token`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
      return;
    }
    if (req.method === 'POST' && u.pathname === '/token') {
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      let id = form.get('client_id');
      let secret = form.get('client_secret');
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
      if (basic) {
        [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':').map(decodeURIComponent);
      }
      if (form.get('grant_type') !== 'client_credentials') return sendJson(res, 400, { error: 'unsupported_grant_type' });
      if (id !== opts.clientId || secret !== opts.clientSecret) return sendJson(res, 401, { error: 'invalid_client' });
      const token = randomBytes(24).toString('base64url');
      issued.push(token);
      sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
      return;
    }
    sendJson(res, 404, { error: 'not found' });
  });
  self = { ...srv, url: srv.origin, log, issued, lastToken: () => issued.at(-1) };
  return self;
}
