#!/usr/bin/env bash
# Run the official MCP conformance suite (@modelcontextprotocol/conformance,
# client scenarios) against mcp-bridge, with driver.mjs as the MCP host.
#
#   tests/conformance/run.sh [--line 0.1|0.2] [--auth] [--auth-required] [--extensions]
#                            [--scenario NAME]... [--wire VERSION] [--timeout SECONDS]
#                            [--verbose]
#
#   --line 0.1       (default) the suite's 0.1.16 release, as below
#   --line 0.2       its 0.2 line (tests/node_modules/conformance-0.2, 0.2.0-alpha.12),
#                    which adds the 2026-07-28 revision. The scenarios are those
#                    of the suite's own `list --client`: the ones not marked
#                    [extension] are required (auth/* among them form the auth
#                    group); the auth/* extension ones form the extension group.
#                    Each runs at its wire: --spec-version 2026-07-28 when the
#                    scenario applies to that revision (as `--requirements
#                    2026-07-28` runs it), else the newest revision it lists
#                    (initialize, sse-retry, ... at 2025-11-25; the 2025-03-26
#                    backcompat ones at 2025-03-26); extension scenarios at
#                    2026-07-28 with --force (also as --requirements does).
#                    See SCENARIOS.md.
#   --wire VERSION   (0.2 only) run every scenario at VERSION instead; one the
#                    suite finds not applicable there is reported SKIP, not counted
#   (default)        the required scenarios: initialize, tools_call,
#                    elicitation-sep1034-client-defaults, sse-retry (0.1.16)
#   --auth           also run the OAuth scenarios (auth/*; the core, backcompat
#                    and draft ones). They are reported but do not fail the run
#                    (expected to fail until the bridge implements OAuth) ...
#   --auth-required  ... unless this is given: then they count like the
#                    required ones (implies --auth)
#   --extensions     with --auth, also the extension scenarios
#                    (client-credentials-basic/-jwt, cross-app-access-complete-flow;
#                    the driver maps their context to --client-credentials,
#                    --client-private-key and the --idp-* options)
#   --scenario NAME  run only NAME (repeatable); it counts as required
#   --timeout S      per-scenario time box in seconds (default 45; the client
#                    itself gets S-15, at least 20)
#   --list           print the scenario names that would run, and exit
#   --verbose        print the failing checks' details and the driver/bridge
#                    stderr of failed scenarios
#
# Environment: MCP_BRIDGE_BIN (default <repo>/build/mcp-bridge),
# MCP_BRIDGE_FLAGS (extra bridge flags, e.g. "--debug"), NODE (a node >= 22;
# default tests/node_modules/node/bin/node).
#
# A scenario PASSes when the suite reports no FAILURE and no WARNING check and
# the client neither timed out nor (unless the scenario expects it) exited
# non-zero. run.sh adds two rules of its own: at least one SUCCESS check, and
# for auth/resource-mismatch the PRM must have been fetched (else a bridge that
# exits at once would "pass"). The SUCCESS that counts is one of the scenario's
# own checks: the 0.2 line adds wire-schema-valid to every scenario whose
# client sent anything, which a bridge that dies after one message also earns.
# Results: tests/.cache/conformance/<timestamp>/<scenario>/ (0.1.16) or
# tests/.cache/conformance/0.2/<timestamp>-<random>/<scenario>/ (0.2 line, so a
# run of each line can go on at the same time), each with checks.json,
# stdout.txt, stderr.txt, suite.log; summary.txt alongside; a "latest" link
# next to them.
# The last line printed is "N passed, N failed" (counted scenarios only); the
# exit status is 1 if any counted scenario failed, 2 on a usage/setup error.
set -u

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TESTS="$(cd "$HERE/.." && pwd)"
REPO="$(cd "$TESTS/.." && pwd)"

