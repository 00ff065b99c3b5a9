#!/usr/bin/env bash
# The options table says which flags mcp-remote has (README's mcp-remote column, the man
# page, `help OPTION`): check it against the flags mcp-remote's own argument parser reads,
# taken from its installed code, and check that the bridge accepts its short flags.
# Usage: mcp-remote-flags.sh GENDOC MCP_BRIDGE MCP_REMOTE_PACKAGE_DIR
set -euo pipefail
gendoc=$1 bin=$2 pkg=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

if [ ! -f "$pkg/package.json" ] || ! ls "$pkg"/dist/*.js >/dev/null 2>&1; then
  echo "FAIL: mcp-remote is not installed at $pkg; run npm ci in tests/" >&2
  exit 1
fi
version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg/package.json" | head -n1)
echo "mcp-remote $version at $pkg"

# Its parser tests the argument list for each flag it knows: args.includes("--x"),
# args.indexOf("--x"), args[i] === "--x", parseSecondsOption(args, "--x").
grep -hE '\bargs\b' "$pkg"/dist/*.js | grep -oE '"--?[a-z][a-z0-9-]*"' | tr -d '"' |
  sort -u >"$scratch/remote.all"
grep -E '^--' "$scratch/remote.all" >"$scratch/remote" || true
grep -vE '^--' "$scratch/remote.all" >"$scratch/remote.short" || true
count=$(wc -l <"$scratch/remote")
if [ "$count" -lt 20 ]; then
  echo "FAIL: only $count flags found in mcp-remote's code; has its parser changed shape?" >&2
  exit 1
fi

"$gendoc" mcp-remote-flags | sort >"$scratch/table"
fail=0
if ! diff -u --label "flags mcp-remote $version reads" --label "options the table marks as mcp-remote's" \
  "$scratch/remote" "$scratch/table"; then
  echo "FAIL: the options table (bridge/cli/options.c, the remote field) disagrees with mcp-remote:" >&2
  echo "      '-' lines are flags mcp-remote has that the table lacks or marks as not mcp-remote's;" >&2
  echo "      '+' lines are options marked as mcp-remote's that mcp-remote does not read" >&2
  fail=1
else
  echo "ok: the $count flags of mcp-remote are the options the table marks as mcp-remote's"
fi

# Every mcp-remote flag is accepted: none is an unknown option.
while read -r flag; do
  if "$bin" help "$flag" >/dev/null 2>&1; then :; else
    echo "FAIL: mcp-bridge help $flag: no such option" >&2
    fail=1
  fi
done <"$scratch/remote"

# Short flags (mcp-remote has -h for --help): the bridge treats them alike.
while read -r flag; do
  [ -n "$flag" ] || continue
  "$bin" --help >"$scratch/long.txt"
  if "$bin" "$flag" >"$scratch/short.txt" 2>"$scratch/short.err" &&
    cmp -s "$scratch/long.txt" "$scratch/short.txt"; then
    echo "ok: $flag is --help"
  else
    echo "FAIL: mcp-bridge $flag does not print --help's text and exit 0:" >&2
    cat "$scratch/short.err" >&2
    fail=1
  fi
done <"$scratch/remote.short"
exit "$fail"
