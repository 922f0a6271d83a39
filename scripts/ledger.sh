#!/usr/bin/env bash
# Carries the promotion ledger (README "The promotion ledger") between a checkout and its remote,
# with git alone: the CI runner that calls `dagger call apply` has git but not this project's
# dependencies, and neither has a laptop that only runs Dagger.
#
#   scripts/ledger.sh fetch               every ledger ref from the remote, before a plan, gate or apply
#   scripts/ledger.sh push ENV BUNDLE     after a successful apply of ENV whose bundle (with its
#                                         receipt.json) is in BUNDLE: records the receipt as
#                                         refs/infra/applied/ENV/<HEAD> and pushes exactly that ref
#
# `infra apply` records the same ref itself (src/ledger.ts); a Dagger apply records it in the
# container's copy of .git, which is discarded, so the runner records it again from the returned
# receipt.json. A ref names a blob by its content, so both write the same object.
#
# The ledger is never overwritten: a ref that already holds this receipt is fine (a re-run), one
# that holds another receipt fails, locally and on the remote (git refuses to move a ref to a
# non-commit without --force, which this never passes). The promotion gate re-reads and re-checks
# every receipt it is given; the checks below keep a receipt that gate would refuse from taking a
# commit's ref for good.
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

fetch() {
  [ "$#" -eq 0 ] || usage "fetch takes no arguments"
  remote_git fetch --quiet --no-tags "$REMOTE" '+refs/infra/*:refs/infra/*' ||
    fail "could not fetch the promotion ledger (refs/infra/*) from $REMOTE; check that the job may read the repository"
}

push() {
  [ "$#" -eq 2 ] || usage "push takes an environment and the bundle directory of its apply"
  local env="$1" bundle="$2"
  # An environment is a folder name under terraform/envs; it must make one component of a ref name.
  [[ "$env" != */* ]] && git check-ref-format "$PREFIX/$env/HEAD" || usage "'$env' is not an environment name"
  local receipt="$bundle/receipt.json" manifest="$bundle/manifest.json"
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

  local ref="$PREFIX/$env/$head" blob existing
  blob="$(git hash-object -w -- "$receipt")"
  existing="$(git rev-parse --quiet --verify "$ref" 2>/dev/null || true)"
  if [ -z "$existing" ]; then
    git update-ref -m "infra ledger $env" "$ref" "$blob" "" || fail "could not record $ref; another process is writing it, run this again"
  elif [ "$existing" != "$blob" ]; then
    fail "$ref already holds another receipt ($existing, this one is $blob): $env was recorded as applied at this commit before, and the ledger keeps that first receipt; nothing was pushed"
  fi

  if ! remote_git push --quiet --no-verify "$REMOTE" "$ref:$ref"; then
    local remote_blob
    remote_blob="$(remote_git ls-remote "$REMOTE" "$ref" 2>/dev/null | cut -f1 || true)"
    if [ -n "$remote_blob" ] && [ "$remote_blob" != "$blob" ]; then
      fail "$REMOTE already holds another receipt at $ref ($remote_blob, this one is $blob): $env was recorded as applied at this commit by another run, and the ledger keeps that first receipt"
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