REQUIRED=(initialize tools_call elicitation-sep1034-client-defaults sse-retry)
AUTH_CORE=(
  auth/metadata-default auth/metadata-var1 auth/metadata-var2 auth/metadata-var3
  auth/basic-cimd
  auth/scope-from-www-authenticate auth/scope-from-scopes-supported
  auth/scope-omitted-when-undefined auth/scope-step-up auth/scope-retry-limit
  auth/token-endpoint-auth-basic auth/token-endpoint-auth-post auth/token-endpoint-auth-none
  auth/pre-registration
)
AUTH_BACKCOMPAT=(auth/2025-03-26-oauth-metadata-backcompat auth/2025-03-26-oauth-endpoint-fallback)
AUTH_DRAFT=(auth/resource-mismatch auth/offline-access-scope auth/offline-access-not-supported)
AUTH_EXTENSIONS=(auth/client-credentials-jwt auth/client-credentials-basic auth/cross-app-access-complete-flow)

auth=0 auth_required=0 extensions=0 verbose=0 list_only=0 box=45 line=0.1 wire=""
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --line) shift; line="${1:?--line needs 0.1 or 0.2}" ;;
    --line=*) line="${1#--line=}" ;;
    --wire) shift; wire="${1:?--wire needs a revision}" ;;
    --wire=*) wire="${1#--wire=}" ;;
    --auth) auth=1 ;;
    --auth-required) auth=1 auth_required=1 ;;
    --extensions) extensions=1 ;;
    --scenario) shift; only+=("${1:?--scenario needs a name}") ;;
    --scenario=*) only+=("${1#--scenario=}") ;;
    --timeout) shift; box="${1:?--timeout needs seconds}" ;;
    --timeout=*) box="${1#--timeout=}" ;;
    --verbose | -v) verbose=1 ;;
    --list) list_only=1 ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$line" in
  0.1 | 0.1.16) line=0.1 ;;
  0.2) ;;
  *) echo "run.sh: --line must be 0.1 or 0.2, not $line" >&2; exit 2 ;;
esac
if [ -n "$wire" ] && [ "$line" != 0.2 ]; then
  echo "run.sh: --wire applies to --line 0.2 only" >&2; exit 2
fi

NODE="${NODE:-$TESTS/node_modules/node/bin/node}"
if [ "$line" = 0.2 ]; then
  CONFORMANCE="$TESTS/node_modules/conformance-0.2/dist/index.js"
else
  CONFORMANCE="$TESTS/node_modules/@modelcontextprotocol/conformance/dist/index.js"
fi

