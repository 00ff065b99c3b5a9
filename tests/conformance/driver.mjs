#!/usr/bin/env node
// A minimal MCP host for the conformance suite (@modelcontextprotocol/conformance).
//
// The suite runs `<command> <server-url>` for each client scenario; this script
// is that command. It plays the part of an MCP host (the stdio client): it
// spawns `$MCP_BRIDGE_BIN [flags...] <server-url>` and speaks MCP over the
// bridge's stdin/stdout with the TypeScript SDK's Client + StdioClientTransport.
//
//   node driver.mjs [extra bridge flags...] <server-url>
//
// What it does, for every scenario not listed below:
//   initialize (capabilities: elicitation/form with applyDefaults, sampling,
//   roots) -> tools/list -> tools/call for every listed tool, with arguments
//   built from the tool's inputSchema -> close stdin and wait for the bridge
//   to exit.
// Scenarios of the suite's 0.2 line that need more (see SCENARIOS.md):
//   http-standard-headers     also resources/list + resources/read of each,
//                             prompts/list + prompts/get of each
//   http-custom-headers       calls exactly the context's toolCalls (name + arguments)
//   json-schema-ref-no-deref  tools/list only (the server answers nothing else)
//   json-schema-2020-12-preservation  calls json_schema_echo with the listed
//                             inputSchema of json_schema_2020_12_tool, verbatim
//   sep-2322-client-request-state  calls every tool; while the first
//                             elicitation is open it calls test_mrtr_unrelated
//                             (a request between two rounds of another), and
//                             it fills every field of an elicitation form
// Server->client requests are answered: elicitation/create is accepted with
// content built from the requested schema's defaults; sampling/createMessage
// gets a fixed text; roots/list gets the working directory.
//
// The scenario context is translated into the flags a user would pass:
//   MCP_CONFORMANCE_CONTEXT {client_id, client_secret}  -> --static-oauth-client-info '<json>'
//     (+ --client-credentials in client-credentials-* scenarios)
//     private_key_pem                                    -> --client-private-key <0600 file>
//     idp_issuer, idp_token_endpoint, idp_client_id      -> --idp-issuer, --idp-token-endpoint,
//     idp_id_token                                          --idp-client-id, --id-token-file <0600 file>
//     client_id + valid_jwt (workload identity)          -> --static-oauth-client-info '{"client_id":…}',
//                                                           --workload-token-file <0600 file>
//     (wrong_audience_jwt and expired_jwt are not used, as in the suite's own client)
//   auth/* scenario without pre-registered credentials   -> --client-metadata-url <CIMD URL>
//   toolCalls (http-custom-headers)                      -> what the host calls, no flag
// and the bridge runs with BROWSER=tests/conformance/browser.sh.
// MCP_CONFORMANCE_PROTOCOL_VERSION (the scenario's wire) is only logged: the
// bridge finds the server's revision itself, as it must for a user.
//
// Environment:
//   MCP_BRIDGE_BIN          bridge binary (default: <repo>/build/mcp-bridge)
//   MCP_BRIDGE_FLAGS        extra bridge flags, whitespace-separated (e.g. "--debug")
//   MCP_DRIVER_CIMD_URL     CIMD URL for auth/* scenarios (default: the one the
//                           suite's auth server recognises); "none" disables it
//   MCP_DRIVER_TIMEOUT_MS   overall watchdog (default 25000, below the suite's 30 s)
//   MCP_DRIVER_REQUEST_TIMEOUT_MS  per-request timeout (default 20000)
//   MCP_DRIVER_HOME         if set, the bridge gets HOME and XDG_* dirs under it
//                           (keeps stored credentials out of the real home)
//   MCP_DRIVER_CALL_DELAY_MS  pause between tools/list and the first tools/call
//                           (default 200; 0 = call at once, see the comment there)
//   MCP_DRIVER_CLOSE_GRACE_MS  how long the bridge may take to exit after stdin
//                           EOF before it counts as an unclean close (default 2000)
//   MCP_DRIVER_ALLOW_UNCLEAN_CLOSE=1  report an unclean close but exit 0 anyway
//   MCP_DRIVER_SDK          v1 (default: @modelcontextprotocol/sdk, a 2025-era
//                           host) or v2 (@modelcontextprotocol/client as the host)
//
// Exit status: 0 when every step succeeded and the bridge exited 0 on its own
// after stdin EOF; 1 when a step failed; 3 when only the close was unclean
// (the bridge needed a signal, or exited non-zero);
// 124 on the watchdog.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';


