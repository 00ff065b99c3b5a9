// The cost of a CA bundle from the environment: start-up (spawn to the answer to
// initialize) and the bridge's CPU per call over HTTPS, read from /proc before
// and after N sequential tools/call. Run with the project's Node:
//   tests/node_modules/node/bin/node bench/ca-bundle.mjs [BRIDGE] [N]
// Three settings: no variable; CURL_CA_BUNDLE (a file: system bundle + the test
// CA); SSL_CERT_FILE (system bundle) + NODE_EXTRA_CA_CERTS (the test CA).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { makePki } from '../tests/lib/pki.mjs';
import { startHttpsMcpServer } from '../tests/servers/tls.mjs';

const bin = path.resolve(process.argv[2] ?? 'build/mcp-bridge');
const calls = Number(process.argv[3] ?? 1000);
const SYSTEM = '/etc/ssl/certs/ca-certificates.crt';
const TICK = 100; // clock ticks per second (getconf CLK_TCK)

function cpuMs(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
}
function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function measure(url, env) {
  const t0 = process.hrtime.bigint();
  const child = spawn(bin, [url, '--token-store', 'memory'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = new Map();
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    const m = JSON.parse(l);
    waiting.get(m.id)?.(m);
  });
  const ask = (id, method, params) => new Promise((resolve) => {
    waiting.set(id, resolve);
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
  });
  const init = await ask(0, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } });
  if (!init.result) throw new Error(`initialize failed: ${JSON.stringify(init)}`);
  const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
  child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  const cpu0 = cpuMs(child.pid);
  for (let i = 1; i <= calls; i++) {
    const r = await ask(i, 'tools/call', { name: 'echo', arguments: { message: `m${i}` } });
    if (!r.result) throw new Error(`call ${i} failed: ${JSON.stringify(r)}`);
  }
  const cpu = cpuMs(child.pid) - cpu0;
  const rss = rssKiB(child.pid);
  child.stdin.end();
  await new Promise((r) => child.on('exit', r));
  return { startMs, cpuPerCallUs: (cpu * 1000) / calls, rssMiB: rss / 1024 };
}

const pki = makePki();
const combined = path.join(path.dirname(pki.caFile), 'system-plus-test.pem');
fs.writeFileSync(combined, fs.readFileSync(SYSTEM, 'utf8') + '\n' + fs.readFileSync(pki.caFile, 'utf8'));
const server = await startHttpsMcpServer({ tls: pki.server });
const settings = {
  'CURL_CA_BUNDLE=system+test CA': { CURL_CA_BUNDLE: combined },
  'SSL_CERT_FILE=system, NODE_EXTRA_CA_CERTS=test CA': { SSL_CERT_FILE: SYSTEM, NODE_EXTRA_CA_CERTS: pki.caFile },
};
try {
  console.log(`${bin}, ${calls} calls each, median of 3`);
  for (const [name, env] of Object.entries(settings)) {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await measure(server.url, env));
    const med = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[1].toFixed(1);
    console.log(`${name}: start-up ${med('startMs')} ms, CPU ${med('cpuPerCallUs')} us/call, RSS ${med('rssMiB')} MiB`);
  }
} finally {
  await server.stop();
  pki.remove();
}
