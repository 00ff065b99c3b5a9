#!/usr/bin/env bash
# A headless stand-in for a web browser, for the conformance suite's OAuth
# scenarios. The bridge runs "$BROWSER <authorization-url>"; this script:
#   1. GETs the authorization URL without following redirects,
#   2. follows Location hops (301/302/303/307/308; at most $BROWSER_SH_MAX_HOPS,
#      default 10) until one points back at the request's redirect_uri (or,
#      without one, at a loopback address: http://127.0.0.1:<port>/...,
#      http://localhost:<port>/..., http://[::1]:<port>/...),
#   3. GETs that URL (only if it is loopback), so the bridge's callback listener
#      receives ?code=...&state=... exactly as it would from a real browser.
# Cookies set along the way are kept (a private cookie jar per run, removed at
# the end) and sent on later hops, like a browser does, so authorization servers
# whose login/consent interaction relies on session cookies (e.g. oidc-provider)
# complete headlessly.
# Like xdg-open, it returns at once (exit 0) and does the work in the
# background, so a bridge that waits for its opener is not deadlocked against
# its own callback listener. BROWSER_SH_FOREGROUND=1 does the work in the
# foreground instead (the exit status is still 0).
#
# Log: $BROWSER_SH_LOG if set, else stderr (which the bridge may pass on).
set -u

url="${1:-}"
log() {
  if [ -n "${BROWSER_SH_LOG:-}" ]; then
    printf '[browser.sh %s] %s\n' "$(date +%H:%M:%S.%N | cut -c1-12)" "$*" >>"$BROWSER_SH_LOG"
  else
    printf '[browser.sh] %s\n' "$*" >&2
  fi
}

if [ -z "$url" ]; then
  log "no URL given"
  exit 0
fi

is_loopback() {
  case "$1" in
    http://127.0.0.1:* | http://127.0.0.1/* | http://localhost:* | http://localhost/* | http://\[::1\]:* | http://\[::1\]/*) return 0 ;;
    *) return 1 ;;
  esac
}

urldecode() {
  local s="${1//+/ }"
  printf '%b' "${s//%/\\x}"
}

# The redirect_uri the client put in the authorization request, if any: the hop
# whose Location starts with it is the callback. (The suite's authorization
# server is itself on localhost, so "loopback" alone cannot tell them apart.)
redirect_uri=""
case "$url" in
  *\?*redirect_uri=*)
    q="${url#*\?}"
    q="&${q%%#*}"
    r="${q#*&redirect_uri=}"
    [ "$r" != "$q" ] && redirect_uri="$(urldecode "${r%%&*}")"
    ;;
esac

is_callback() {
  if [ -n "$redirect_uri" ]; then
    case "$1" in "${redirect_uri%%\?*}"*) return 0 ;; esac
    return 1
  fi
  is_loopback "$1"
}

max_hops="${BROWSER_SH_MAX_HOPS:-10}"
case "$max_hops" in '' | *[!0-9]*) max_hops=10 ;; esac

follow() {
  local cur="$1" hop out code loc
  for ((hop = 1; hop <= max_hops; hop++)); do
    # -w prints the status code and the resolved (absolute) redirect target.
    out=$(curl -sS --max-time 10 "${cookies[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "$cur" 2>&1) || {
      log "GET $cur failed: $out"
      return 0
    }
    code="${out%% *}"
    loc="${out#* }"
    log "GET $cur -> $code${loc:+ Location: $loc}"
    case "$code" in
      30[12378]) ;;
      *)
        log "answered $code without a redirect; giving up"
        return 0
        ;;
    esac
    if [ -z "$loc" ]; then
      log "redirect without Location; giving up"
      return 0
    fi
    cur="$loc"
    if is_callback "$cur"; then
      if ! is_loopback "$cur"; then
        log "callback $cur is not a loopback address; not visiting it"
        return 0
      fi
      out=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$cur" 2>&1) || {
        log "GET callback $cur failed: $out"
        return 0
      }
      log "GET callback $cur -> $out"
      return 0
    fi
  done
  log "no redirect to the callback within $max_hops hops (last: $cur); giving up"
  return 0
}

visit() {
  log "open $1"
  [ -n "$redirect_uri" ] && log "redirect_uri=$redirect_uri"
  # A private cookie jar for this run: read with -b, written with -c.
  local jar
  jar=$(mktemp "${TMPDIR:-/tmp}/browser.sh.cookies.XXXXXX" 2>/dev/null) || jar=""
  cookies=()
  [ -n "$jar" ] && cookies=(-b "$jar" -c "$jar")
  follow "$1"
  [ -n "$jar" ] && rm -f "$jar"
  return 0
}

if [ "${BROWSER_SH_FOREGROUND:-0}" = "1" ]; then
  visit "$url"
else
  # Detach: no stdio tied to the bridge, own session.
  (visit "$url" </dev/null >/dev/null &)
fi
exit 0
