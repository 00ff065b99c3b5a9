#!/usr/bin/env bash
# The layers' include rule: a file may include headers of its own layer and of
# the layers below it, never above. The layers and what each may include are
# the table below; ARCHITECTURE.md explains them. Exits 1 on any include that
# points up or sideways, naming the file, the line and the header.
set -u
if [ "${1:-}" = --self-test ]; then
  # The check must catch an include that points up: run it on a copy of the
  # sources with one planted in the lowest layer.
  src=$(cd "$(dirname "$0")/.." && pwd)
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  cp -r "$src/bridge" "$src/oauth" "$src/keychain" "$tmp/"
  bash "$0" "$tmp" >/dev/null 2>&1 || { echo "layers: the tree fails before anything is planted" >&2; exit 1; }
  printf '#include "oauth/oauth.h"\n' >> "$tmp/bridge/base/err.c"
  if bash "$0" "$tmp" 2>/dev/null; then echo "layers: a planted upward include was not caught" >&2; exit 1; fi
  echo "layers: a planted upward include is caught"; exit 0
fi
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2

# layer -> the layers it may include (besides itself)
declare -A may=(
  [bridge/base]=""
  [bridge/net]="bridge/base"
  [keychain]="bridge/base"
  [oauth]="bridge/base bridge/net keychain"
  [bridge/mcp]="bridge/base bridge/net"
  [bridge/relay]="bridge/base bridge/net bridge/mcp keychain oauth"
  [bridge/cli]="bridge/base bridge/net bridge/mcp keychain oauth bridge/relay"
)

layer_of() { # the layer a path belongs to, or nothing
  local p=$1
  case $p in
    bridge/base/*|bridge/net/*|bridge/mcp/*|bridge/relay/*|bridge/cli/*) echo "${p%/*}" ;;
    keychain/*) echo keychain ;;
    oauth/*) echo oauth ;;
  esac
}

bad=0 files=0
while IFS= read -r f; do
  files=$((files + 1))
  own=$(layer_of "$f")
  if [ -z "$own" ]; then
    echo "layers: $f is in no layer (put it in one of: ${!may[*]})" >&2
    bad=1
    continue
  fi
  while IFS=: read -r line inc; do
    inc=${inc#*\"}; inc=${inc%%\"*}
    to=$(layer_of "$inc")
    if [ -z "$to" ]; then
      echo "layers: $f:$line includes \"$inc\", which is in no layer" >&2
      bad=1
    elif [ "$to" != "$own" ] && [[ " ${may[$own]} " != *" $to "* ]]; then
      echo "layers: $f:$line ($own) includes \"$inc\" ($to): $own may include only: ${may[$own]:-itself}" >&2
      bad=1
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
done < <(find bridge oauth keychain -name '*.[ch]' | sort)

[ "$files" -gt 0 ] || { echo "layers: no sources found under $root" >&2; exit 2; }
[ "$bad" = 0 ] && echo "layers: $files files, every include points down"
exit "$bad"
