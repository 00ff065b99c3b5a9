// Benchmark client: drives one contender through one scenario and prints one JSON
// line with the measurements on stdout.
//
//   node bench/client.mjs --url URL --scenario NAME [options] -- COMMAND [ARGS...]
//   node bench/client.mjs --url URL --scenario NAME [options]            (direct HTTP)
//
// With a COMMAND, the client spawns it as an MCP host would (stdio pipes) and speaks
// newline-delimited JSON-RPC to it, writing the raw lines itself so that the client's
// own cost is tiny and the same for every bridge. Without one, it does the same work
// over HTTP straight to the server (undici's Pool.dispatch, keep-alive connections):
// the "direct" contender, the physical limit of what a bridge can reach.
//
// Scenarios:
//   cold     initialize (timed: spawn -> response), notifications/initialized,
//            tools/list (timed), shutdown
//   session  cold start, then --warmup echo calls, --seq sequential echo calls
//            (latency per call), --pipe echo calls with --depth in flight (throughput)
//   blob     initialize, one tools/call returning --blob bytes (timed), then the
//            resident memory 300 ms later and --seq echo calls after it
//   calls    initialize and --seq sequential echo calls, nothing timed (for callgrind)
//
// The host is a 2025-era one (initialize, protocol 2025-06-18), or with --host-era 2026
// (stdio contenders only) a 2026-07-28 one: server/discover in place of initialize
// (timed the same way), no notifications/initialized, and _meta on every request.
//
// Memory: every 5 ms the client samples VmRSS of the spawned process and all its
// descendants (/proc/PID/task/*/children); at the end it also reads VmHWM. For a
// one-process tree the reported peak is that process's VmHWM (exact); otherwise the
// largest sampled sum (or the largest single VmHWM, if larger).
// CPU: utime+stime of the tree (from /proc/PID/stat, 10 ms ticks), per phase; and the
// tree's run time in nanoseconds (the first field of /proc/PID/task/TID/schedstat,
// summed over its threads), precise enough to compare two paths within a few percent.
//
// Options: --seq N (1000) --pipe N (10000) --depth N (64) --warmup N (500: that many sequential, twice that pipelined)
//          --blob BYTES (16 MiB) --token TOKEN (bench-token) --timeout-ms N (60000)
//          --close-timeout-ms N (5000) --sample-ms N (5) --host-era 2025|2026 (2025)
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

const now = () => performance.now();
const PROTOCOL = '2025-06-18';
const MODERN = '2026-07-28';
const CLIENT_INFO = { name: 'mcp-bridge-bench', version: '1.0.0' };
// What a 2026-07-28 host puts in every request's params (set by --host-era 2026).
let modernMeta = '';
const CLK_TCK = 100; // Linux USER_HZ

// ---------------------------------------------------------------- process memory

function readStatus(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'latin1');
    const rss = /VmRSS:\s+(\d+)/.exec(s);
    const hwm = /VmHWM:\s+(\d+)/.exec(s);
    return { rss: rss ? Number(rss[1]) : 0, hwm: hwm ? Number(hwm[1]) : 0 };
  } catch {
    return null;
  }
}

function readCpuTicks(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  } catch {
    return 0;
  }
}

/** Nanoseconds the threads of pid have run (0 once it is gone). */
function readRunNs(pid) {
  let ns = 0;
  let tids;
  try { tids = readdirSync(`/proc/${pid}/task`); } catch { return 0; }
  for (const t of tids) {
    try { ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'latin1').split(' ')[0]) || 0; } catch { /* gone */ }
  }
  return ns;
}

function descendants(root) {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    let tids;
    try { tids = readdirSync(`/proc/${out[i]}/task`); } catch { continue; }
    for (const t of tids) {
      let c = '';
      try { c = readFileSync(`/proc/${out[i]}/task/${t}/children`, 'latin1').trim(); } catch { /* gone */ }
      if (c) for (const x of c.split(' ')) out.push(Number(x));
    }
  }
  return out;
}

/** Samples the RSS of a process tree; the tree's membership is refreshed every 50 ms. */
class TreeSampler {
  constructor(root, everyMs) {
    this.root = root;
    this.pids = [root];
    this.seen = new Set([root]);
    this.hwm = new Map(); // pid -> last VmHWM seen (kB)
    this.peakSum = 0;
    this.maxProcs = 1;
    this.samples = 0;
    this.lastScan = 0;
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    this.sample();
  }

