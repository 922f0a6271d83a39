#!/usr/bin/env bash
# Carries the promotion ledger (README "The promotion ledger") between a checkout and its remote,
# with git alone: the CI runner that calls `dagger call apply` has git but not this project's
# dependencies, and neither has a laptop that only runs Dagger.
#
#   scripts/ledger.sh fetch               every ledger ref of the remote this checkout lacks, before a
#                                         plan, gate or apply; never replaces a local one
#   scripts/ledger.sh push ENV BUNDLE     after a successful apply of ENV whose bundle (with its
#                                         receipt.json and ledger-entry.json) is in BUNDLE: records
#                                         the signed entry as refs/infra/applied/ENV/<HEAD> and
#                                         pushes exactly that ref
#
# `infra apply` signs the entry and records the ref itself (src/ledger.ts), writing the entry into
# the bundle as ledger-entry.json; a Dagger apply records the ref in the container's copy of .git,
# which is discarded, so the runner records it again from the returned ledger-entry.json, byte for
# byte. A ref names a blob by its content, so both write the same object.
#
# The ledger is never overwritten: a ref that already holds this entry is fine (a re-run), one
# that holds another entry fails, locally and on the remote (git refuses to move a ref to a
# non-commit without --force, which this never passes), and fetch keeps the local entry where the
# remote holds another, naming the ref. Signatures are the promotion gate's to verify (with the
# public key committed at HEAD); the checks below only keep an entry that is not this apply's from
# taking a commit's ref for good.
#
# Environment:
#   INFRA_LEDGER_TOKEN   a token for the remote (CI: the job's GITHUB_TOKEN). Sent only as an HTTP
#                        header to GITHUB_SERVER_URL, through git's environment for the one fetch or
#                        push (never in .git/config, never in argv, never printed). Unset: git uses
#                        whatever credentials it has (a laptop).
#   GITHUB_SERVER_URL    where that header goes (the runner sets it; default https://github.com)
#   INFRA_LEDGER_REMOTE  the remote (default origin)
set -euo pipefail

readonly PREFIX="refs/infra/applied"
# Where fetch puts the remote's refs before comparing them with ours; one namespace per run.
readonly INCOMING="refs/infra-incoming/$$"
readonly REMOTE="${INFRA_LEDGER_REMOTE:-origin}"

fail() {
  printf 'ledger: error: %s\n' "$1" >&2
  exit "${2:-1}"
}

usage() {
  fail "$1; usage: scripts/ledger.sh fetch | scripts/ledger.sh push ENV BUNDLE_DIR" 2
}

# Runs git against the remote, with the token (if any) as an extra header for the server's URLs.
remote_git() {
  if [ -z "${INFRA_LEDGER_TOKEN:-}" ]; then
    git "$@"
    return
  fi
  local basic index="${GIT_CONFIG_COUNT:-0}"
  basic="$(printf 'x-access-token:%s' "$INFRA_LEDGER_TOKEN" | base64 | tr -d '\n')"
  (
    export "GIT_CONFIG_KEY_${index}=http.${GITHUB_SERVER_URL:-https://github.com}/.extraheader"
    export "GIT_CONFIG_VALUE_${index}=AUTHORIZATION: basic ${basic}"
    export GIT_CONFIG_COUNT=$((index + 1))
    git "$@"
  )
}

# The value of a top-level string field of a JSON file infra wrote (JSON.stringify, 2 spaces), or
# nothing. Reading only that exact layout keeps this to git and coreutils; anything else fails closed.
field() {
  sed -n -E "s/^  \"$2\": \"([^\"]*)\",?\$/\\1/p" "$1" | head -n 1
}

clear_incoming() {
  git for-each-ref --format='delete %(refname)' "$INCOMING/" | git update-ref --stdin
}

fetch() {
  [ "$#" -eq 0 ] || usage "fetch takes no arguments"
  trap clear_incoming EXIT
  remote_git fetch --quiet --no-tags "$REMOTE" "+refs/infra/*:$INCOMING/*" ||
    fail "could not fetch the promotion ledger (refs/infra/*) from $REMOTE; check that the job may read the repository"
  local theirs incoming ref ours added=0
  local -a conflicts=()
  while read -r theirs incoming; do
    ref="refs/infra/${incoming#"$INCOMING"/}"
    ours="$(git rev-parse --quiet --verify "$ref" 2>/dev/null || true)"
    if [ -z "$ours" ]; then
      # The empty old value: created only if still absent, so a concurrent writer's entry is kept too.
      if git update-ref -m "infra ledger fetch" "$ref" "$theirs" "" 2>/dev/null; then added=$((added + 1)); else conflicts+=("$ref"); fi
    elif [ "$ours" != "$theirs" ]; then
      conflicts+=("$ref")
    fi
  done < <(git for-each-ref --format='%(objectname) %(refname)' "$INCOMING/")
  [ "${#conflicts[@]}" -eq 0 ] ||
    fail "$REMOTE holds other entries than this checkout at ${conflicts[*]}; the local ones were kept: compare them with \`infra ledger\` (the promotion gate accepts only an entry signed by the environment's key) and remove a local one (git update-ref -d REF) only if it is forged"
  printf 'ledger: %d new ref(s) from %s\n' "$added" "$REMOTE" >&2
}

