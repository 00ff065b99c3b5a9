// The README's demo: a real stdio MCP client (the TypeScript SDK's) spawns
// mcp-bridge, which signs in to the bundled OAuth-protected demo server and
// relays to it over Streamable HTTP. A second start reuses the stored tokens.
// Usage: node tests/demo/demo.mjs <path-to-mcp-bridge>
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startDemoServer } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const bridge = path.resolve(process.argv[2] || 'build/mcp-bridge');
// Credentials of this demo go to a scratch directory, not to your own config.
const config = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-bridge-demo-'));
const env = {
  ...process.env,
  XDG_CONFIG_HOME: config,
  // A headless "browser": it follows the authorization URL to the bridge's
  // loopback redirect, as a person's browser would after approving.
  BROWSER: path.join(here, '..', 'conformance', 'browser.sh'),
  BROWSER_SH_LOG: path.join(config, 'browser.log'),
};

const server = await startDemoServer();
console.log(`Demo MCP server (OAuth-protected): ${server.url}`);
console.log(`Host command: ${bridge} ${server.url}\n`);

async function session(title, work) {
  console.log(`== ${title}`);
  const client = new Client({ name: 'mcp-bridge-demo-host', version: '1.0.0' });
  const started = process.hrtime.bigint();
  try {    // --token-store file keeps this demo's credentials in the scratch directory,
    // out of your desktop keyring; without it the OS keychain is used when present.
    const args = [server.url, '--token-store', 'file'];
    await client.connect(new StdioClientTransport({ command: bridge, args, env, stderr: 'inherit' }));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const info = client.getServerVersion();
    console.log(`Connected through mcp-bridge to ${info.name} ${info.version} in ${ms.toFixed(1)} ms`);
    await work(client);
  } finally {
    await client.close().catch(() => {});
  }
}

try {
  await session('First start: discovery, registration, sign-in', async (client) => {
    const { tools } = await client.listTools();
    console.log(`The server's tools (${tools.length}):`);
    for (const t of tools) console.log(`  - ${t.name}: ${t.description}`);
    const added = await client.callTool({ name: 'add_note', arguments: { text: 'try mcp-bridge' } });
    console.log(`add_note("try mcp-bridge") -> ${added.content[0].text}`);
  });
  const before = server.stats.authorizations;
  console.log();
  await session('Second start: the stored tokens are used, no sign-in', async (client) => {
    const listed = await client.callTool({ name: 'list_notes', arguments: {} });
    console.log(`list_notes -> ${listed.content[0].text}`);
  });
  console.log(`\nSign-ins: ${server.stats.authorizations} (the second start needed ${server.stats.authorizations - before}).`);
  console.log(`Credentials of this demo were kept under ${config}/mcp-bridge (removed now).`);
} catch (e) {
  console.error(`demo failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  await server.close();
  fs.rmSync(config, { recursive: true, force: true });
}