  sample() {
    const t = now();
    if (t - this.lastScan >= 50) {
      this.lastScan = t;
      this.pids = descendants(this.root);
      for (const p of this.pids) this.seen.add(p);
      this.maxProcs = Math.max(this.maxProcs, this.pids.length);
    }
    let sum = 0;
    for (const p of this.pids) {
      const st = readStatus(p);
      if (!st) continue;
      sum += st.rss;
      if (st.hwm) this.hwm.set(p, st.hwm);
    }
    this.samples++;
    if (sum > this.peakSum) this.peakSum = sum;
    return sum;
  }

  /** Current RSS of the tree (kB). */
  current() {
    this.pids = descendants(this.root);
    let sum = 0;
    for (const p of this.pids) sum += readStatus(p)?.rss ?? 0;
    return sum;
  }

  cpuMs() {
    let ticks = 0;
    for (const p of descendants(this.root)) ticks += readCpuTicks(p);
    return (ticks * 1000) / CLK_TCK;
  }

  /** Run time of the tree in µs (from schedstat; finer than cpuMs). */
  runUs() {
    let ns = 0;
    for (const p of descendants(this.root)) ns += readRunNs(p);
    return ns / 1000;
  }

  /** Final figures; call while the tree is still alive. */
  finish() {
    this.pids = descendants(this.root);
    this.sample();
    clearInterval(this.timer);
    const hwms = [...this.hwm.values()];
    const oneProcess = this.seen.size === 1;
    const peak = oneProcess ? (this.hwm.get(this.root) ?? this.peakSum)
      : Math.max(this.peakSum, ...hwms, 0);
    return {
      peakRssKB: peak,
      peakRssExact: oneProcess,
      sampledPeakKB: this.peakSum,
      processes: this.seen.size,
      samples: this.samples,
    };
  }
}

// ---------------------------------------------------------------- connections

/** A contender spawned as a stdio MCP server. */
class StdioConn {
  constructor(argv, timeoutMs, sampleMs) {
    this.pending = new Map();
    this.out = [];
    this.dispatching = false;
    this.chunks = [];
    this.stderrTail = '';
    this.timeoutMs = timeoutMs;
    this.exited = null;
    this.child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => { this.exited = { code, signal }; resolve(this.exited); });
      this.child.on('error', (e) => { this.exited = { code: null, signal: null, error: e.message }; resolve(this.exited); });
    });
    this.child.stdin.on('error', () => {}); // EPIPE when it died; reported via exit
    this.child.stderr.on('data', (d) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-4000);
    });
    this.child.stdout.on('data', (d) => this.onData(d));
    this.child.on('exit', () => {
      for (const [, p] of this.pending) p.cb(null, new Error(`contender exited: ${JSON.stringify(this.exited)}; stderr: ${this.stderrTail}`));
      this.pending.clear();
    });
    this.sampler = this.child.pid ? new TreeSampler(this.child.pid, sampleMs) : null;
  }

  onData(d) {
    this.dispatching = true;
    let start = 0;
    let nl = d.indexOf(10);
    while (nl !== -1) {
      let line;
      if (this.chunks.length) {
        this.chunks.push(d.subarray(start, nl));
        line = Buffer.concat(this.chunks).toString('utf8');
        this.chunks = [];
      } else {
        line = d.toString('utf8', start, nl);
      }
      if (line.length > 1) this.onLine(line);
      start = nl + 1;
      nl = d.indexOf(10, start);
    }
    if (start < d.length) this.chunks.push(start ? d.subarray(start) : d);
    this.dispatching = false;
    this.flush();
  }

  onLine(line) {
    let msg;
    try { msg = JSON.parse(line); } catch { this.badLines = (this.badLines ?? 0) + 1; return; }
    if (msg.method !== undefined) {
      // A request or notification from the server side; answer pings, ignore the rest.
      if (msg.id !== undefined) this.write(`{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)},"result":{}}\n`);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    p.cb(msg, null);
  }

  write(s) {
    this.out.push(s);
    if (!this.dispatching) this.flush();
  }

  flush() {
    if (!this.out.length) return;
    const s = this.out.length === 1 ? this.out[0] : this.out.join('');
    this.out = [];
    this.child.stdin.write(s);
  }

  /** Sends a request line (no trailing newline) and calls cb(msg, err) with the response. */
  rpc(id, line, cb) {
    this.pending.set(id, { cb });
    this.write(line + '\n');
  }

  notify(line) {
    this.write(line + '\n');
    return Promise.resolve();
  }

  async close(closeTimeoutMs) {
    const t0 = now();
    this.child.stdin.end();
    let forced = null;
    const wait = (ms) => Promise.race([this.exitPromise, new Promise((r) => setTimeout(r, ms).unref())]);
    await wait(closeTimeoutMs);
    if (!this.exited) { forced = 'SIGTERM'; this.child.kill('SIGTERM'); await wait(2000); }
    if (!this.exited) { forced = 'SIGKILL'; this.child.kill('SIGKILL'); await this.exitPromise; }
    return { ...this.exited, closeMs: now() - t0, forced };
  }
}