const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
// The fixed client_id URL the suite's auth server treats as a CIMD client
// (src/scenarios/client/auth/basic-cimd.ts in the suite).
const SUITE_CIMD_URL = 'https://conformance-test.local/client-metadata.json';

const t0 = Date.now();
let liveTransport = null; // for the watchdog
function log(...args) {
  const ms = String(Date.now() - t0).padStart(5);
  console.error(`[driver +${ms}ms]`, ...args);
}

function envInt(name, dflt) {
  const v = parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

// ---------------------------------------------------------------------------
// Command line and scenario context -> bridge argv
// ---------------------------------------------------------------------------

export function parseContext(raw) {
  if (!raw) return undefined;
  try {
    const ctx = JSON.parse(raw);
    return ctx && typeof ctx === 'object' ? ctx : undefined;
  } catch (e) {
    log(`MCP_CONFORMANCE_CONTEXT is not JSON (${e.message}); ignored`);
    return undefined;
  }
}

/** The flags a user would pass to the bridge for this scenario. */
export function bridgeFlagsFor(scenario, ctx, env = process.env) {
  const flags = [];
  // toolCalls is data for the host (what to call), not for the bridge.
  const known = ['name', 'client_id', 'client_secret', 'toolCalls'];
  if (ctx && typeof ctx.client_id === 'string') {
    const info = { client_id: ctx.client_id };
    if (typeof ctx.client_secret === 'string') info.client_secret = ctx.client_secret;
    flags.push('--static-oauth-client-info', JSON.stringify(info));
    // A machine client with a secret or a key and no person: what a user would ask for.
    const key = typeof ctx.private_key_pem === 'string';
    if (scenario && scenario.includes('client-credentials') && (info.client_secret || key)) {
      flags.push('--client-credentials');
    }
    if (key) {
      // As a user keeps a key: in a file only they can read. The bridge picks the
      // algorithm from the key and the AS metadata (signing_algorithm is for the record).
      flags.push('--client-private-key', writePrivateFile('client-key.pem', ctx.private_key_pem));
      known.push('private_key_pem', 'signing_algorithm');
    }
    if (typeof ctx.idp_id_token === 'string') {
      // Enterprise-managed authorization: the IdP, the client there, the ID token in a file.
      if (typeof ctx.idp_issuer === 'string') flags.push('--idp-issuer', ctx.idp_issuer);
      if (typeof ctx.idp_token_endpoint === 'string') {
        flags.push('--idp-token-endpoint', ctx.idp_token_endpoint);
      }
      if (typeof ctx.idp_client_id === 'string') flags.push('--idp-client-id', ctx.idp_client_id);
      flags.push('--id-token-file', writePrivateFile('id-token', ctx.idp_id_token));
      known.push('idp_id_token', 'idp_issuer', 'idp_token_endpoint', 'idp_client_id');
    }
    if (typeof ctx.valid_jwt === 'string') {
      // Workload identity: the platform's token in a file, as a pod would have it.
      flags.push('--workload-token-file', writePrivateFile('workload-token', ctx.valid_jwt));
      known.push('valid_jwt', 'wrong_audience_jwt', 'expired_jwt');
    }
  } else if (scenario && scenario.startsWith('auth/')) {
    const cimd = env.MCP_DRIVER_CIMD_URL ?? SUITE_CIMD_URL;
    if (cimd && cimd !== 'none') flags.push('--client-metadata-url', cimd);
  }
  if (ctx && Object.keys(ctx).some((k) => !known.includes(k))) {
    log(`context has fields the bridge has no flag for: ${Object.keys(ctx).join(', ')}`);
  }
  return flags;
}

/** Writes a secret of the scenario to a new 0600 file in a private temp directory. */
function writePrivateFile(name, text) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-driver-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode: 0o600 });
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return file;
}

// ---------------------------------------------------------------------------
// Values from JSON Schemas
// ---------------------------------------------------------------------------

