// Runs the reference "everything" server (@modelcontextprotocol/server-everything)
// over Streamable HTTP as a child process. Its launcher takes the transport as
// argv[2] ("streamableHttp") and the port from $PORT (default 3001), serving
// POST/GET/DELETE /mcp. It cannot report an ephemeral port, so we reserve a free
// loopback port first (listen(0) + close) and retry if we lose the race.
//
// Standalone: node tests/servers/everything.mjs [--port N]   -> "LISTENING <url>"
// Importable: const srv = await startEverythingServer(); srv.url; await srv.stop()
import { spawn } from 'node:child_process';
import net from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from './util.mjs';

const require = createRequire(import.meta.url);

export function everythingEntry() {
  const pkg = require.resolve('@modelcontextprotocol/server-everything/package.json');
  return path.join(path.dirname(pkg), 'dist', 'index.js');
}

export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function waitListening(child, port, ms) {
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => finish(new Error(`everything server did not listen on ${port} within ${ms} ms: ${err.slice(-500)}`)), ms);
    const onData = (d) => {
      err += d.toString();
      if (/listening on port/i.test(err)) finish(null);
      else if (/already in use|EADDRINUSE/i.test(err)) finish(Object.assign(new Error('EADDRINUSE'), { code: 'EADDRINUSE' }));
    };
    const onExit = (code) => finish(Object.assign(new Error(`everything server exited (${code}): ${err.slice(-500)}`), { code: /in use/.test(err) ? 'EADDRINUSE' : 'EXIT' }));
    function finish(e) {
      clearTimeout(timer);
      child.stderr.off('data', onData);
      child.off('exit', onExit);
      if (e) reject(e); else resolve();
    }
    child.stderr.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Options: port (0 = pick one), nodeBin (default: this process's node), timeoutMs. */
export async function startEverythingServer(opts = {}) {
  const nodeBin = opts.nodeBin ?? process.execPath;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = Number(opts.port) || (await freePort());
    const child = spawn(nodeBin, [everythingEntry(), 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.resume(); // it logs every request on stdout; drain and drop
    try {
      await waitListening(child, port, opts.timeoutMs ?? 15000);
    } catch (e) {
      child.kill('SIGKILL');
      if (e.code === 'EADDRINUSE' && !opts.port) continue;
      throw e;
    }
    child.stderr.resume();
    const exited = new Promise((r) => child.once('exit', r));
    return {
      url: `http://127.0.0.1:${port}/mcp`,
      port,
      child,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGKILL'); // its SIGINT handler is slow and chatty
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000).unref())]);
      },
    };
  }
  throw new Error('could not start the everything server: no free port after 5 attempts');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = parseArgs(process.argv.slice(2));
  const srv = await startEverythingServer({ port: Number(args.port ?? 0) });
  process.stdout.write(`LISTENING ${srv.url}\n`);
  const shutdown = async () => { await srv.stop(); process.exit(0); };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  srv.child.once('exit', (c) => process.exit(c ?? 1));
}
