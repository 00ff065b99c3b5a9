#!/usr/bin/env bash
# Installs what building and testing mcp-bridge needs, only when it is missing:
# Debian packages (apt-get) and the npm packages of tests/ (test servers, the
# MCP TypeScript SDK client, the conformance suite, Node 22).
# Usage: scripts/setup.sh [build|test|demo]
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-test}

need=(cmake make gcc pkg-config libuv1-dev libcurl4-openssl-dev libjansson-dev libssl-dev
      libsecret-1-dev ca-certificates curl)
case "$what" in  # clang for the sanitizer build and libFuzzer; a real Secret Service for the
  # keychain test (gnome-keyring in a private D-Bus session).
  # libclang-rt-dev: clang's own runtimes (libFuzzer, ASan, UBSan), only a Recommends of clang.
  # dpkg-dev, file, rpm, man-db and groff-base for the package and man page tests.
  # openssl: the TLS tests make their own CA and certificates with it.
  test) need+=(clang libclang-rt-dev llvm valgrind nodejs npm dbus-daemon gnome-keyring
               libsecret-tools dpkg-dev file rpm man-db groff-base openssl) ;;
  demo) need+=(nodejs npm) ;;
esac

missing=()
for p in "${need[@]}"; do
  # nodejs/npm may come from elsewhere (nvm, a tarball): a working command is enough.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

# What the installers print goes to a log, shown only when a step fails.
mkdir -p build
log=build/setup.log
: >"$log"
run_logged() {
  if ! "$@" >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "setup: failed: $*; the whole log is in $log" >&2
    exit 1
  fi
}

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages (log: $log): ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  run_logged $sudo apt-get update -q
  run_logged $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$what" != build ]; then
  # Node packages for the test servers and clients, pinned by tests/package-lock.json.
  stamp=tests/node_modules/.mcp-bridge-installed
  if [ ! -f "$stamp" ] || [ tests/package-lock.json -nt "$stamp" ]; then
    echo "setup: installing npm packages in tests/ (log: $log)" >&2
    run_logged npm ci --prefix tests --no-audit --no-fund --loglevel=error
    touch "$stamp"
  fi
fi
