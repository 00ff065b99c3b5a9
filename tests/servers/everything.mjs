// Runs the reference "everything" server (@modelcontextprotocol/server-everything)
// over Streamable HTTP. Its launcher (dist/index.js) takes the transport as
// argv[2] ("streamableHttp") and the port from $PORT (default 3001), serving
// POST/GET/DELETE /mcp. It cannot report an ephemeral port, so we reserve a free
// loopback port first (listen(0) + close) and retry if we lose the race; we load
// its dist/transports/streamableHttp.js (what the launcher imports) in-process.
//
// Standalone: node tests/servers/everything.mjs [--port N]   -> "LISTENING <url>"
//   (hosts the server in-process, so killing this process kills the server)
// Importable: const srv = await startEverythingServer(); srv.url; await srv.stop()
import { spawn } from 'node:child_process';
import net from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

/** Options: port (0 = pick one), nodeBin (default: this process's node), timeoutMs.
 * Spawns this file in standalone mode (the server runs in that child, which
 * exits when its stdin closes, so a dying test runner takes it along). */
export async function startEverythingServer(opts = {}) {
  const nodeBin = opts.nodeBin ?? process.execPath;
  const self = fileURLToPath(import.meta.url);
  const ms = opts.timeoutMs ?? 15000;
  for (let attempt = 0; attempt < 5; attempt++) {
    const args = [self, '--exit-on-stdin-close'];
    if (opts.port) args.push('--port', String(opts.port));
    const child = spawn(nodeBin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d.toString(); if (err.length > 20000) err = err.slice(-10000); });
    const exited = new Promise((r) => child.once('exit', r));
    let url;
    try {
      url = await new Promise((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`everything server not listening within ${ms} ms: ${err.slice(-500)}`)), ms);
        child.stdout.on('data', (d) => {
          out += d.toString();
          const m = /^LISTENING (\S+)\n/.exec(out);
          if (m) { clearTimeout(timer); resolve(m[1]); }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(Object.assign(new Error(`everything server exited (${code}): ${err.slice(-500)}`),
            { code: /in use|EADDRINUSE/.test(err) ? 'EADDRINUSE' : 'EXIT' }));
        });
      });
    } catch (e) {
      child.kill('SIGKILL');
      if (e.code === 'EADDRINUSE' && !opts.port) continue;
      throw e;
    }
    child.stdout.resume();
    return {
      url,
      port: Number(new URL(url).port),
      child,
      stderr: () => err,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGKILL');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000).unref())]);
      },
    };
  }
  throw new Error('could not start the everything server: no free port after 5 attempts');
}

/** Resolve once something accepts TCP connections on host:port. */
function waitPort(port, host, ms) {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect(port, host);
      sock.once('connect', () => { sock.destroy(); resolve(); });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listening on ${host}:${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Standalone: run the everything server in THIS process (no grandchild that a
  // SIGKILL of this wrapper would orphan). Its chatter goes to stderr so stdout
  // carries only the LISTENING line.
  const args = parseArgs(process.argv.slice(2));
  const port = Number(args.port) || (await freePort());
  process.env.PORT = String(port);
  console.log = (...a) => console.error(...a);
  await import(pathToFileURL(path.join(path.dirname(everythingEntry()), 'transports', 'streamableHttp.js')).href);
  await waitPort(port, '127.0.0.1', 15000);
  process.stdout.write(`LISTENING http://127.0.0.1:${port}/mcp\n`);
  process.on('SIGTERM', () => process.exit(0));
  if (args['exit-on-stdin-close']) {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.on('error', () => process.exit(0));
    process.stdin.resume();
  }
}
