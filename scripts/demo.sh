#!/usr/bin/env bash
# The README's first command: installs what is missing (Debian packages, the npm
# packages of tests/), builds, and runs the bridge through a real stdio MCP client
# against the bundled OAuth-protected demo server. Needs nothing but bash to start.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh demo
jobs=$(nproc 2>/dev/null || echo 2)

# The build's own output goes to a log: the demo is what this command shows.
log=build/build.log
mkdir -p build
echo "demo: building mcp-bridge (log: $log)" >&2
if ! { cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j "$jobs"; } \
    >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "demo: the build failed; the whole log is in $log" >&2
  exit 1
fi
exec tests/node_modules/node/bin/node tests/demo/demo.mjs build/mcp-bridge
