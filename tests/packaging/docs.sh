#!/usr/bin/env bash
# The docs agree with the options table: README's table between the markers is what
# gendoc writes, every option is in --help, the man page and the README, and the man
# page renders without warnings.
# Usage: docs.sh GENDOC MCP_BRIDGE README.md MANPAGE
set -euo pipefail
gendoc=$1 bin=$2 readme=$3 manpage=$4
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0

"$gendoc" readme-options >"$scratch/want.md"
if ! grep -q '^<!-- options:begin -->$' "$readme" || ! grep -q '^<!-- options:end -->$' "$readme"; then
  echo "FAIL: $readme has no <!-- options:begin --> / <!-- options:end --> markers" >&2
  exit 1
fi
sed -n '/^<!-- options:begin -->$/,/^<!-- options:end -->$/{//!p;}' "$readme" >"$scratch/have.md"
if ! diff -u --label "README.md (between the markers)" --label "gendoc readme-options" \
  "$scratch/have.md" "$scratch/want.md"; then
  echo "FAIL: the README's options table is out of date; replace the lines between the markers" >&2
  echo "      with the output of: $gendoc readme-options" >&2
  fail=1
fi

# The option names, from the generated table (one row per option).
sed -n 's/^| `\(--[a-z0-9-]*\).*/\1/p' "$scratch/want.md" >"$scratch/options"
count=$(wc -l <"$scratch/options")
if [ "$count" -lt 10 ]; then
  echo "FAIL: only $count options found in gendoc's table" >&2
  exit 1
fi

"$bin" --help >"$scratch/help.txt"
# In roff source an option is written \-\-name.
sed 's/\\-/-/g' "$manpage" >"$scratch/man.txt"
while read -r opt; do
  grep -qE -- "(^|[^a-z0-9-])$opt([^a-z0-9-]|$)" "$scratch/help.txt" ||
    { echo "FAIL: $opt is missing from mcp-bridge --help" >&2; fail=1; }
  grep -qE -- "(^|[^a-z0-9-])$opt([^a-z0-9-]|$)" "$scratch/man.txt" ||
    { echo "FAIL: $opt is missing from the man page $manpage" >&2; fail=1; }
  grep -qF -- "\`$opt" "$readme" ||
    { echo "FAIL: $opt is missing from $readme" >&2; fail=1; }
done <"$scratch/options"
echo "checked $count options in --help, the man page and the README"

# Rendering: every warning is a failure.
rendered=0
if command -v mandoc >/dev/null; then
  if ! mandoc -Tlint -W warning "$manpage" >&2; then
    echo "FAIL: mandoc -Tlint warns about $manpage" >&2
    fail=1
  fi
  rendered=1
fi
if command -v groff >/dev/null; then
  LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -rCHECKSTYLE=3 -z "$manpage" 2>"$scratch/groff.err" || true
  if [ -s "$scratch/groff.err" ]; then
    cat "$scratch/groff.err" >&2
    echo "FAIL: groff warns about $manpage" >&2
    fail=1
  fi
  rendered=1
fi
if command -v man >/dev/null && command -v groff >/dev/null; then
  LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$manpage" >"$scratch/man.rendered" \
    2>"$scratch/man.err" || { echo "FAIL: man -l $manpage failed" >&2; fail=1; }
  if [ -s "$scratch/man.err" ]; then
    cat "$scratch/man.err" >&2
    echo "FAIL: man -l warns about $manpage" >&2
    fail=1
  fi
  for section in NAME SYNOPSIS DESCRIPTION OPTIONS SUBCOMMANDS FILES ENVIRONMENT "EXIT STATUS" \
    EXAMPLES "SEE ALSO"; do
    grep -q "^$section\$" "$scratch/man.rendered" ||
      { echo "FAIL: the rendered man page has no $section section" >&2; fail=1; }
  done
fi
if [ "$rendered" = 0 ]; then
  echo "SKIP: rendering the man page: no mandoc or groff installed (apt-get install groff-base man-db)"
fi

[ "$fail" = 0 ] && echo "docs: OK"
exit "$fail"
