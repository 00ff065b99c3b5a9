// The README's demo: a real stdio MCP client (the TypeScript SDK's) spawns
// mcp-bridge, which relays to the bundled demo server over Streamable HTTP.
// Usage: node tests/demo/demo.mjs <path-to-mcp-bridge>
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startDemoServer } from './server.mjs';

const bridge = path.resolve(process.argv[2] || 'build/mcp-bridge');
const server = await startDemoServer();
console.log(`Demo MCP server: ${server.url}`);
console.log(`Host command:    ${bridge} ${server.url}\n`);

const client = new Client({ name: 'mcp-bridge-demo-host', version: '1.0.0' });
const started = process.hrtime.bigint();
try {
  await client.connect(new StdioClientTransport({ command: bridge, args: [server.url], stderr: 'inherit' }));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const info = client.getServerVersion();
  console.log(`Connected through mcp-bridge to ${info.name} ${info.version} in ${ms.toFixed(1)} ms\n`);

  const { tools } = await client.listTools();
  console.log(`The server's tools (${tools.length}):`);
  for (const t of tools) console.log(`  - ${t.name}: ${t.description}`);

  console.log('\nCalling add_note("try mcp-bridge") and list_notes:');
  const added = await client.callTool({ name: 'add_note', arguments: { text: 'try mcp-bridge' } });
  console.log(`  ${added.content[0].text}`);
  const listed = await client.callTool({ name: 'list_notes', arguments: {} });
  console.log(`  ${listed.content[0].text}`);
} catch (e) {
  console.error(`demo failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  await client.close().catch(() => {});
  await server.close();
}