/** The direct contender: the same JSON-RPC over HTTP from this process, with undici's
 * lowest-level API (Pool.dispatch; one connection per request in flight, kept alive). */
class DirectConn {
  constructor(url, token) {
    const u = new URL(url);
    this.path = u.pathname + u.search;
    this.pool = new Pool(u.origin, { pipelining: 1, keepAliveTimeout: 60_000 });
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${token}`,
    };
    this.sampler = null;
  }

  /** cb(status, headers, body Buffer, err) */
  send(method, body, cb) {
    const chunks = [];
    let status = 0;
    let headers = null;
    this.pool.dispatch({ path: this.path, method, headers: this.headers, body }, {
      onRequestStart() {},
      onResponseStart(_c, statusCode, h) { status = statusCode; headers = h; },
      onResponseData(_c, chunk) { chunks.push(chunk); },
      onResponseEnd() { cb(status, headers, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), null); },
      onResponseError(_c, err) { cb(0, null, null, err); },
    });
  }

  rpc(id, line, cb) {
    this.send('POST', line, (status, headers, body, err) => {
      if (err) return cb(null, err);
      if (status !== 200) return cb(null, new Error(`HTTP ${status}: ${body.toString('utf8', 0, 300)}`));
      const sid = headers['mcp-session-id'];
      if (sid && !this.headers['mcp-session-id']) {
        this.headers = { ...this.headers, 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL };
      }
      const ct = headers['content-type'] || '';
      try {
        if (ct.startsWith('text/event-stream')) {
          for (const m of parseSse(body.toString('utf8'))) if (m.id === id && m.method === undefined) return cb(m, null);
          return cb(null, new Error('no response in event stream'));
        }
        return cb(JSON.parse(body.toString('utf8')), null);
      } catch (e) {
        return cb(null, e);
      }
    });
  }

  notify(line) {
    return new Promise((resolve, reject) => this.send('POST', line, (status, _h, _b, err) => {
      if (err) return reject(err);
      if (status !== 202 && status !== 200) return reject(new Error(`HTTP ${status} to a notification`));
      resolve();
    }));
  }

  async close() {
    const t0 = now();
    if (this.headers['mcp-session-id']) {
      await new Promise((resolve) => this.send('DELETE', null, () => resolve()));
    }
    await this.pool.close();
    return { code: 0, signal: null, closeMs: now() - t0, forced: null };
  }
}

/** Runs the client's own code paths once (spawn, HTTP), so that cold start measures
 * the contender and not this process's first use of them. */
async function warmClient(o) {
  if (o.command.length) {
    await new Promise((resolve) => {
      const c = spawn('/bin/true', [], { stdio: ['pipe', 'pipe', 'pipe'] });
      c.on('exit', resolve);
      c.on('error', resolve);
      c.stdin.on('error', () => {});
      c.stdin.end('{}\n');
    });
  } else {
    const c = new DirectConn(o.url, 'not-the-token'); // 401: warms undici without a session
    await new Promise((resolve) => c.send('POST', '{}', () => resolve()));
    await c.pool.close();
  }
}

function parseSse(text) {
  const msgs = [];
  let data = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') {
      if (data.length) { msgs.push(JSON.parse(data.join('\n'))); data = []; }
    } else if (line.startsWith('data:')) {
      data.push(line.slice(line[5] === ' ' ? 6 : 5));
    }
  }
  if (data.length) msgs.push(JSON.parse(data.join('\n')));
  return msgs;
}

// ---------------------------------------------------------------- workloads

let nextId = 1;
const ECHO_TEXT = 'hello from the mcp-bridge benchmark';
const echoLine = (id) =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{${modernMeta}"name":"echo","arguments":{"text":"${ECHO_TEXT}"}}}`;

function call(conn, line, id) {
  return new Promise((resolve, reject) => {
    conn.rpc(id, line, (msg, err) => (err ? reject(err) : resolve(msg)));
  });
}

function checkEcho(msg) {
  const t = msg?.result?.content?.[0]?.text;
  if (t !== ECHO_TEXT) throw new Error(`bad echo response: ${JSON.stringify(msg).slice(0, 300)}`);
}

/** A 2026-07-28 host's start: server/discover; returns a result shaped like initialize's. */
async function discover(conn) {
  const id = 0;
  const msg = await call(conn, `{"jsonrpc":"2.0","id":${id},"method":"server/discover","params":{${modernMeta.slice(0, -1)}}}`, id);
  if (!msg.result?.supportedVersions?.includes(MODERN)) throw new Error(`server/discover failed: ${JSON.stringify(msg).slice(0, 500)}`);
  return { result: { protocolVersion: MODERN } };
}

async function initialize(conn) {
  const id = 0;
  const msg = await call(conn, JSON.stringify({
    jsonrpc: '2.0', id, method: 'initialize',
    params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: CLIENT_INFO },
  }), id);
  if (!msg.result) throw new Error(`initialize failed: ${JSON.stringify(msg).slice(0, 500)}`);
  return msg;
}

/** n sequential echo calls; returns per-call latencies (ms). */
function sequential(conn, n) {
  return new Promise((resolve, reject) => {
    const lat = new Float64Array(n);
    let i = 0;
    let t = 0;
    const next = () => {
      if (i === n) return resolve(lat);
      const id = nextId++;
      t = now();
      conn.rpc(id, echoLine(id), (msg, err) => {
        if (err) return reject(err);
        lat[i++] = now() - t;
        try { checkEcho(msg); } catch (e) { return reject(e); }
        next();
      });
    };
    next();
  });
}

/** total echo calls with `depth` in flight; returns elapsed ms. */
function pipelined(conn, total, depth) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let done = 0;
    let failed = false;
    const t0 = now();
    const onResp = (msg, err) => {
      if (failed) return;
      if (err) { failed = true; return reject(err); }
      try { checkEcho(msg); } catch (e) { failed = true; return reject(e); }
      done++;
      if (done === total) return resolve(now() - t0);
      if (sent < total) send();
    };
    const send = () => {
      const id = nextId++;
      sent++;
      conn.rpc(id, echoLine(id), onResp);
    };
    for (let k = 0; k < depth && sent < total; k++) send();
  });
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

