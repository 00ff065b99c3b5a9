// Servers for the cases where `mcp-bridge doctor` used to disagree with a start
// (tests/integration/doctor-agrees.test.mjs):
//
//   startBare401()   answers 401 "Bearer" to every request to /mcp and 404 to
//                    everything else: no protected resource metadata, no
//                    authorization server metadata, no /register. A start
//                    fails at the registration.
//   startPrmFront()  a front for another server: its path-suffixed protected
//                    resource metadata (/.well-known/oauth-protected-resource/mcp)
//                    answers 200 without authorization_servers; every other
//                    request is passed to the target set with setTarget(origin).
//                    A start moves on to the next metadata URL (the root one).
//
// Each returns { url (of /mcp), origin, log, stop() }.
import http from 'node:http';
import { closeServer, createTrackedServer, listen } from './util.mjs';

export async function startBare401() {
  const log = [];
  const server = createTrackedServer((req, res) => {
    log.push(`${req.method} ${req.url}`);
    req.resume();
    if (req.url.split('?')[0] === '/mcp') {
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer', 'Content-Type': 'application/json' });
      res.end('{"error":"unauthorized"}');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  const origin = `http://127.0.0.1:${await listen(server)}`;
  return { url: `${origin}/mcp`, origin, log, stop: () => closeServer(server) };
}

export async function startPrmFront() {
  const log = [];
  let target = null;
  const server = createTrackedServer((req, res) => {
    log.push(`${req.method} ${req.url}`);
    if (req.method === 'GET' && req.url === '/.well-known/oauth-protected-resource/mcp') {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ resource: `${front.origin}/mcp`, bearer_methods_supported: ['header'] }));
      return;
    }
    const t = new URL(target);
    const headers = { ...req.headers, host: t.host };
    const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  const front = { origin: `http://127.0.0.1:${await listen(server)}` };
  return {
    url: `${front.origin}/mcp`,
    origin: front.origin,
    log,
    setTarget: (origin) => { target = origin; },
    stop: () => closeServer(server),
  };
}
