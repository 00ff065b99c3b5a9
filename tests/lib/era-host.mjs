// An MCP host for the host x server era matrix: an SDK v1 or v2 client that
// spawns the bridge over stdio (or, with --direct, talks Streamable HTTP to the
// server itself), runs a fixed list of steps and prints one JSON report line.
//
//   node tests/lib/era-host.mjs --sdk v1|v2 [--direct] [--stderr FILE] <server-url>
//
// The bridge is $MCP_BRIDGE_BIN (or build/mcp-bridge); its stderr goes to FILE
// (appended) or is inherited. The client declares form elicitation and answers
// every elicitation with accept {name: "Ada"}. The SDK v2 client negotiates the
// era (server/discover probe, fallback to initialize) and follows tool list
// changes with ClientOptions.listChanged (a subscriptions/listen stream on the
// 2026-07-28 era, notifications/tools/list_changed on a 2025-era connection).
//
// Report: {"connect":"ok"|msg, "tools/list":..., "add":..., "ask":...,
// "resources/read":..., "add-tool":..., "list_changed":..., "tools/list after":...,
// "stdout":..., "client errors":..., "era":"legacy"|"modern", "protocolVersion":...}
// The exit status is 0 only when every step is "ok".
import fs from 'node:fs';
import { bridgeBin, bridgeEnv, isJsonRpcMessage, tapStdoutLines } from './harness.mjs';

const STEP_TIMEOUT_MS = 8000;
const LIST_CHANGED_WAIT_MS = 10000;
const WATCHDOG_MS = Number(process.env.ERA_HOST_WATCHDOG_MS ?? 22000);