push() {
  [ "$#" -eq 2 ] || usage "push takes an environment and the bundle directory of its apply"
  local env="$1" bundle="$2"
  # An environment is a folder name under terraform/envs; it must make one component of a ref name.
  [[ "$env" != */* ]] && git check-ref-format "$PREFIX/$env/HEAD" || usage "'$env' is not an environment name"
  local receipt="$bundle/receipt.json" manifest="$bundle/manifest.json" entry="$bundle/ledger-entry.json"
  [ -f "$manifest" ] && [ ! -L "$manifest" ] ||
    fail "$bundle is not a plan bundle (no manifest.json); pass the directory \`dagger call apply ... -o\` or \`infra apply\` wrote"
  [ ! -L "$receipt" ] || fail "$receipt is a symbolic link, not a receipt infra wrote; pass the bundle \`dagger call apply ... -o\` or \`infra apply\` wrote"
  [ -f "$receipt" ] || fail "$bundle has no receipt.json, so it was never applied; record only the bundle of a successful apply"

  local head outcome
  head="$(git rev-parse --verify HEAD 2>/dev/null)" || fail "$(pwd) is not a git checkout with a commit; run this in the repository that was applied"
  outcome="$(field "$receipt" outcome)"
  [ "$outcome" = applied ] ||
    fail "$receipt records outcome '${outcome:-none}', not a successful apply; only an applied receipt enters the ledger"
  [ "$(field "$receipt" env)" = "$env" ] ||
    fail "$receipt is a receipt of environment '$(field "$receipt" env)', not $env; pass the bundle of the $env apply"
  [ "$(field "$receipt" commit)" = "$head" ] ||
    fail "$receipt is a receipt of commit '$(field "$receipt" commit)', not of HEAD $head; check out the commit that was applied"
  local digest
  digest="$(field "$receipt" planDigest)"
  [ -n "$digest" ] && [ "$digest" = "$(field "$manifest" planDigest)" ] ||
    fail "$receipt is not a receipt of the plan in $manifest (plan digests differ); never mix files of two bundles"
  [ ! -L "$entry" ] || fail "$entry is a symbolic link, not the entry infra signed; pass the bundle \`dagger call apply ... -o\` or \`infra apply\` wrote"
  [ -f "$entry" ] || fail "$bundle has no ledger-entry.json, the signed entry apply writes; apply with an infra that signs ledger entries"
  # The signed payload is JSON inside a JSON string, so its quotes appear escaped: \"env\":\"dev\".
  local claim
  for claim in "\\\"env\\\":\\\"$env\\\"" "\\\"commit\\\":\\\"$head\\\"" "\\\"planDigest\\\":\\\"$digest\\\""; do
    grep -qF -- "$claim" "$entry" ||
      fail "$entry is not the entry of this apply (its payload lacks $claim); never mix files of two bundles"
  done

  local ref="$PREFIX/$env/$head" blob existing
  blob="$(git hash-object -w -- "$entry")"
  existing="$(git rev-parse --quiet --verify "$ref" 2>/dev/null || true)"
  if [ -z "$existing" ]; then
    git update-ref -m "infra ledger $env" "$ref" "$blob" "" || fail "could not record $ref; another process is writing it, run this again"
  elif [ "$existing" != "$blob" ]; then
    fail "$ref already holds another entry ($existing, this one is $blob): $env was recorded as applied at this commit before, and the ledger keeps that first entry; nothing was pushed"
  fi

  if ! remote_git push --quiet --no-verify "$REMOTE" "$ref:$ref"; then
    local remote_blob
    remote_blob="$(remote_git ls-remote "$REMOTE" "$ref" 2>/dev/null | cut -f1 || true)"
    if [ -n "$remote_blob" ] && [ "$remote_blob" != "$blob" ]; then
      fail "$REMOTE already holds another entry at $ref ($remote_blob, this one is $blob): $env was recorded as applied at this commit by another run, and the ledger keeps that first entry"
    fi
    fail "could not push $ref to $REMOTE; check that the job may write to the repository (contents: write) and run this step again"
  fi
  printf 'ledger: %s -> %s on %s\n' "$ref" "$blob" "$REMOTE" >&2
}

command="${1:-}"
[ "$#" -gt 0 ] && shift
case "$command" in
  fetch) fetch "$@" ;;
  push) push "$@" ;;
  *) usage "name a command" ;;
esac
