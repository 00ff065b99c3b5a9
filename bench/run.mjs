// The mcp-bridge benchmark: direct HTTP vs mcp-bridge vs mcp-remote.
//
//   node bench/run.mjs [--quick] [--bridge PATH] [--no-callgrind] [--only LIST] [--out FILE]
//
// Starts the benchmark servers (bench/servers/), runs bench/client.mjs once per
// contender and repetition (contenders alternate, their order rotating every
// repetition), and prints a Markdown report that is also written to
// bench/results/latest.md (raw numbers: bench/results/latest.json).
// Nothing is installed at run time: mcp-remote must be in bench/node_modules
// (`npm ci --prefix bench`). No timed assertions: the exit status is non-zero only
// when something could not be run at all.
//
// --only takes a comma-separated subset of: cold,session,floor,blob,tools,sdk,modern,callgrind.
//
// "floor" also runs bench/floor/relay.c (compiled here with cc): a blocking relay
// that moves bytes between stdio and HTTP and does nothing else. What it adds to
// the direct client is what the two extra pipe hops and process wake-ups of any
// stdio bridge cost on this machine.
//
// "modern" runs the echo session through mcp-bridge against the minimal server in its
// 2025 mode and in its 2026-07-28 mode (--modern), back to back in each repetition,
// and compares the bridge's CPU per call on the two paths (plus a 2026-era host on the
// 2026 server, mcp-remote's --protocol auto on both, for information, and callgrind's
// instruction counts).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const NODE = process.execPath;
const TOKEN_HEADER = 'Authorization: Bearer bench-token';
const MiB = 1024 * 1024;

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const o = { quick: false, bridge: process.env.MCP_BRIDGE || path.join(ROOT, 'build', 'mcp-bridge'),
    callgrind: true, only: null, out: path.join(BENCH, 'results', 'latest.md') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--bridge') o.bridge = path.resolve(argv[++i]);
    else if (a === '--no-callgrind') o.callgrind = false;
    else if (a === '--only') o.only = new Set(argv[++i].split(','));
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '--help' || a === '-h') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n')
        .filter((l) => l.startsWith('//')).slice(0, 14).map((l) => l.slice(3)).join('\n') + '\n');
      process.exit(0);
    } else { throw new Error(`unknown argument ${a}`); }
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const want = (k) => !opts.only || opts.only.has(k);
const log = (s) => process.stderr.write(`${s}\n`);

// ---------------------------------------------------------------- preflight

function die(msg) {
  log(`bench: ${msg}`);
  process.exit(2);
}

function pkgVersion(dir) {
  try { return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version; } catch { return null; }
}

if (!existsSync(opts.bridge)) die(`no bridge binary at ${opts.bridge} (build it: cmake -S . -B build && cmake --build build)`);
const remoteDir = path.join(BENCH, 'node_modules', 'mcp-remote');
let remoteBin;
try {
  const pj = JSON.parse(readFileSync(path.join(remoteDir, 'package.json'), 'utf8'));
  const bin = typeof pj.bin === 'string' ? pj.bin : pj.bin?.['mcp-remote'];
  remoteBin = path.join(remoteDir, bin);
  if (!existsSync(remoteBin)) throw new Error(`${remoteBin} missing`);
} catch (e) {
  die(`mcp-remote is not installed in bench/node_modules (${e.message}); run: npm ci --prefix bench`);
}
for (const dep of ['undici', '@modelcontextprotocol/sdk']) {
  if (!pkgVersion(path.join(BENCH, 'node_modules', dep))) die(`${dep} is not installed in bench/node_modules; run: npm ci --prefix bench`);
}

// ---------------------------------------------------------------- machine

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).trim() : null;
}

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? '?';
  const mhz = /cpu MHz\s*:\s*(.*)/.exec(cpuinfo)?.[1];
  const commit = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', '--', 'bridge', 'CMakeLists.txt']);
  let buildType = null;
  try {
    const cache = readFileSync(path.join(path.dirname(opts.bridge), 'CMakeCache.txt'), 'utf8');
    buildType = /CMAKE_BUILD_TYPE:STRING=(.*)/.exec(cache)?.[1] || 'default (RelWithDebInfo)';
  } catch { /* not a CMake build dir */ }
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: model + (mhz ? ` (${Math.round(Number(mhz))} MHz)` : ''),
    memory: `${Math.round(os.totalmem() / MiB / 1024)} GiB`,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    bridge: sh(opts.bridge, ['--version']) ?? '?',
    bridgePath: path.relative(ROOT, opts.bridge) || opts.bridge,
    bridgeBuild: buildType,
    commit: commit ? commit + (dirty ? ' (bridge sources modified)' : '') : null,
    libcurl: sh('pkg-config', ['--modversion', 'libcurl']),
    mcpRemote: pkgVersion(remoteDir),
    sdk: pkgVersion(path.join(BENCH, 'node_modules', '@modelcontextprotocol', 'sdk')),
    undici: pkgVersion(path.join(BENCH, 'node_modules', 'undici')),
    valgrind: sh('valgrind', ['--version']),
    loadStart: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

// ---------------------------------------------------------------- servers

const servers = [];

function startServer(name, script, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(NODE, [path.join(BENCH, 'servers', script), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const t = setTimeout(() => reject(new Error(`${name} server did not start: ${err}`)), 15000);
    p.stderr.on('data', (d) => { err = (err + d).slice(-2000); });
    p.stdout.on('data', (d) => {
      out += d;
      const m = /LISTENING (\S+)/.exec(out);
      if (m) { clearTimeout(t); const s = { name, url: m[1], proc: p }; servers.push(s); resolve(s); }
    });
    p.on('exit', (code) => { clearTimeout(t); reject(new Error(`${name} server exited (${code}): ${err}`)); });
  });
}

