#!/usr/bin/env bash
# One integration run of the bridge under valgrind's memcheck: a full OAuth
# sign-in against the bundled demo server (tests/demo/server.mjs, headless
# through tests/conformance/browser.sh), then initialize, tools/list, two
# tools/call, and stdin closed. Exits non-zero when valgrind reports an invalid
# read or write, a use of uninitialised memory, or a definite leak, or when the
# exchange itself fails.
#
#   tests/valgrind.sh [path/to/mcp-bridge]     (default: build/mcp-bridge, or $MCP_BRIDGE_BIN)
#
# Use a build without sanitizers (valgrind and ASan do not mix). The valgrind
# log is kept in $VALGRIND_LOG (default: a temporary file, printed at the end).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
bin=${1:-${MCP_BRIDGE_BIN:-$repo/build/mcp-bridge}}
node="$here/node_modules/node/bin/node"
[ -x "$node" ] || node=node
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed" >&2; exit 2; }
[ -x "$bin" ] || { echo "valgrind.sh: no bridge binary at $bin" >&2; exit 2; }
if nm -a "$bin" 2>/dev/null | grep -q __asan_init; then
  echo "valgrind.sh: $bin is built with AddressSanitizer; use a plain build" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mcp-bridge-valgrind.XXXXXX")
log=${VALGRIND_LOG:-$work/valgrind.log}
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work/home" "$work/driver.mjs"
}
trap cleanup EXIT

# The demo server on an ephemeral port; it prints its URL.
"$node" "$here/demo/server.mjs" 0 >"$work/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  url=$(grep -o 'http://[^ ]*' "$work/server.out" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "${url:-}" ] || { echo "valgrind.sh: the demo server did not start:" >&2; cat "$work/server.out" >&2; exit 1; }

mkdir -p "$work/home"
cat >"$work/driver.mjs" <<'EOF'
// Drives the bridge (argv: valgrind command line) over stdio; exit 0 when every
// request got a result and the bridge exited after stdin closed.
import { spawn } from 'node:child_process';
const [cmd, ...args] = process.argv.slice(2);
const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
let buf = '';
const waiting = new Map();
child.stdout.on('data', (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    let m;
    try { m = JSON.parse(line); } catch { console.error(`driver: not JSON on stdout: ${line}`); process.exit(1); }
    waiting.get(m.id)?.(m);
  }
});
const request = (id, method, params) => new Promise((resolve, reject) => {
  const t = setTimeout(() => reject(new Error(`driver: no answer to ${method} in 120 s`)), 120000);
  waiting.set(id, (m) => { clearTimeout(t); m.error ? reject(new Error(`driver: ${method}: ${JSON.stringify(m.error)}`)) : resolve(m.result); });
  child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
});
const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
try {
  await request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'valgrind', version: '1' } });
  child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  const tools = await request(2, 'tools/list', {});
  console.error(`driver: ${tools.tools.length} tools`);
  await request(3, 'tools/call', { name: 'add_note', arguments: { text: 'under valgrind' } });
  await request(4, 'tools/call', { name: 'list_notes', arguments: {} });
  child.stdin.write('not json\n'); // an error path too
} catch (e) {
  console.error(e.message);
  child.kill('SIGKILL');
  process.exit(1);
}
child.stdin.end();
const t = setTimeout(() => { console.error('driver: the bridge did not exit'); child.kill('SIGKILL'); }, 60000);
const { code, signal } = await exited;
clearTimeout(t);
console.error(`driver: bridge exited with ${code ?? signal}`);
process.exit(code === 0 ? 0 : code === 99 ? 99 : 1);
EOF

set +e
XDG_CONFIG_HOME="$work/home" BROWSER="$repo/tests/conformance/browser.sh" BROWSER_SH_LOG="$work/browser.log" \
  NO_PROXY='*' no_proxy='*' \
  "$node" "$work/driver.mjs" valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --error-exitcode=99 --track-origins=yes --log-file="$log" \
  "$bin" "$url" --token-store file --debug
rc=$?
set -e
echo "--- valgrind log ($log) ---"
cat "$log"
case $rc in
  0) echo "valgrind.sh: clean (no invalid access, no definite leak)";;
  99) echo "valgrind.sh: valgrind reported errors (see above)" >&2;;
  *) echo "valgrind.sh: the exchange failed (exit $rc)" >&2;;
esac
exit $rc