/** A value for one property: its default, else its first enum/const/example, else one of its type. */
export function sampleValue(schema, depth = 0) {
  if (!schema || typeof schema !== 'object') return 'test';
  if ('default' in schema) return schema.default;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  if (Array.isArray(schema.oneOf) && schema.oneOf.length) {
    const first = schema.oneOf[0];
    return first && 'const' in first ? first.const : sampleValue(first, depth + 1);
  }
  if (Array.isArray(schema.anyOf) && schema.anyOf.length) return sampleValue(schema.anyOf[0], depth + 1);
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'integer':
    case 'number': {
      let n = 2;
      if (typeof schema.minimum === 'number' && n < schema.minimum) n = schema.minimum;
      if (typeof schema.maximum === 'number' && n > schema.maximum) n = schema.maximum;
      return n;
    }
    case 'boolean':
      return true;
    case 'array':
      return depth < 4 && schema.minItems > 0 ? [sampleValue(schema.items, depth + 1)] : [];
    case 'object':
      return depth < 4 ? argumentsFor(schema, depth + 1) : {};
    case 'null':
      return null;
    case 'string':
    default:
      if (schema.format === 'uri') return 'https://example.com/';
      if (schema.format === 'email') return 'test@example.com';
      if (schema.format === 'date') return '2025-01-01';
      if (schema.format === 'date-time') return '2025-01-01T00:00:00Z';
      return 'test';
  }
}

/** Tool arguments: every required property, plus every property that has a default. */
export function argumentsFor(schema, depth = 0) {
  const args = {};
  const props = (schema && schema.properties) || {};
  const required = new Set(Array.isArray(schema?.required) ? schema.required : []);
  for (const [name, sub] of Object.entries(props)) {
    if (required.has(name) || (sub && typeof sub === 'object' && 'default' in sub)) {
      args[name] = sampleValue(sub, depth);
    }
  }
  for (const name of required) if (!(name in args)) args[name] = 'test';
  return args;
}

/**
 * Elicitation content: every property that has a default, with that default
 * (with fillAll, every other property too, with a value of its type).
 */
export function elicitationContentFor(requestedSchema, { fillAll = false } = {}) {
  const content = {};
  for (const [name, sub] of Object.entries(requestedSchema?.properties || {})) {
    if (sub && typeof sub === 'object' && 'default' in sub) content[name] = sub.default;
    else if (fillAll) content[name] = sampleValue(sub);
  }
  // Required fields without a default still need something valid.
  for (const name of requestedSchema?.required || []) {
    if (!(name in content)) content[name] = sampleValue(requestedSchema.properties?.[name]);
  }
  return content;
}

// ---------------------------------------------------------------------------
// What the host does, per scenario
// ---------------------------------------------------------------------------

/** Prompt arguments: every required one, as a string. */
export function promptArgumentsFor(prompt) {
  const args = {};
  for (const a of Array.isArray(prompt?.arguments) ? prompt.arguments : []) {
    if (a && typeof a.name === 'string' && a.required) args[a.name] = 'test';
  }
  return args;
}

/**
 * The host's actions after initialize and tools/list. By default every listed
 * tool is called; the 0.2 line's scenarios below expect something else of a host.
 */
export function planFor(scenario, ctx) {
  const plan = {
    listOnly: false, // tools/list and nothing more
    toolCalls: null, // [{name, arguments}] to call instead of every listed tool
    echoSchema: null, // {of, via}: call tool `via` with {schema: <inputSchema of `of`>}
    resourcesAndPrompts: false, // also list and read/get every resource and prompt
    callDuringElicitation: null, // a tool to call while the first elicitation is open
    fillElicitation: false, // answer elicitation forms with every field filled
  };
  switch (scenario) {
    case 'http-standard-headers':
      plan.resourcesAndPrompts = true;
      break;
    case 'http-custom-headers':
      if (Array.isArray(ctx?.toolCalls)) {
        plan.toolCalls = ctx.toolCalls.filter((c) => c && typeof c.name === 'string');
      }
      break;
    case 'json-schema-ref-no-deref':
      plan.listOnly = true;
      break;
    case 'json-schema-2020-12-preservation':
      plan.echoSchema = { of: 'json_schema_2020_12_tool', via: 'json_schema_echo' };
      break;
    case 'sep-2322-client-request-state':
      plan.callDuringElicitation = 'test_mrtr_unrelated';
      plan.fillElicitation = true;
      break;
    default:
      break;
  }
  return plan;
}