function stopServers() {
  for (const s of servers) { s.proc.stdin.end(); s.proc.kill('SIGTERM'); }
}
process.on('exit', stopServers);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopServers(); process.exit(130); });

// ---------------------------------------------------------------- contenders

const remoteConfigDir = mkdtempSync(path.join(os.tmpdir(), 'mcp-bench-remote-'));
process.on('exit', () => rmSync(remoteConfigDir, { recursive: true, force: true }));

const CONTENDERS = ['direct', 'mcp-bridge', 'mcp-remote'];
// The "modern" scenario's paths: a 2025-era host through a bridge to each server, and
// a 2026-era host through mcp-bridge to the 2026 server.
const MODERN_PATHS = ['mcp-bridge 2025', 'mcp-bridge 2026', 'mcp-bridge 2026 host', 'mcp-remote 2025', 'mcp-remote 2026'];

/** bench/floor/relay.c, compiled into a temporary directory; null if there is no cc. */
function buildFloor() {
  const out = path.join(remoteConfigDir, 'floor-relay');
  const r = spawnSync('cc', ['-O2', '-o', out, path.join(BENCH, 'floor', 'relay.c')], { encoding: 'utf8' });
  if (r.status !== 0) { log(`bench: the floor relay did not build (${r.error?.message ?? r.stderr.trim()}); skipped`); return null; }
  return out;
}
const floorBin = want('floor') ? buildFloor() : null;

function command(contender, url) {
  if (contender === 'direct') return [];
  if (contender === 'mcp-bridge') return [opts.bridge, url, '--header', TOKEN_HEADER];
  if (contender === 'floor') return [floorBin, new URL(url).port];
  return [NODE, remoteBin, url, '--header', TOKEN_HEADER];
}

