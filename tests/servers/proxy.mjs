// An HTTP proxy for the proxy tests: CONNECT tunnels (https:// targets) and
// absolute-form requests forwarded as they come (http:// targets), each one
// recorded so a test can tell what went through it and what did not.
//
// Importable: const p = await startProxy({ tls }); p.url, p.seen ([{ kind, target }]),
//   p.stop(). With tls ({ key, cert }) the proxy itself is spoken to over TLS.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

export async function startProxy({ tls } = {}) {
  const seen = [];
  const sockets = new Set();
  const server = (tls ? https : http).createServer(tls ? { key: tls.key, cert: tls.cert } : {}, (req, res) => {
    // A forward proxy receives the absolute URL in the request line.
    let target;
    try { target = new URL(req.url); } catch { target = null; }
    if (!target || target.protocol !== 'http:') {
      res.writeHead(400).end('absolute http:// URL expected');
      return;
    }
    seen.push({ kind: 'forward', target: req.url, method: req.method });
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const up = http.request({
      host: target.hostname, port: target.port || 80, method: req.method,
      path: target.pathname + target.search, headers,
    }, (upRes) => {
      res.writeHead(upRes.statusCode, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  server.on('connect', (req, client, head) => {
    seen.push({ kind: 'CONNECT', target: req.url });
    const [host, port] = req.url.split(/:(?=\d+$)/);
    const up = net.connect(Number(port), host.replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  server.on(tls ? 'secureConnection' : 'connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}`,
    seen,
    stop: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}
