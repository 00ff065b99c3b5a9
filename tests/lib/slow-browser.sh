#!/usr/bin/env bash
# A browser whose person takes their time: records each launch (one line in
# $SLOW_BROWSER_LAUNCHES), returns at once like xdg-open, and after
# $SLOW_BROWSER_DELAY_S seconds (default 20) completes the sign-in through
# tests/conformance/browser.sh.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
url="${1:-}"
[ -n "${SLOW_BROWSER_LAUNCHES:-}" ] && printf '%s launch\n' "$(date +%s.%N)" >>"$SLOW_BROWSER_LAUNCHES"
delay="${SLOW_BROWSER_DELAY_S:-20}"
case "$delay" in '' | *[!0-9]*) delay=20 ;; esac
(sleep "$delay"; BROWSER_SH_FOREGROUND=1 "$here/../conformance/browser.sh" "$url") </dev/null >/dev/null 2>&1 &
exit 0
