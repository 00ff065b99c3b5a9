// A hostile legacy HTTP+SSE server (protocol 2024-11-05): every GET /sse stream
// sends `retry: <retryMs>` and the endpoint event, then ends at once without a
// message; POST /messages is accepted (202) and never answered. A client that
// reconnects without bounds turns this into an endless loop of requests.
//
// Importable only: const s = await startHostileLegacyServer({ retryMs: 0 })
//   s.url (the /sse URL), s.gets (times of each GET /sse), s.posts, s.stop()
import { closeServer, createTrackedServer, listen, readBody } from './util.mjs';

export async function startHostileLegacyServer({ retryMs = 0, closeAfterMs = 20 } = {}) {
  const gets = [];
  const posts = [];
  const server = createTrackedServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/sse') {
      gets.push(Date.now());
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      res.write(`retry: ${retryMs}\n\nevent: endpoint\ndata: /messages?sessionId=s${gets.length}\n\n`);
      setTimeout(() => res.end(), closeAfterMs);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/messages') {
      posts.push((await readBody(req)).toString('utf8'));
      res.writeHead(202).end();
      return;
    }
    res.writeHead(404).end();
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/sse`, gets, posts, stop: () => closeServer(server) };
}