function parseCli(argv) {
  const out = { sdk: 'v1', direct: false, stderr: null, url: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sdk') out.sdk = argv[++i];
    else if (a === '--direct') out.direct = true;
    else if (a === '--stderr') out.stderr = argv[++i];
    else if (!a.startsWith('--')) out.url = a;
    else throw new Error(`unknown option ${a}`);
  }
  if (out.sdk !== 'v1' && out.sdk !== 'v2') throw new Error('--sdk must be v1 or v2');
  if (!out.url) throw new Error('usage: era-host.mjs --sdk v1|v2 [--direct] [--stderr FILE] <server-url>');
  return out;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

const textOf = (result) => result?.content?.find((c) => c.type === 'text')?.text;
const toolNames = (list) => (list?.tools ?? []).map((t) => t.name).sort();

/** The SDK-specific parts: a connected client behind a uniform face. */
async function makeClient(opts, hooks) {
  const clientInfo = { name: `era-host-${opts.sdk}`, version: '1.0.0' };
  const capabilities = { elicitation: { form: {} } };
  const answerElicit = async (request) => {
    hooks.onElicit(request);
    return { action: 'accept', content: { name: 'Ada' } };
  };
  let stderr = 'inherit';
  if (opts.stderr) stderr = fs.openSync(opts.stderr, 'a');
  const stdioParams = { command: bridgeBin(), args: [opts.url], env: bridgeEnv(), stderr };

  if (opts.sdk === 'v1') {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { ElicitRequestSchema, ToolListChangedNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');
    const client = new Client(clientInfo, { capabilities });
    client.setRequestHandler(ElicitRequestSchema, answerElicit);
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => hooks.onToolsChanged());
    let transport;
    if (opts.direct) {
      const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
      transport = new StreamableHTTPClientTransport(new URL(opts.url));
    } else {
      const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
      transport = new StdioClientTransport(stdioParams);
    }
    return {
      client,
      transport,
      era: () => 'legacy',
      protocolVersion: () => transport.protocolVersion,
      listening: () => true,
      listTools: () => client.listTools(undefined, { timeout: STEP_TIMEOUT_MS }),
      callTool: (name, args) => client.callTool({ name, arguments: args }, undefined, { timeout: STEP_TIMEOUT_MS }),
      readResource: (uri) => client.readResource({ uri }, { timeout: STEP_TIMEOUT_MS }),
    };
  }

  const { Client } = await import('@modelcontextprotocol/client');
  const client = new Client(clientInfo, {
    capabilities,
    versionNegotiation: { mode: 'auto' },
    listChanged: {
      tools: {
        autoRefresh: false,
        debounceMs: 0,
        onChanged: (error) => { if (!error) hooks.onToolsChanged(); },
      },
    },
  });
  client.setRequestHandler('elicitation/create', answerElicit);
  let transport;
  if (opts.direct) {
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
    transport = new StreamableHTTPClientTransport(new URL(opts.url));
  } else {
    const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
    transport = new StdioClientTransport(stdioParams);
  }
  return {
    client,
    transport,
    era: () => client.getProtocolEra(),
    protocolVersion: () => client.getNegotiatedProtocolVersion(),
    // On the 2026-07-28 era list changes only arrive on a subscriptions/listen stream.
    listening: () => client.getProtocolEra() !== 'modern' || client.autoOpenedSubscription !== undefined,
    listTools: () => client.listTools(undefined, { timeout: STEP_TIMEOUT_MS }),
    callTool: (name, args) => client.callTool({ name, arguments: args }, { timeout: STEP_TIMEOUT_MS }),
    readResource: (uri) => client.readResource({ uri }, { timeout: STEP_TIMEOUT_MS }),
  };
}

async function main() {
  const opts = parseCli(process.argv.slice(2));
  const report = {};
  let finished = false;
  const finish = (code) => {
    if (finished) return;
    finished = true;
    process.stdout.write(JSON.stringify(report) + '\n', () => process.exit(code));
  };
  const watchdog = setTimeout(() => {
    report.watchdog = `host gave up after ${WATCHDOG_MS} ms`;
    finish(1);
  }, WATCHDOG_MS);

  const elicitations = [];
  let toolsChanged = 0;
  let toolsChangedWake = () => {};
  const clientErrors = [];
  let tap = { lines: [], partial: '' };

  const step = async (name, fn) => {
    try {
      await fn();
      report[name] = 'ok';
      return true;
    } catch (e) {
      report[name] = String(e?.message ?? e);
      return false;
    }
  };

  const h = await makeClient(opts, {
    onElicit: (request) => elicitations.push(request),
    onToolsChanged: () => { toolsChanged++; toolsChangedWake(); },
  });
  h.client.onerror = (e) => { clientErrors.push(String(e?.message ?? e)); };
  if (!opts.direct) {
    tap = tapStdoutLines(h.transport); // the bridge's stdout exactly as written
  }

  const ok = await step('connect', async () => {
    await withTimeout(h.client.connect(h.transport, { timeout: STEP_TIMEOUT_MS }), STEP_TIMEOUT_MS * 2, 'connect');
    report.era = h.era();
    report.protocolVersion = h.protocolVersion();
    if (!h.listening()) throw new Error('connected on the 2026-07-28 era but no subscriptions/listen stream was opened');
  });
  if (ok) {
    await step('tools/list', async () => {
      const names = toolNames(await h.listTools());
      for (const want of ['add', 'ask', 'add-tool']) {
        if (!names.includes(want)) throw new Error(`tool ${want} missing from ${JSON.stringify(names)}`);
      }
      if (names.includes('extra')) throw new Error(`tool extra listed before add-tool: ${JSON.stringify(names)}`);
    });
    await step('add', async () => {
      const r = await h.callTool('add', { a: 2, b: 3 });
      if (r.isError || textOf(r) !== '5') throw new Error(`add 2+3 answered ${JSON.stringify(r).slice(0, 300)}`);
    });
    await step('ask', async () => {
      const r = await h.callTool('ask', {});
      if (r.isError || textOf(r) !== 'hello Ada') throw new Error(`ask answered ${JSON.stringify(r).slice(0, 300)}`);
      if (elicitations.length !== 1) throw new Error(`${elicitations.length} elicitation requests reached the host, not 1`);
      const p = elicitations[0].params ?? {};
      if ((p.mode ?? 'form') !== 'form' || !p.requestedSchema?.properties?.name) {
        throw new Error(`the elicitation is not a form asking for name: ${JSON.stringify(p).slice(0, 300)}`);
      }
    });
    await step('resources/read', async () => {
      const r = await h.readResource('era://hello');
      const c = r?.contents ?? [];
      if (c.length !== 1 || c[0].uri !== 'era://hello' || c[0].text !== 'hello resource') {
        throw new Error(`resources/read era://hello answered ${JSON.stringify(r).slice(0, 300)}`);
      }
    });
    const before = toolsChanged;
    const changed = new Promise((resolve) => {
      toolsChangedWake = () => { if (toolsChanged > before) resolve(); };
    });
    const added = await step('add-tool', async () => {
      const r = await h.callTool('add-tool', {});
      if (r.isError || textOf(r) !== 'added extra') throw new Error(`add-tool answered ${JSON.stringify(r).slice(0, 300)}`);
    });
    if (added) {
      const heard = await step('list_changed', () => withTimeout(changed, LIST_CHANGED_WAIT_MS,
        'a tools list_changed notification after add-tool'));
      if (heard) {
        await step('tools/list after', async () => {
          const names = toolNames(await h.listTools());
          if (!names.includes('extra')) throw new Error(`tool extra missing after add-tool: ${JSON.stringify(names)}`);
        });
      }
    }
  }

  if (!opts.direct) {
    await step('stdout', async () => {
      if (tap.partial !== '') throw new Error(`stdout ends in an unterminated line: ${JSON.stringify(tap.partial.slice(0, 200))}`);
      tap.lines.forEach((line, i) => {
        let m;
        try { m = JSON.parse(line); } catch { m = undefined; }
        if (!isJsonRpcMessage(m)) throw new Error(`stdout line ${i + 1} is not a JSON-RPC message: ${JSON.stringify(line.slice(0, 200))}`);
      });
    });
  }
  // Errors the SDK reported but did not throw (an unparseable stdout line, a
  // dropped subscription) must fail the run, not vanish.
  await step('client errors', async () => {
    if (clientErrors.length) throw new Error(clientErrors.join(' | ').slice(0, 600));
  });

  await withTimeout(h.client.close(), 5000, 'client.close()').catch(() => {});
  clearTimeout(watchdog);
  const steps = Object.entries(report).filter(([k]) => k !== 'era' && k !== 'protocolVersion');
  finish(steps.every(([, v]) => v === 'ok') ? 0 : 1);
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ host: String(e?.stack ?? e) }) + '\n', () => process.exit(2));
});
