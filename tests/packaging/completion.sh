#!/usr/bin/env bash
# The bash completion generated from the options table completes subcommands, every
# option, fixed option values and file names. zsh and fish scripts are syntax-checked
# when those shells are installed.
# Usage: completion.sh GENDOC BASH_COMPLETION ZSH_COMPLETION FISH_COMPLETION
set -uo pipefail
gendoc=$1 bash_file=$2 zsh_file=$3 fish_file=$4
fail=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Completes the words given (the last one is being completed) and prints COMPREPLY,
# one per line, sorted.
complete_words() {
  bash --norc --noprofile -c '
    source "$1" || exit 1
    shift
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    _mcp_bridge mcp-bridge "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$bash_file" "$@"
}

expect() { # expect "description" "wanted lines" words...
  local what=$1 want=$2
  shift 2
  local got
  got=$(complete_words "$@")
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: completing [$*] gave:" >&2
    printf '  %s\n' $got >&2
    echo "  wanted:" >&2
    printf '  %s\n' $want >&2
    fail=1
  else
    echo "ok: $what"
  fi
}

expect_contains() { # expect_contains "description" "wanted line" words...
  local what=$1 want=$2
  shift 2
  if complete_words "$@" | grep -qxF -- "$want"; then
    echo "ok: $what"
  else
    echo "FAIL: $what: completing [$*] did not offer $want" >&2
    fail=1
  fi
}

bash -n "$bash_file" || { echo "FAIL: $bash_file is not valid bash" >&2; exit 1; }
bash --norc --noprofile -c 'source "$1" && complete -p mcp-bridge' _ "$bash_file" >/dev/null ||
  { echo "FAIL: sourcing $bash_file does not register a completion for mcp-bridge" >&2; fail=1; }

expect_contains "--he offers --help" --help mcp-bridge --he
expect "--hel completes to --help" --help mcp-bridge --hel
expect "--transport values" "$(printf '%s\n' http-first http-only sse-first sse-only)" \
  mcp-bridge https://example.com/mcp --transport ""
expect "--transport=VALUE" "$(printf '%s\n' sse-first sse-only)" \
  mcp-bridge --transport = s
expect "--protocol values" "$(printf '%s\n' auto legacy)" mcp-bridge https://example.com/mcp --protocol ""
expect "--token-store values" "$(printf '%s\n' file keychain memory)" \
  mcp-bridge --token-store ""
expect "subcommands" "$(printf '%s\n' login logout)" mcp-bridge lo

# Every option of the table is offered after "--".
"$gendoc" readme-options | sed -n 's/^| `\(--[a-z0-9-]*\).*/\1/p' | sort >"$scratch/want"
if ! diff -u --label "options in the table" --label "offered for --" "$scratch/want" \
  <(complete_words mcp-bridge --); then
  echo "FAIL: the options offered differ from the table" >&2
  fail=1
else
  echo "ok: all $(wc -l <"$scratch/want") options offered"
fi

# FILE arguments complete file names.
mkdir -p "$scratch/files" && touch "$scratch/files/headers.txt" "$scratch/files/other.log"
expect "--header-file FILE" "$scratch/files/headers.txt" \
  mcp-bridge --header-file "$scratch/files/he"
expect "--log-file FILE" "$scratch/files/other.log" mcp-bridge --log-file "$scratch/files/ot"
# JSON|@FILE arguments: a file name after '@', nothing for JSON text.
touch "$scratch/files/client.json"
expect "--static-oauth-client-info @FILE" "@$scratch/files/client.json" \
  mcp-bridge --static-oauth-client-info "@$scratch/files/cl"
expect "--static-oauth-client-metadata @FILE" "@$scratch/files/client.json" \
  mcp-bridge https://example.com/mcp --static-oauth-client-metadata "@$scratch/files/cl"
expect "--static-oauth-client-info JSON" "" mcp-bridge --static-oauth-client-info "{"
# help TOPIC: the topics, subcommands and options.
expect "help topics" "$(printf '%s\n' commands)" mcp-bridge help comm
expect "help subcommands" "$(printf '%s\n' login logout)" mcp-bridge help lo
expect "help options" "$(printf '%s\n' --ignore-tool)" mcp-bridge help --ign
expect_contains "help offers options" options mcp-bridge help ""
# A free-text argument offers nothing (not options, not files).
expect "--header VALUE" "" mcp-bridge --header ""

if command -v zsh >/dev/null; then
  zsh -n "$zsh_file" && echo "ok: zsh -n" || { echo "FAIL: $zsh_file is not valid zsh" >&2; fail=1; }
else
  echo "SKIP: zsh syntax check: zsh is not installed"
fi
if command -v fish >/dev/null; then
  fish -n "$fish_file" && echo "ok: fish -n" || { echo "FAIL: $fish_file is not valid fish" >&2; fail=1; }
else
  echo "SKIP: fish syntax check: fish is not installed"
fi
exit "$fail"