# The 0.2 line: scenario names and the revisions each applies to, from the
# installed suite itself ("  - name [2025-11-25,2026-07-28]" or "[extension]").
declare -A VERSIONS=()
if [ "$line" = 0.2 ]; then
  [ -x "$NODE" ] || { echo "run.sh: no node at $NODE (npm ci in tests/, or set NODE)" >&2; exit 2; }
  [ -f "$CONFORMANCE" ] || { echo "run.sh: conformance suite not installed: $CONFORMANCE" >&2; exit 2; }
  listing="$("$NODE" "$CONFORMANCE" list --client 2>&1)" ||
    { echo "run.sh: '$CONFORMANCE list --client' failed: $listing" >&2; exit 2; }
  REQUIRED=() AUTH_CORE=() AUTH_BACKCOMPAT=() AUTH_DRAFT=() AUTH_EXTENSIONS=()
  while read -r name versions; do
    VERSIONS[$name]="$versions"
    case "$name:$versions" in
      auth/*:extension) AUTH_EXTENSIONS+=("$name") ;;
      *:extension) ;; # not an auth extension (skills, SEP-2640): only with --scenario
      auth/*) AUTH_CORE+=("$name") ;;
      *) REQUIRED+=("$name") ;;
    esac
  done < <(printf '%s\n' "$listing" | sed -n 's/^  - \([^ ]*\) \[\(.*\)\]$/\1 \2/p')
  [ ${#REQUIRED[@]} -gt 0 ] || { echo "run.sh: no client scenarios in the suite's listing" >&2; exit 2; }
fi

# The 0.2 line's client arguments that set a scenario's wire (see --line 0.2).
wire_args() {
  local s="$1" v="${VERSIONS[$1]:-}"
  [ "$line" = 0.2 ] || return 0
  if [ "$v" = extension ]; then echo "--spec-version ${wire:-2026-07-28} --force"
  elif [ -n "$wire" ]; then echo "--spec-version $wire"
  elif [ -z "$v" ]; then :   # not in the listing: the suite's own default
  elif [[ ",$v," == *,2026-07-28,* ]]; then echo "--spec-version 2026-07-28"
  else echo "--spec-version ${v##*,}"
  fi
}

# scenario -> "required" | "auth"
declare -A KIND=()
ORDER=()
add() { local k="$1"; shift; for s in "$@"; do [ -n "${KIND[$s]:-}" ] || ORDER+=("$s"); KIND[$s]="$k"; done; }
if [ ${#only[@]} -gt 0 ]; then
  add required "${only[@]}"
else
  add required "${REQUIRED[@]}"
  if [ "$auth" = 1 ]; then
    k=auth; [ "$auth_required" = 1 ] && k=required
    add "$k" "${AUTH_CORE[@]}" "${AUTH_BACKCOMPAT[@]}" "${AUTH_DRAFT[@]}"
    [ "$extensions" = 1 ] && add "$k" "${AUTH_EXTENSIONS[@]}"
  fi
fi
if [ "$list_only" = 1 ]; then
  for s in "${ORDER[@]}"; do
    w="$(wire_args "$s")"
    echo "$s (${KIND[$s]})${w:+ $w}"
  done
  exit 0
fi

export MCP_BRIDGE_BIN="${MCP_BRIDGE_BIN:-$REPO/build/mcp-bridge}"
[ -x "$NODE" ] || { echo "run.sh: no node at $NODE (npm ci in tests/, or set NODE)" >&2; exit 2; }
[ -f "$CONFORMANCE" ] || { echo "run.sh: conformance suite not installed: $CONFORMANCE" >&2; exit 2; }
[ -x "$MCP_BRIDGE_BIN" ] || { echo "run.sh: bridge binary not found or not executable: $MCP_BRIDGE_BIN" >&2; exit 2; }
# The suite needs Node >= 22, and runs the client command through a shell.
export PATH="$(dirname "$NODE"):$PATH"

client_ms=$(( (box - 15) * 1000 )); [ "$client_ms" -lt 20000 ] && client_ms=20000
# The driver's own watchdog fires first so the bridge is stopped by it.
export MCP_DRIVER_TIMEOUT_MS=$(( client_ms - 3000 ))

if [ "$line" = 0.2 ]; then
  mkdir -p "$TESTS/.cache/conformance/0.2"
  RUN="$(mktemp -d "$TESTS/.cache/conformance/0.2/$(date -u +%Y%m%dT%H%M%SZ)-XXXXXX")"
  ln -sfn "$RUN" "$TESTS/.cache/conformance/0.2/latest"
else
  RUN="$TESTS/.cache/conformance/$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$RUN"
  ln -sfn "$RUN" "$TESTS/.cache/conformance/latest"
fi
SUMMARY="$RUN/summary.txt"
: >"$SUMMARY"
out() { printf '%s\n' "$*" | tee -a "$SUMMARY"; }

out "suite: $("$NODE" "$CONFORMANCE" --version 2>/dev/null || echo '?')"
out "bridge: $MCP_BRIDGE_BIN"
out "results: $RUN"

# Summarise one scenario's checks.json: "<verdict-relevant lines>".
summarise() {
  "$NODE" -e '
    const fs = require("fs");
    const [file, verbose] = [process.argv[1], process.argv[2] === "1"];
    let checks = [];
    try { checks = JSON.parse(fs.readFileSync(file, "utf8")); } catch (e) { console.log("  (no checks.json: " + e.message + ")"); process.exit(0); }
    const bad = checks.filter((c) => c.status === "FAILURE" || c.status === "WARNING");
    for (const c of bad) {
      let line = `  ${c.status} ${c.id}: ${c.errorMessage || c.description}`;
      if (verbose && c.details) line += "\n      details: " + JSON.stringify(c.details);
      console.log(line);
    }
  ' "$1" "$verbose"
}

# How many SUCCESS checks of the scenario's own (wire-schema-valid, which the
# 0.2 line adds whenever the client sent anything valid, does not count).
own_successes() {
  "$NODE" -e '
    let n = 0;
    try {
      const checks = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      n = checks.filter((c) => c.status === "SUCCESS" && c.id !== "wire-schema-valid").length;
    } catch {}
    console.log(n);
  ' "$1"
}

passed=0 failed=0 apassed=0 afailed=0 skipped=0
for s in "${ORDER[@]}"; do
  dir="$RUN/${s//\//_}"
  mkdir -p "$dir/home"
  start=$(date +%s)
  # shellcheck disable=SC2046 # wire_args is a list of words
  MCP_DRIVER_HOME="$dir/home" BROWSER_SH_LOG="$dir/browser.log" \
    timeout -k 5 "$box" "$NODE" "$CONFORMANCE" client \
      --command "$NODE $HERE/driver.mjs" \
      --scenario "$s" $(wire_args "$s") --timeout "$client_ms" -o "$dir/raw" \
      >"$dir/suite.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  # Flatten the suite's <scenario>-<timestamp>/ directory into $dir.
  res=$(find "$dir/raw" -name checks.json -printf '%h\n' 2>/dev/null | head -1)
  if [ -n "$res" ]; then mv "$res"/* "$dir"/ && rm -rf "$dir/raw"; fi
  # --wire asked for a revision the scenario does not apply to.
  if [ "$rc" = 0 ] && grep -q '^SKIPPED: scenario' "$dir/suite.log"; then
    out "SKIP $s - $(sed -n 's/^SKIPPED: scenario [^ ]* //p' "$dir/suite.log" | head -1)"
    skipped=$((skipped + 1))
    continue
  fi

  reason=""
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then reason="timed out after ${box}s"
  elif grep -q 'CLIENT TIMED OUT' "$dir/suite.log"; then reason="client timed out"
  elif grep -q 'CLIENT EXITED WITH ERROR' "$dir/suite.log"; then reason="$(grep -o 'CLIENT EXITED WITH ERROR (code [0-9-]*)' "$dir/suite.log" | head -1 | tr 'A-Z' 'a-z')"
  elif [ "$rc" != 0 ]; then reason="$(grep -o 'Passed: .*' "$dir/suite.log" | tail -1)"; [ -n "$reason" ] || reason="suite exit $rc"
  fi

  # A scenario whose client never got far enough records no checks at all (the
  # initialize scenario has no "missing step" check), so demand one SUCCESS.
  if [ "$rc" = 0 ] && [ "$(own_successes "$dir/checks.json")" = 0 ]; then
    rc=1; reason="no SUCCESS check recorded"
  fi
  # resource-mismatch passes whenever /authorize is never reached, which a
  # bridge that dies at once also achieves: demand that the PRM was read.
  if [ "$rc" = 0 ] && [ "$s" = auth/resource-mismatch ] &&
    ! grep -q '"id": "prm-pathbased-requested"' "$dir/checks.json" 2>/dev/null; then
    rc=1; reason="never fetched the PRM, so the rejection proves nothing (run.sh's own rule)"
  fi
  if [ "$rc" = 0 ]; then verdict=PASS; else verdict=FAIL; fi
  tag=""; [ "${KIND[$s]}" = auth ] && tag=" [auth, not required]"
  out "$verdict $s (${secs}s)${reason:+ - $reason}$tag"
  if [ "$verdict" = FAIL ]; then
    summarise "$dir/checks.json" | tee -a "$SUMMARY"
    # The driver's own account of what went wrong.
    grep -E '^\[driver .*(failed|watchdog|unclean|did not exit|already exited|not found)' "$dir/stderr.txt" 2>/dev/null |
      sed 's/^/  driver: /' | head -5 | tee -a "$SUMMARY"
    if [ "$verbose" = 1 ] && [ -f "$dir/stderr.txt" ]; then
      sed 's/^/    | /' "$dir/stderr.txt" | tail -60
    fi
  fi

  if [ "${KIND[$s]}" = auth ]; then
    if [ "$verdict" = PASS ]; then apassed=$((apassed + 1)); else afailed=$((afailed + 1)); fi
  else
    if [ "$verdict" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  fi
done

if [ $((apassed + afailed)) -gt 0 ]; then
  out "auth scenarios (not required): $apassed/$((apassed + afailed)) pass"
fi
[ "$skipped" = 0 ] || out "$skipped skipped (not applicable at --wire $wire)"
out "$passed passed, $failed failed"
[ "$failed" = 0 ]