function runClient(args, cmd, timeoutMs = 180_000) {
  return new Promise((resolve) => {
    const p = spawn(NODE, [path.join(BENCH, 'client.mjs'), ...args, ...(cmd.length ? ['--', ...cmd] : [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // XDG_CACHE_HOME: where mcp-bridge records each server URL's revision (one file
      // per URL, and the ports change every run).
      env: { ...process.env, MCP_REMOTE_CONFIG_DIR: remoteConfigDir, XDG_CACHE_HOME: remoteConfigDir },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => { clearTimeout(t); resolve({ error: `could not run the client: ${e.message}` }); });
    p.on('exit', (code) => {
      clearTimeout(t);
      const line = out.trim().split('\n').pop();
      let r;
      try { r = JSON.parse(line); } catch { r = { error: `client exited ${code} without a result: ${err || out}` }; }
      resolve(r);
    });
  });
}

/** The minimal server's connection and request counters (null for other servers). */
async function serverStats(server) {
  if (!server.name.startsWith('minimal') && server.name !== 'tools1000') return null;
  try {
    const res = await fetch(server.url.replace(/\/mcp$/, '/stats'), { headers: { Authorization: 'Bearer bench-token' } });
    return await res.json();
  } catch {
    return null;
  }
}

const results = []; // { set, scenario, contender, rep, r }
const errors = [];

/** One run of `scenario` by contender `name` (command `cmd`) against `server`, recorded. */
async function runOnce(set, server, scenario, args, name, cmd, rep) {
  const t0 = Date.now();
  const before = await serverStats(server);
  const r = await runClient(['--url', server.url, '--scenario', scenario, ...args], cmd);
  const after = await serverStats(server);
  if (before && after) {
    r.connections = after.connections - before.connections;
    r.httpRequests = after.requests - before.requests - 1; // less our own GET /stats
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.error) {
    errors.push({ set, scenario, contender: name, rep, error: r.error, stderrTail: r.stderrTail });
    log(`  ${set}/${scenario} ${name} #${rep + 1}: ERROR ${r.error.split('\n')[0]}`);
  } else {
    log(`  ${set}/${scenario} ${name} #${rep + 1}: ok (${secs} s)`);
  }
  results.push({ set, scenario, contender: name, rep, r });
}

/** Runs `scenario` `reps` times for each contender, alternating and rotating the order. */
async function measure(set, server, scenario, reps, args, contenders = CONTENDERS) {
  for (let rep = 0; rep < reps; rep++) {
    const order = contenders.map((_, i) => contenders[(i + rep) % contenders.length]);
    for (const c of order) await runOnce(set, server, scenario, args, c, command(c, server.url), rep);
  }
}

/** The "modern" set: the echo session through each bridge against the 2025 and the
 * 2026-07-28 server, back to back in every repetition (the order rotating), and through
 * mcp-bridge with a 2026-era host. mcp-remote (--protocol auto) runs in the first
 * `remoteReps` repetitions only. */
async function measureModern(legacyServer, modernServer, reps, remoteReps, args) {
  const bridgePaths = [[legacyServer, '2025', []], [modernServer, '2026', []], [modernServer, '2026 host', ['--host-era', '2026']]];
  for (let rep = 0; rep < reps; rep++) {
    const rotated = bridgePaths.map((_, i) => bridgePaths[(i + rep) % bridgePaths.length]);
    for (const [server, name, hostArgs] of rotated) {
      await runOnce('modern', server, 'session', [...args, ...hostArgs], `mcp-bridge ${name}`, command('mcp-bridge', server.url), rep);
    }
    if (rep >= remoteReps) continue;
    const order = rep % 2 ? [[modernServer, '2026'], [legacyServer, '2025']] : [[legacyServer, '2025'], [modernServer, '2026']];
    for (const [server, era] of order) {
      await runOnce('modern', server, 'session', args, `mcp-remote ${era}`,
        [...command('mcp-remote', server.url), '--protocol', 'auto'], rep);
    }
  }
}

// ---------------------------------------------------------------- statistics

function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const get = (o, p) => p.split('.').reduce((v, k) => (v == null ? v : v[k]), o);

function med(set, scenario, contender, field) {
  return median(results.filter((x) => x.set === set && x.scenario === scenario && x.contender === contender && !x.r.error)
    .map((x) => get(x.r, field)));
}

/** a/b per repetition (the runs of one repetition ran back to back): " (runs: min–max)". */
function pairedRange(set, scenario, field, a, b) {
  const pick = (c) => new Map(results.filter((x) => x.set === set && x.scenario === scenario && x.contender === c && !x.r.error)
    .map((x) => [x.rep, get(x.r, field)]));
  const A = pick(a);
  const B = pick(b);
  const v = [...A].filter(([rep, x]) => typeof x === 'number' && typeof B.get(rep) === 'number' && B.get(rep) !== 0)
    .map(([rep, x]) => x / B.get(rep));
  if (v.length < 2) return '';
  return ` (runs: ${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)})`;
}

// ---------------------------------------------------------------- callgrind

function parseCallgrindTotal(file) {
  const txt = readFileSync(file, 'utf8');
  const m = /^(?:totals|summary):\s*(\d+)/m.exec(txt);
  return m ? Number(m[1]) : null;
}

/** Whether a callgrind_annotate name is one worth listing by inclusive cost: a named
 * function of the bridge or a library entry point, not an address or main's ancestors. */
const listedFunction = (fn) => /\[[^\]]+\]$/.test(fn) &&
  !/\?\?\?|0x[0-9a-f]{6,}|below main|:main\b|uv_run|libc_start|\[ld-linux/.test(fn);

/** Cost per function (Ir, self or inclusive) from callgrind_annotate. */
function callgrindFunctions(file, inclusive) {
  const r = spawnSync('callgrind_annotate', ['--threshold=100', `--inclusive=${inclusive ? 'yes' : 'no'}`, '--auto=no', '--tree=none', file],
    { encoding: 'utf8', maxBuffer: 64 * MiB });
  const map = new Map();
  if (r.status !== 0) return map;
  const lines = r.stdout.split('\n');
  const start = lines.findIndex((l) => /^Ir\s+file:function/.test(l.trim()));
  for (const line of lines.slice(start + 1)) {
    const m = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S.*?)\s*$/.exec(line);
    if (!m) continue;
    const ir = Number(m[1].replace(/,/g, ''));
    let fn = m[2];
    fn = fn.replace(/^\?\?\?:/, '').replace(/^.*\/(?=[^/]+:)/, ''); // keep "file.c:function [lib]"
    fn = fn.replace(/\s*\[([^\]]*)\]$/, (_, obj) => ` [${path.basename(obj)}]`);
    map.set(fn, (map.get(fn) ?? 0) + ir);
  }
  return map;
}

async function callgrind(server, low, high) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-bench-cg-'));
  const out = {};
  try {
    for (const n of [low, high]) {
      const file = path.join(dir, `callgrind.${n}.out`);
      const cmd = ['valgrind', '--tool=callgrind', `--callgrind-out-file=${file}`, '--quiet',
        opts.bridge, server.url, '--header', TOKEN_HEADER];
      const r = await runClient(['--url', server.url, '--scenario', 'calls', '--seq', String(n),
        '--timeout-ms', '600000', '--close-timeout-ms', '60000'], cmd, 900_000);
      if (r.error) throw new Error(`callgrind run with ${n} calls failed: ${r.error}\n${r.stderrTail ?? ''}`);
      if (!existsSync(file)) throw new Error(`callgrind wrote no ${file} (bridge exit ${JSON.stringify(r.exit)})`);
      out[n] = { total: parseCallgrindTotal(file), fns: callgrindFunctions(file, false), inc: callgrindFunctions(file, true), exit: r.exit };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const calls = high - low;
  const perCall = (out[high].total - out[low].total) / calls;
  const fns = [];
  for (const [fn, ir] of out[high].fns) {
    const d = (ir - (out[low].fns.get(fn) ?? 0)) / calls;
    if (d > 0) fns.push({ fn, perCall: d });
  }
  fns.sort((a, b) => b.perCall - a.perCall);
  // Self cost per library.
  const libs = new Map();
  for (const { fn, perCall: d } of fns) {
    const lib = /\[([^\]]+)\]$/.exec(fn)?.[1]?.replace(/\.so[.\d]*$/, '') ?? '?';
    libs.set(lib, (libs.get(lib) ?? 0) + d);
  }
  // Inclusive cost of the bridge's own functions and of library entry points with a name.
  const inc = [];
  for (const [fn, ir] of out[high].inc) {
    if (!listedFunction(fn)) continue;
    const d = (ir - (out[low].inc.get(fn) ?? 0)) / calls;
    if (d > perCall * 0.02) inc.push({ fn, perCall: d });
  }
  inc.sort((a, b) => b.perCall - a.perCall);
  // Every function's inclusive cost per call, for comparing two runs of this (paths).
  const inclusiveAll = {};
  for (const [fn, ir] of out[high].inc) {
    const d = (ir - (out[low].inc.get(fn) ?? 0)) / calls;
    if (listedFunction(fn) && Math.abs(d) >= 20) inclusiveAll[fn] = d;
  }
  return { low, high, totalLow: out[low].total, totalHigh: out[high].total, perCall, top: fns.slice(0, 12), inclusiveAll,
    libs: [...libs].map(([lib, d]) => ({ lib, perCall: d })).sort((a, b) => b.perCall - a.perCall).filter((x) => x.perCall >= 100),
    inclusive: inc.slice(0, 20) };
}

// ---------------------------------------------------------------- report

const fmtMs = (v) => (v == null ? '—' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
const fmtRate = (v) => (v == null ? '—' : Math.round(v).toLocaleString('en-US'));
const fmtMiB = (kb) => (kb == null ? '—' : (kb / 1024).toFixed(1));
const fmtUs = (ms) => (ms == null ? '—' : ms.toFixed(1)); // cpuMsPerKCall == µs per call

/** "N× faster/slower" for bridge vs other; lowerBetter for times and sizes. */
function ratio(bridge, other, lowerBetter, words = ['faster', 'slower']) {
  if (bridge == null || other == null || bridge === 0 || other === 0) return '—';
  const r = lowerBetter ? other / bridge : bridge / other; // > 1: bridge is better
  const f = (x) => (x >= 10 ? x.toFixed(0) : x.toFixed(2));
  return r >= 1 ? `${f(r)}× ${words[0]}` : `${f(1 / r)}× ${words[1]}`;
}

const TIME = ['faster', 'slower'];
const SIZE = ['smaller', 'larger'];

function row(label, set, scenario, field, fmt, lowerBetter, words) {
  const v = CONTENDERS.map((c) => med(set, scenario, c, field));
  const [d, b, m] = v;
  return `| ${label} | ${v.map(fmt).join(' | ')} | ${ratio(b, d, lowerBetter, words)} | ${ratio(b, m, lowerBetter, words)} |`;
}

function table(rows) {
  return ['| | direct | mcp-bridge | mcp-remote | bridge vs direct | bridge vs mcp-remote |',
    '| --- | ---: | ---: | ---: | ---: | ---: |', ...rows].join('\n');
}

function report(m, cfg, cg, cgError, cgModern, cgModernError) {
  const L = [];
  L.push('# mcp-bridge benchmark', '');
  L.push(`${m.date} · ${m.nproc} CPUs: ${m.cpu} · ${m.memory} RAM · ${m.kernel}`);
  L.push(`node ${m.node} · ${m.bridge} (${m.bridgePath}${m.bridgeBuild ? `, ${m.bridgeBuild}` : ''}${m.commit ? `, commit ${m.commit}` : ''})` +
    ` · libcurl ${m.libcurl ?? '?'} · mcp-remote ${m.mcpRemote} · SDK ${m.sdk} · undici ${m.undici} (direct)` +
    (m.valgrind ? ` · ${m.valgrind}` : ''));
  L.push(`Load average at start ${m.loadStart}, at end ${m.loadEnd}` +
    (Number(m.loadStart.split(' ')[0]) > 0.5 ? ' — **other processes were busy: the timings are noisy**' : ''));
  L.push('', `Medians of ${cfg.coldReps} runs (cold start), ${cfg.sessionReps} (echo session) and ${cfg.reps} (the rest), contenders alternating.` +
    ` Sequential: ${cfg.seq} echo calls after ${cfg.warmup} warm-up calls; pipelined: ${cfg.pipe} echo calls,` +
    ` ${cfg.depth} in flight. Memory is the spawned process tree's peak RSS (VmHWM: exact for one process).` +
    ' "direct" is the benchmark process doing the same JSON-RPC over HTTP itself (no bridge).', '');

  if (want('cold') || want('session') || want('blob')) {
    L.push('## Minimal server (bench/servers/minimal.mjs, JSON responses)', '');
    const rows = [];
    if (want('cold')) {
      rows.push(row('Cold start: spawn → initialize result (ms)', 'minimal', 'cold', 'coldStartMs', fmtMs, true, TIME));
      rows.push(row('First tools/list after start (ms)', 'minimal', 'cold', 'toolsListMs', fmtMs, true, TIME));
      rows.push(row('Peak RSS, start + tools/list (MiB)', 'minimal', 'cold', 'peakRssKB', fmtMiB, true, SIZE));
    }
    if (want('session')) {
      rows.push(row('Sequential echo: p50 latency (ms)', 'minimal', 'session', 'sequential.p50Ms', fmtMs, true, TIME));
      rows.push(row('Sequential echo: p99 latency (ms)', 'minimal', 'session', 'sequential.p99Ms', fmtMs, true, TIME));
      rows.push(row('Sequential echo: calls/s', 'minimal', 'session', 'sequential.callsPerSec', fmtRate, false, TIME));
      rows.push(row(`Pipelined echo (${cfg.depth} in flight): calls/s`, 'minimal', 'session', 'pipelined.callsPerSec', fmtRate, false, TIME));
      rows.push(row('Contender CPU per sequential call (µs)', 'minimal', 'session', 'sequential.cpuMsPerKCall', fmtUs, true, SIZE));
      rows.push(row('Contender CPU per pipelined call (µs)', 'minimal', 'session', 'pipelined.cpuMsPerKCall', fmtUs, true, SIZE));
      rows.push(row('Peak RSS, echo session (MiB)', 'minimal', 'session', 'peakRssKB', fmtMiB, true, SIZE));
      rows.push(row(`TCP connections opened per echo session (${(cfg.seq + 3 * cfg.warmup + cfg.pipe).toLocaleString("en-US")} calls)`, 'minimal', 'session', 'connections',
        (v) => (v == null ? '—' : String(Math.round(v))), true, ['fewer', 'more']));
    }
    if (want('blob')) {
      rows.push(row(`One ${cfg.blob / MiB} MiB tools/call result (ms)`, 'minimal', 'blob', 'blobMs', fmtMs, true, TIME));
      rows.push(row(`Peak RSS with the ${cfg.blob / MiB} MiB result (MiB)`, 'minimal', 'blob', 'peakRssKB', fmtMiB, true, SIZE));
    }
    L.push(table(rows), '');
  }

  if (floorBin && want('floor')) {
    const FLOOR = ['direct', 'floor', 'mcp-bridge'];
    const frow = (label, field, fmt, lowerBetter, words) => {
      const [d, f, b] = FLOOR.map((c) => med('floor', 'session', c, field));
      return `| ${label} | ${[d, f, b].map(fmt).join(' | ')} | ${ratio(f, d, lowerBetter, words)} | ${ratio(b, f, lowerBetter, words)} |`;
    };
    L.push('## The floor: what any stdio bridge pays (minimal server)', '',
      'The floor relay (bench/floor/relay.c) reads a line, POSTs it over one keep-alive connection with blocking I/O, and ' +
      'writes the body back: no event loop, no JSON, no checks. What it adds to direct is the cost of the two extra pipe ' +
      'hops and process wake-ups, which no stdio bridge can avoid. Sequential calls only (the floor has one call in flight).', '',
      '| | direct | floor relay | mcp-bridge | floor vs direct | bridge vs floor |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      frow('Sequential echo: p50 latency (ms)', 'sequential.p50Ms', fmtMs, true, TIME),
      frow('Sequential echo: p99 latency (ms)', 'sequential.p99Ms', fmtMs, true, TIME),
      frow('Sequential echo: calls/s', 'sequential.callsPerSec', fmtRate, false, TIME),
      frow('Contender CPU per sequential call (µs)', 'sequential.cpuMsPerKCall', fmtUs, true, SIZE), '');
  }

  if (want('sdk')) {
    L.push('## TypeScript SDK server (bench/servers/sdk.mjs, McpServer + StreamableHTTPServerTransport, SSE responses)', '');
    L.push(table([
      row('Cold start: spawn → initialize result (ms)', 'sdk', 'session', 'coldStartMs', fmtMs, true, TIME),
      row('Sequential echo: p50 latency (ms)', 'sdk', 'session', 'sequential.p50Ms', fmtMs, true, TIME),
      row('Sequential echo: p99 latency (ms)', 'sdk', 'session', 'sequential.p99Ms', fmtMs, true, TIME),
      row(`Pipelined echo (${cfg.depth} in flight): calls/s`, 'sdk', 'session', 'pipelined.callsPerSec', fmtRate, false, TIME),
      row('Contender CPU per pipelined call (µs)', 'sdk', 'session', 'pipelined.cpuMsPerKCall', fmtUs, true, SIZE),
      row('Peak RSS, echo session (MiB)', 'sdk', 'session', 'peakRssKB', fmtMiB, true, SIZE),
    ]), '');
  }

  // The 2026-07-28 path, for a 2025-era host. CPU: schedstat run time when the kernel has it.
  const cpuField = (kind) => (med('modern', 'session', 'mcp-bridge 2025', `${kind}.runUsPerCall`) != null
    ? `${kind}.runUsPerCall` : `${kind}.cpuMsPerKCall`);
  if (want('modern')) {
    const x = (v) => (v == null ? '—' : `${v.toFixed(2)}×`);
    const mrow = (label, field, fmt) => {
      const [b5, b6, h6, r5, r6] = MODERN_PATHS.map((c) => med('modern', 'session', c, field));
      const vs = (a, c, name) => (a && c != null ? x(c / a) + (name ? pairedRange('modern', 'session', field, name, 'mcp-bridge 2025') : '') : '—');
      return `| ${label} | ${fmt(b5)} | ${fmt(b6)} | ${vs(b5, b6, 'mcp-bridge 2026')} | ${fmt(h6)} | ${vs(b5, h6, 'mcp-bridge 2026 host')} |` +
        ` ${fmt(r5)} | ${fmt(r6)} | ${vs(r5, r6, null)} |`;
    };
    const seqCpu = cpuField('sequential');
    const pipeCpu = cpuField('pipelined');
    const how = seqCpu.endsWith('runUsPerCall') ? 'run time from /proc/PID/task/*/schedstat' : 'utime+stime, 10 ms ticks';
    L.push('## 2026-07-28 server vs 2025 server (bench/servers/minimal.mjs --modern)', '',
      'The echo session (cold start, warm-up, sequential and pipelined echo calls) of a 2025-era host, through a bridge to the minimal server in its 2025 mode and in its ' +
      '2026-07-28 mode, back to back in every repetition (the order rotating). On the 2026 path the ' +
      'bridge answers the host\'s `initialize` from `server/discover`, adds `_meta` and the `Mcp-Method`/`Mcp-Name` ' +
      'headers to every request, and reads each result\'s `resultType`; the server checks the headers against the body. ' +
      'The "2026 host" column is a 2026-era host on the same server (`server/discover` first, `_meta` in its own requests), ' +
      `whose requests the bridge passes on with the headers added. CPU is the bridge process's (${how}) over the phase, ` +
      `divided by the calls. mcp-remote runs with \`--protocol auto\` (${cfg.reps} repetitions; for information).`, '',
      '| | mcp-bridge, 2025 server | mcp-bridge, 2026 server | 2026 / 2025 | mcp-bridge, 2026 host and server | / 2025 |' +
      ' mcp-remote, 2025 server | mcp-remote, 2026 server | 2026 / 2025 |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      mrow('Contender CPU per sequential call (µs)', seqCpu, fmtUs),
      mrow('Contender CPU per pipelined call (µs)', pipeCpu, fmtUs),
      mrow('Cold start: spawn → initialize result (ms)', 'coldStartMs', fmtMs),
      mrow('Sequential echo: p50 latency (ms)', 'sequential.p50Ms', fmtMs),
      mrow('Sequential echo: p99 latency (ms)', 'sequential.p99Ms', fmtMs),
      mrow(`Pipelined echo (${cfg.depth} in flight): calls/s`, 'pipelined.callsPerSec', fmtRate),
      mrow('Peak RSS, echo session (MiB)', 'peakRssKB', fmtMiB),
      mrow('HTTP requests per echo session', 'httpRequests', (v) => (v == null ? '—' : String(Math.round(v)))),
      mrow('TCP connections opened per echo session', 'connections', (v) => (v == null ? '—' : String(Math.round(v)))), '');
    if (cgModern) {
      const n = (v) => Math.round(v).toLocaleString('en-US');
      const { legacy: a, modern: c } = cgModern;
      L.push(`Instructions per call (callgrind, ${a.low} → ${a.high} sequential echo calls): 2025 path ` +
        `**${n(a.perCall)}**, 2026 path (2025-era host) **${n(c.perCall)}** (${(c.perCall / a.perCall).toFixed(2)}×). ` +
        'Functions whose inclusive cost per call grows most on the 2026 path:', '');
      const diff = [];
      for (const fn of new Set([...Object.keys(a.inclusiveAll), ...Object.keys(c.inclusiveAll)])) {
        diff.push({ fn, a: a.inclusiveAll[fn] ?? 0, c: c.inclusiveAll[fn] ?? 0 });
      }
      diff.sort((p, q) => (q.c - q.a) - (p.c - p.a));
      L.push('| Ir per call, 2025 | Ir per call, 2026 | difference | function |', '| ---: | ---: | ---: | --- |');
      for (const d of diff.slice(0, 25)) L.push(`| ${n(d.a)} | ${n(d.c)} | ${d.c >= d.a ? '+' : ''}${n(d.c - d.a)} | \`${d.fn}\` |`);
      L.push('');
    } else if (cgModernError) {
      L.push(`Instructions per call (callgrind): not measured: ${cgModernError}`, '');
    }
  }

  // Targets
  const b = (set, sc, f) => med(set, sc, 'mcp-bridge', f);
  const d = (set, sc, f) => med(set, sc, 'direct', f);
  const r = (set, sc, f) => med(set, sc, 'mcp-remote', f);
  const targets = [];
  const target = (name, value, shown, ok) => targets.push(`| ${name} | ${shown} | ${value == null ? 'not measured' : ok ? '**met**' : '**missed**'} |`);
  if (want('cold')) {
    const x = r('minimal', 'cold', 'coldStartMs') / b('minimal', 'cold', 'coldStartMs');
    target('Cold start ≥ 30× faster than mcp-remote', x, `${x.toFixed(1)}×`, x >= 30);
  }
  if (want('session')) {
    const x = r('minimal', 'session', 'peakRssKB') / b('minimal', 'session', 'peakRssKB');
    target('Peak RSS ≤ 1/15 of mcp-remote\'s (echo session)', x, `1/${x.toFixed(1)}`, x >= 15);
    const y = b('minimal', 'session', 'sequential.p50Ms') / d('minimal', 'session', 'sequential.p50Ms');
    target('Sequential p50 latency ≤ 1.15× direct', y,
      `${y.toFixed(2)}×${pairedRange('minimal', 'session', 'sequential.p50Ms', 'mcp-bridge', 'direct')}`, y <= 1.15);
    if (floorBin && want('floor')) {
      const f = med('floor', 'session', 'floor', 'sequential.p50Ms') / med('floor', 'session', 'direct', 'sequential.p50Ms');
      const g = med('floor', 'session', 'mcp-bridge', 'sequential.p50Ms') / med('floor', 'session', 'floor', 'sequential.p50Ms');
      targets.push(`| (for reference: the floor relay's p50 is ${f.toFixed(2)}× direct${pairedRange('floor', 'session', 'sequential.p50Ms', 'floor', 'direct')}; ` +
        `mcp-bridge's is ${g.toFixed(2)}× the floor's${pairedRange('floor', 'session', 'sequential.p50Ms', 'mcp-bridge', 'floor')}) | | |`);
    }
    const z = b('minimal', 'session', 'pipelined.callsPerSec') / d('minimal', 'session', 'pipelined.callsPerSec');
    target('Pipelined throughput ≥ 0.9× direct', z,
      `${z.toFixed(2)}×${pairedRange('minimal', 'session', 'pipelined.callsPerSec', 'mcp-bridge', 'direct')}`, z >= 0.9);
  }
  if (want('blob')) {
    const kb = b('minimal', 'blob', 'peakRssKB');
    const x = kb * 1024 / cfg.blob;
    target(`${cfg.blob / MiB} MiB result: bridge peak RSS ≤ 2× payload`, x, `${fmtMiB(kb)} MiB = ${x.toFixed(2)}× payload`, x <= 2);
  }
  if (want('modern')) {
    for (const kind of ['sequential', 'pipelined']) {
      const f = cpuField(kind);
      const v = med('modern', 'session', 'mcp-bridge 2026', f) / med('modern', 'session', 'mcp-bridge 2025', f);
      target(`2026-07-28 path: bridge CPU per ${kind} call ≤ 1.10× the 2025 path`, Number.isFinite(v) ? v : null,
        `${Number.isFinite(v) ? v.toFixed(2) : '—'}×${pairedRange('modern', 'session', f, 'mcp-bridge 2026', 'mcp-bridge 2025')}`, v <= 1.10);
    }
    const h = (kind) => {
      const f = cpuField(kind);
      const v = med('modern', 'session', 'mcp-bridge 2026 host', f) / med('modern', 'session', 'mcp-bridge 2025', f);
      return `${Number.isFinite(v) ? v.toFixed(2) : '—'}×${pairedRange('modern', 'session', f, 'mcp-bridge 2026 host', 'mcp-bridge 2025')}`;
    };
    targets.push(`| (for reference: with a 2026-era host on the 2026 server, bridge CPU per sequential call is ${h('sequential')} ` +
      `and per pipelined call ${h('pipelined')} the 2025 path's) | | |`);
  }
  if (targets.length) {
    L.push('## Targets', '', '| target | measured | |', '| --- | ---: | --- |', ...targets, '');
  }

  // Extra checks
  const extra = [];
  if (want('tools')) {
    for (const c of CONTENDERS) {
      const c1 = med('minimal', 'cold', c, 'coldStartMs');
      const c1000 = med('tools1000', 'cold', c, 'coldStartMs');
      const l1 = med('minimal', 'cold', c, 'toolsListMs');
      const l1000 = med('tools1000', 'cold', c, 'toolsListMs');
      const m1 = med('minimal', 'cold', c, 'peakRssKB');
      const m1000 = med('tools1000', 'cold', c, 'peakRssKB');
      extra.push(`| ${c}: --tools 1 → 1000 | cold start ${fmtMs(c1)} → ${fmtMs(c1000)} ms · tools/list ${fmtMs(l1)} → ${fmtMs(l1000)} ms · peak RSS ${fmtMiB(m1)} → ${fmtMiB(m1000)} MiB |`);
    }
  }
  if (want('blob')) {
    for (const c of CONTENDERS) {
      const before = med('minimal', 'blob', c, 'rssBeforeKB');
      const after = med('minimal', 'blob', c, 'rssAfterKB');
      const p50 = med('minimal', 'blob', c, 'after.p50Ms');
      const p50s = med('minimal', 'session', c, 'sequential.p50Ms');
      extra.push(`| ${c}: after a ${cfg.blob / MiB} MiB result | RSS ${fmtMiB(before)} → ${fmtMiB(after)} MiB (300 ms later) · echo p50 ${fmtMs(p50)} ms (${fmtMs(p50s)} ms in the echo session) |`);
    }
  }
  if (extra.length) {
    L.push('## Extra checks (should not grow)', '', '| | |', '| --- | --- |', ...extra, '');
  }

  if (cg) {
    L.push('## CPU instructions per relayed call (callgrind)', '');
    L.push(`mcp-bridge under \`valgrind --tool=callgrind\`, minimal server, sequential echo calls: ` +
      `${cg.low} calls → ${cg.totalLow.toLocaleString('en-US')} Ir, ${cg.high} calls → ${cg.totalHigh.toLocaleString('en-US')} Ir; ` +
      `**${Math.round(cg.perCall).toLocaleString('en-US')} instructions per call** (one request in, one response out), ` +
      `i.e. ${Math.round(cg.perCall / 2).toLocaleString('en-US')} per relayed message.`, '');
    const n = (x) => Math.round(x).toLocaleString('en-US');
    L.push('Per library (self cost per call): ' + cg.libs.map((x) => `${x.lib} ${n(x.perCall)}`).join(' · '), '');
    L.push('Inclusive cost per call of the bridge\'s functions and named library calls (the difference of the two runs):', '');
    L.push('| Ir per call | function |', '| ---: | --- |');
    for (const f of cg.inclusive) L.push(`| ${n(f.perCall)} | \`${f.fn}\` |`);
    L.push('', 'Self cost per call, top functions (`0x…`: libraries without debug symbols):', '');
    L.push('| Ir per call | function |', '| ---: | --- |');
    for (const f of cg.top) L.push(`| ${n(f.perCall)} | \`${f.fn}\` |`);
    L.push('');
  } else if (cgError) {
    L.push('## CPU instructions per relayed call (callgrind)', '', `Not measured: ${cgError}`, '');
  }

  if (errors.length) {
    L.push('## Errors', '');
    for (const e of errors) L.push(`- ${e.set}/${e.scenario} ${e.contender} #${e.rep + 1}: ${e.error.split('\n')[0]}`);
    L.push('');
  }
  return L.join('\n');
}

// ---------------------------------------------------------------- main

const cfg = opts.quick
  ? { coldReps: 2, sessionReps: 2, reps: 1, seq: 500, warmup: 200, pipe: 3000, depth: 64, blob: 16 * MiB, sdkSeq: 300, sdkPipe: 1500, cgLow: 50, cgHigh: 250 }
  : { coldReps: 5, sessionReps: 5, reps: 3, seq: 2000, warmup: 500, pipe: 10000, depth: 64, blob: 16 * MiB, sdkSeq: 1000, sdkPipe: 5000, cgLow: 200, cgHigh: 1200 };

const t0 = Date.now();
const m = machine();
log(`bench: ${m.bridge} vs mcp-remote ${m.mcpRemote} on ${m.nproc} × ${m.cpu}${opts.quick ? ' (quick)' : ''}`);
const minimal = await startServer('minimal', 'minimal.mjs', ['--tools', '1']);
const tools1000 = want('tools') ? await startServer('tools1000', 'minimal.mjs', ['--tools', '1000']) : null;
const sdk = want('sdk') ? await startServer('sdk', 'sdk.mjs', ['--sse', '--tools', '1']) : null;
const modern = want('modern') ? await startServer('minimal-modern', 'minimal.mjs', ['--tools', '1', '--modern']) : null;

// Warm the servers' JIT so that the first contender is not penalized.
await runClient(['--url', minimal.url, '--scenario', 'session', '--seq', '500', '--pipe', '3000', '--warmup', '0'], []);
if (sdk) await runClient(['--url', sdk.url, '--scenario', 'session', '--seq', '300', '--pipe', '1500', '--warmup', '0'], []);
// The direct client speaks only 2025 (initialize): warm the 2026 server through the bridge.
if (modern) {
  await runClient(['--url', modern.url, '--scenario', 'session', '--seq', '500', '--pipe', '3000', '--warmup', '0'],
    command('mcp-bridge', modern.url));
}

const sessionArgs = ['--seq', String(cfg.seq), '--pipe', String(cfg.pipe), '--depth', String(cfg.depth), '--warmup', String(cfg.warmup)];
if (want('cold')) { log('cold start (minimal server)'); await measure('minimal', minimal, 'cold', cfg.coldReps, []); }
if (want('session')) { log('echo session (minimal server)'); await measure('minimal', minimal, 'session', cfg.sessionReps, sessionArgs); }
if (floorBin) {
  log('floor relay (minimal server)');
  await measure('floor', minimal, 'session', cfg.sessionReps,
    ['--seq', String(cfg.seq), '--pipe', '64', '--depth', '1', '--warmup', String(cfg.warmup)], ['direct', 'floor', 'mcp-bridge']);
}
if (want('blob')) {
  log(`${cfg.blob / MiB} MiB result (minimal server)`);
  await measure('minimal', minimal, 'blob', cfg.reps, ['--blob', String(cfg.blob), '--seq', '500']);
}
if (tools1000) { log('cold start with 1000 tools'); await measure('tools1000', tools1000, 'cold', cfg.reps, []); }
if (sdk) {
  log('echo session (SDK server)');
  await measure('sdk', sdk, 'session', cfg.reps,
    ['--seq', String(cfg.sdkSeq), '--pipe', String(cfg.sdkPipe), '--depth', String(cfg.depth), '--warmup', String(cfg.warmup)]);
}
if (modern) {
  log('2025 vs 2026-07-28 server (echo session through the bridges)');
  await measureModern(minimal, modern, cfg.sessionReps, cfg.reps, sessionArgs);
}
let cg = null;
let cgError = null;
if (opts.callgrind && want('callgrind')) {
  if (!sh('valgrind', ['--version'])) {
    cgError = 'valgrind is not installed (apt-get install valgrind)';
  } else {
    log(`callgrind: ${cfg.cgLow} and ${cfg.cgHigh} echo calls through mcp-bridge`);
    try { cg = await callgrind(minimal, cfg.cgLow, cfg.cgHigh); } catch (e) { cgError = e.message; log(`  ${e.message}`); }
  }
}
// Instructions per call on each path: what the 2026-07-28 path adds, function by function.
let cgModern = null;
let cgModernError = null;
if (modern && opts.callgrind) {
  if (!sh('valgrind', ['--version'])) {
    cgModernError = 'valgrind is not installed (apt-get install valgrind)';
  } else {
    log(`callgrind: ${cfg.cgLow} and ${cfg.cgHigh} echo calls through mcp-bridge, 2025 and 2026-07-28 server`);
    try {
      const legacy = cg ?? await callgrind(minimal, cfg.cgLow, cfg.cgHigh);
      cgModern = { legacy, modern: await callgrind(modern, cfg.cgLow, cfg.cgHigh) };
    } catch (e) { cgModernError = e.message; log(`  ${e.message}`); }
  }
}
stopServers();
m.loadEnd = os.loadavg().map((x) => x.toFixed(2)).join(' ');

const md = report(m, cfg, cg, cgError, cgModern, cgModernError);
mkdirSync(path.dirname(opts.out), { recursive: true });
writeFileSync(opts.out, md + '\n');
writeFileSync(opts.out.replace(/\.md$/, '') + '.json', JSON.stringify({ machine: m, config: cfg, results, errors,
  callgrind: cg, callgrindModern: cgModern }, null, 1) + '\n');
process.stdout.write(md + '\n');
log(`bench: done in ${((Date.now() - t0) / 1000).toFixed(0)} s; wrote ${path.relative(process.cwd(), opts.out)}`);
process.exit(0);