/** The tool calls of a plan, given the listed tools. */
export function toolCallsFor(plan, tools) {
  if (plan.listOnly) return [];
  if (plan.toolCalls) return plan.toolCalls.map((c) => ({ name: c.name, arguments: c.arguments ?? {} }));
  if (plan.echoSchema) {
    const focal = tools.find((t) => t.name === plan.echoSchema.of);
    if (!focal) throw new Error(`tool ${plan.echoSchema.of} is not listed`);
    return [{ name: plan.echoSchema.via, arguments: { schema: focal.inputSchema } }];
  }
  return tools.map((t) => ({ name: t.name, arguments: argumentsFor(t.inputSchema) }));
}

// ---------------------------------------------------------------------------
// The host's SDK: v1 (a 2025-era host, the default) or v2
// ---------------------------------------------------------------------------

/** Loads the SDK the host is built on, with the calls whose shape differs between v1 and v2. */
async function loadHostSdk(which) {
  if (which === 'v2') {
    const { Client } = await import('@modelcontextprotocol/client');
    const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
    return {
      Client,
      StdioClientTransport,
      onRequest: (client, method, fn) => client.setRequestHandler(method, fn),
      onNotification: (client, method, fn) => client.setNotificationHandler(method, fn),
      callTool: (client, params, opts) => client.callTool(params, opts),
    };
  }
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const types = await import('@modelcontextprotocol/sdk/types.js');
  const schemas = {
    'elicitation/create': types.ElicitRequestSchema,
    'sampling/createMessage': types.CreateMessageRequestSchema,
    'roots/list': types.ListRootsRequestSchema,
    'notifications/message': types.LoggingMessageNotificationSchema,
  };
  return {
    Client,
    StdioClientTransport,
    onRequest: (client, method, fn) => client.setRequestHandler(schemas[method], fn),
    onNotification: (client, method, fn) => client.setNotificationHandler(schemas[method], fn),
    callTool: (client, params, opts) => client.callTool(params, undefined, opts),
  };
}