function latencyStats(lat) {
  const s = Float64Array.from(lat).sort();
  const total = lat.reduce((a, b) => a + b, 0);
  return {
    n: lat.length,
    p50Ms: percentile(s, 50),
    p90Ms: percentile(s, 90),
    p99Ms: percentile(s, 99),
    maxMs: s[s.length - 1],
    meanMs: total / lat.length,
    callsPerSec: (lat.length * 1000) / total,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function runScenario(o) {
  const r = { scenario: o.scenario, contender: o.command.length ? 'stdio' : 'direct' };
  await warmClient(o);
  const t0 = now();
  const conn = o.command.length ? new StdioConn(o.command, o.timeoutMs, o.sampleMs) : new DirectConn(o.url, o.token);
  const cpu = () => (conn.sampler ? conn.sampler.cpuMs() : null);
  const runUs = () => (conn.sampler ? conn.sampler.runUs() : null);
  const timer = setTimeout(() => {
    process.stderr.write(`client: scenario timed out after ${o.timeoutMs} ms\n`);
    if (conn.child) conn.child.kill('SIGKILL');
    process.exit(3);
  }, o.timeoutMs);
  timer.unref();
  try {
    const init = o.hostEra === '2026' ? await discover(conn) : await initialize(conn);
    r.coldStartMs = now() - t0;
    r.protocolVersion = init.result.protocolVersion;
    if (o.hostEra !== '2026') await conn.notify('{"jsonrpc":"2.0","method":"notifications/initialized"}');

    if (o.scenario === 'cold') {
      const id = nextId++;
      const t1 = now();
      const msg = await call(conn, `{"jsonrpc":"2.0","id":${id},"method":"tools/list"}`, id);
      r.toolsListMs = now() - t1;
      r.tools = msg.result?.tools?.length ?? null;
      if (!r.tools) throw new Error(`tools/list failed: ${JSON.stringify(msg).slice(0, 300)}`);
    } else if (o.scenario === 'session') {
      if (o.warmup) await sequential(conn, o.warmup);
      if (o.warmup) await pipelined(conn, o.warmup * 2, o.depth);
      let c0 = cpu();
      let u0 = runUs();
      r.sequential = latencyStats(await sequential(conn, o.seq));
      let c1 = cpu();
      let u1 = runUs();
      if (c0 !== null) r.sequential.cpuMsPerKCall = ((c1 - c0) * 1000) / o.seq;
      if (u0) r.sequential.runUsPerCall = (u1 - u0) / o.seq;
      c0 = cpu();
      u0 = runUs();
      const ms = await pipelined(conn, o.pipe, o.depth);
      c1 = cpu();
      u1 = runUs();
      r.pipelined = { n: o.pipe, depth: o.depth, ms, callsPerSec: (o.pipe * 1000) / ms };
      if (c0 !== null) r.pipelined.cpuMsPerKCall = ((c1 - c0) * 1000) / o.pipe;
      if (u0) r.pipelined.runUsPerCall = (u1 - u0) / o.pipe;
    } else if (o.scenario === 'blob') {
      await sequential(conn, 20);
      r.rssBeforeKB = conn.sampler ? conn.sampler.current() : null;
      const id = nextId++;
      const line = `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"blob","arguments":{"bytes":${o.blob}}}}`;
      const t1 = now();
      const msg = await call(conn, line, id);
      r.blobMs = now() - t1;
      r.blobBytes = o.blob;
      const len = msg.result?.content?.[0]?.text?.length;
      if (len !== o.blob) throw new Error(`blob: expected ${o.blob} bytes, got ${len}: ${JSON.stringify(msg).slice(0, 300)}`);
      await sleep(300);
      r.rssAfterKB = conn.sampler ? conn.sampler.current() : null;
      r.after = latencyStats(await sequential(conn, o.seq));
    } else if (o.scenario === 'calls') {
      await sequential(conn, o.seq);
      r.calls = o.seq;
    } else {
      throw new Error(`unknown scenario ${o.scenario}`);
    }
    if (conn.sampler) Object.assign(r, conn.sampler.finish());
    r.exit = await conn.close(o.closeTimeoutMs);
    if (conn.badLines) r.badStdoutLines = conn.badLines;
  } catch (e) {
    r.error = String(e?.stack ?? e);
    if (conn.child) {
      r.stderrTail = conn.stderrTail;
      conn.child.kill('SIGKILL');
    }
  }
  clearTimeout(timer);
  return r;
}

function parseArgs(argv) {
  const o = {
    url: null, scenario: 'session', seq: 1000, pipe: 10000, depth: 64, warmup: 500,
    blob: 16 * 1024 * 1024, token: 'bench-token', timeoutMs: 60000, closeTimeoutMs: 5000, sampleMs: 5, command: [],
    hostEra: '2025',
  };
  const num = { '--seq': 'seq', '--pipe': 'pipe', '--depth': 'depth', '--warmup': 'warmup', '--blob': 'blob',
    '--timeout-ms': 'timeoutMs', '--close-timeout-ms': 'closeTimeoutMs', '--sample-ms': 'sampleMs' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { o.command = argv.slice(i + 1); break; }
    if (a === '--url') o.url = argv[++i];
    else if (a === '--scenario') o.scenario = argv[++i];
    else if (a === '--token') o.token = argv[++i];
    else if (a === '--host-era') o.hostEra = argv[++i];
    else if (num[a]) o[num[a]] = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.url && !o.command.length) throw new Error('need --url (direct) or -- COMMAND');
  if (o.hostEra !== '2025' && o.hostEra !== '2026') throw new Error(`--host-era is 2025 or 2026, not ${o.hostEra}`);
  if (o.hostEra === '2026' && !o.command.length) throw new Error('--host-era 2026 needs a COMMAND (the direct client speaks 2025 only)');
  return o;
}

/** The _meta members of a 2026-07-28 request's params, followed by a comma. */
function metaPrefix() {
  return `"_meta":${JSON.stringify({
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
  })},`;
}

const o = parseArgs(process.argv.slice(2));
if (o.hostEra === '2026') modernMeta = metaPrefix();
const r = await runScenario(o);
process.stdout.write(JSON.stringify(r) + '\n');
process.exit(r.error ? 1 : 0);
