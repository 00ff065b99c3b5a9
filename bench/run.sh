#!/bin/sh
# Runs the mcp-bridge benchmark (bench/run.mjs) with the project's Node.
#   bench/run.sh [--quick] [--bridge PATH] [--no-callgrind] [--only LIST] [--out FILE]
# Needs: a built bridge (build/mcp-bridge, or --bridge / $MCP_BRIDGE), bench's npm
# packages (npm ci --prefix bench), and valgrind for the instruction counts.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
node="$here/../tests/node_modules/node/bin/node"
[ -x "$node" ] || node=$(command -v node) || { echo "bench: node not found" >&2; exit 2; }
if [ ! -f "$here/node_modules/mcp-remote/package.json" ]; then
    echo "bench: bench/node_modules is missing; run: npm ci --prefix bench" >&2
    exit 2
fi
exec "$node" "$here/run.mjs" "$@"