/** resources/list + resources/read of each, prompts/list + prompts/get of each. */
async function useResourcesAndPrompts(client, reqOpts, onFailure) {
  const step = async (what, fn) => {
    try {
      const res = await fn();
      log(`${what} ok`);
      return res;
    } catch (e) {
      onFailure();
      log(`${what} failed: ${e?.message ?? e}`);
      return undefined;
    }
  };
  const resources = (await step('resources/list', () => client.listResources(undefined, reqOpts)))?.resources ?? [];
  for (const r of resources) {
    await step(`resources/read ${r.uri}`, () => client.readResource({ uri: r.uri }, reqOpts));
  }
  const prompts = (await step('prompts/list', () => client.listPrompts(undefined, reqOpts)))?.prompts ?? [];
  for (const p of prompts) {
    const args = promptArgumentsFor(p);
    await step(`prompts/get ${p.name} ${JSON.stringify(args)}`, () =>
      client.getPrompt({ name: p.name, arguments: args }, reqOpts),
    );
  }
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main() {
  const argv = process.argv.slice(2);
  if (argv.length < 1 || argv.includes('--help')) {
    console.error('usage: node driver.mjs [extra bridge flags...] <server-url>');
    process.exit(2);
  }
  const serverUrl = argv[argv.length - 1];
  const passFlags = argv.slice(0, -1);
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO || '';
  const ctx = parseContext(process.env.MCP_CONFORMANCE_CONTEXT);
  const bridgeBin = process.env.MCP_BRIDGE_BIN || path.join(REPO, 'build', 'mcp-bridge');
  const envFlags = (process.env.MCP_BRIDGE_FLAGS || '').split(/\s+/).filter(Boolean);
  const requestTimeout = envInt('MCP_DRIVER_REQUEST_TIMEOUT_MS', 20000);
  const closeGrace = envInt('MCP_DRIVER_CLOSE_GRACE_MS', 2000);
  const callDelay = Math.max(0, parseInt(process.env.MCP_DRIVER_CALL_DELAY_MS ?? '200', 10) || 0);

  if (!fs.existsSync(bridgeBin)) {
    log(`bridge binary not found: ${bridgeBin} (set MCP_BRIDGE_BIN)`);
    process.exit(1);
  }

  // As documented: mcp-bridge <url> [options].
  const bridgeArgs = [serverUrl, ...envFlags, ...passFlags, ...bridgeFlagsFor(scenario, ctx)];

  const env = { ...process.env, BROWSER: path.join(HERE, 'browser.sh') };
  if (process.env.MCP_DRIVER_HOME) {
    const home = process.env.MCP_DRIVER_HOME;
    for (const [k, sub] of [
      ['HOME', ''],
      ['XDG_CONFIG_HOME', '.config'],
      ['XDG_DATA_HOME', '.local/share'],
      ['XDG_STATE_HOME', '.local/state'],
      ['XDG_CACHE_HOME', '.cache'],
    ]) {
      env[k] = path.join(home, sub);
      fs.mkdirSync(env[k], { recursive: true });
    }
  }

  const sdkName = process.env.MCP_DRIVER_SDK === 'v2' ? 'v2' : 'v1';
  const sdk = await loadHostSdk(sdkName);
  const { Client, StdioClientTransport } = sdk;
  const plan = planFor(scenario, ctx);

  log(`scenario=${scenario || '(none)'} context=${ctx ? JSON.stringify(ctx) : '(none)'}`);
  log(`host sdk=${sdkName} wire=${process.env.MCP_CONFORMANCE_PROTOCOL_VERSION || '(not given)'}`);
  log(`spawn: ${bridgeBin} ${bridgeArgs.map((a) => (/[\s'"{}]/.test(a) ? `'${a}'` : a)).join(' ')}`);

  const transport = new StdioClientTransport({
    command: bridgeBin,
    args: bridgeArgs,
    env,
    stderr: 'inherit', // the bridge's log lands in the suite's stderr.txt
  });

  const client = new Client(
    { name: 'mcp-bridge-conformance-driver', version: '1.0.0' },
    {
      capabilities: {
        elicitation: { form: { applyDefaults: true } },
        sampling: {},
        roots: { listChanged: true },
      },
    },
  );

  let negotiated = '?';
  transport.setProtocolVersion = (v) => {
    negotiated = v;
  };
  liveTransport = transport;

  let transportErrors = 0;
  client.onerror = (err) => {
    transportErrors++;
    log(`protocol/transport error: ${err?.message ?? err}`);
  };

  let failed = false;
  const reqOpts = { timeout: requestTimeout };
  const called = new Set();
  let listedTools = [];

  async function callOne(name, args) {
    called.add(name);
    try {
      log(`tools/call ${name} ${JSON.stringify(args)}`);
      const res = await sdk.callTool(client, { name, arguments: args }, reqOpts);
      const text = (res.content || [])
        .map((c) => (c.type === 'text' ? c.text : `[${c.type}]`))
        .join(' ')
        .slice(0, 300);
      log(`tools/call ${name} -> ${res.isError ? 'isError ' : ''}${text}`);
    } catch (e) {
      failed = true;
      log(`tools/call ${name} failed: ${e?.message ?? e}`);
    }
  }

  sdk.onRequest(client, 'elicitation/create', async (req) => {
    const p = req.params;
    if (p.mode === 'url') {
      log(`elicitation (url mode) -> decline: ${p.url}`);
      return { action: 'decline' };
    }
    // A host that goes on with other work while the user answers.
    const between = plan.callDuringElicitation;
    if (between && !called.has(between) && listedTools.some((t) => t.name === between)) {
      log(`elicitation open: calling ${between} before answering it`);
      await callOne(between, {});
    }
    const content = elicitationContentFor(p.requestedSchema, { fillAll: plan.fillElicitation });
    log(`elicitation "${p.message}" -> accept ${JSON.stringify(content)}`);
    return { action: 'accept', content };
  });
  sdk.onRequest(client, 'sampling/createMessage', async () => {
    log('sampling/createMessage -> fixed text');
    return {
      role: 'assistant',
      content: { type: 'text', text: 'This is a canned sampling response from the conformance driver.' },
      model: 'conformance-driver',
      stopReason: 'endTurn',
    };
  });
  sdk.onRequest(client, 'roots/list', async () => {
    log('roots/list');
    return { roots: [{ uri: pathToFileURL(process.cwd()).href, name: 'cwd' }] };
  });
  sdk.onNotification(client, 'notifications/message', (n) => {
    log(`server log [${n.params.level}]: ${JSON.stringify(n.params.data)}`);
  });

  try {
    await client.connect(transport, reqOpts);
    const sv = client.getServerVersion();
    log(`initialized: server=${sv?.name}@${sv?.version} protocol=${negotiated}`);
    log(`server capabilities: ${JSON.stringify(client.getServerCapabilities())}`);

    // tools/list even when the server did not declare tools (as the suite's
    // own example client does); a failure then is noted, not counted.
    let tools = [];
    const hasTools = !!client.getServerCapabilities()?.tools;
    try {
      const res = await client.listTools(undefined, reqOpts);
      tools = res.tools;
      log(`tools/list: ${tools.map((t) => t.name).join(', ') || '(none)'}`);
    } catch (e) {
      if (hasTools) throw e;
      log(`tools/list (server declared no tools capability) failed: ${e?.message ?? e}`);
    }

    listedTools = tools;
    const calls = toolCallsFor(plan, tools);

    // A host calls tools some time after listing them. Servers that send
    // requests on the standalone GET stream (the elicitation scenario does)
    // drop them if that stream is not open yet, so give the bridge a moment
    // to open it; MCP_DRIVER_CALL_DELAY_MS=0 makes the race visible.
    if (calls.length && callDelay > 0) await new Promise((r) => setTimeout(r, callDelay));
    for (const c of calls) {
      // Already called while an elicitation was open (sep-2322).
      if (c.name === plan.callDuringElicitation && called.has(c.name)) continue;
      await callOne(c.name, c.arguments);
    }

    if (plan.resourcesAndPrompts) await useResourcesAndPrompts(client, reqOpts, () => (failed = true));
  } catch (e) {
    failed = true;
    log(`failed: ${e?.message ?? e}`);
  }

  // Close: end the bridge's stdin and see whether it exits by itself.
  const child = transport._process; // SDK-private, read-only use
  let cleanClose = true;
  if (child && child.exitCode === null && child.signalCode === null) {
    const closeStart = Date.now();
    const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
    try {
      child.stdin?.end();
    } catch {
      /* ignore */
    }
    const r = await Promise.race([exited, new Promise((res) => setTimeout(() => res(null), closeGrace))]);
    if (r === null) {
      cleanClose = false;
      log(`bridge did not exit within ${closeGrace}ms of stdin EOF; closing it with SIGTERM`);
    } else {
      log(`bridge exited after stdin EOF in ${Date.now() - closeStart}ms: code=${r.code} signal=${r.signal}`);
      if (r.code !== 0) cleanClose = false;
    }
  } else if (child) {
    cleanClose = false;
    log(`bridge had already exited: code=${child.exitCode} signal=${child.signalCode}`);
  }
  await transport.close().catch(() => {});

  if (transportErrors) log(`${transportErrors} protocol/transport error(s) seen (see above)`);
  log(`done: ${failed ? 'FAILED' : 'ok'}${cleanClose ? '' : ' (unclean bridge exit)'}`);
  const allowUnclean = process.env.MCP_DRIVER_ALLOW_UNCLEAN_CLOSE === '1';
  process.exit(failed ? 1 : cleanClose || allowUnclean ? 0 : 3);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const wd = setTimeout(() => {
    log(`watchdog: no result after ${envInt('MCP_DRIVER_TIMEOUT_MS', 25000)}ms; giving up`);
    try {
      liveTransport?._process?.kill('SIGTERM');
    } catch {
      /* ignore */
    }
    setTimeout(() => process.exit(124), 200);
  }, envInt('MCP_DRIVER_TIMEOUT_MS', 25000));
  wd.unref();
  main().catch((e) => {
    log(`unexpected error: ${e?.stack ?? e}`);
    process.exit(1);
  });
}
