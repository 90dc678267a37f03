#!/usr/bin/env bash
# Entry point of the vitable-config composite action (action.yml at the repository
# root). action.yml passes its inputs as INPUT_* environment variables; each command
# runs one of the scripts beside this file:
#
#   plan        run-plan.sh OUTPUT_DIR CONFIG_DIR [--force] ARGS      outputs exit-code, run-dir
#   drift       run-plan.sh OUTPUT_DIR CONFIG_DIR --force ARGS, then drift-report.sh
#   comment     pr-comment.sh PR_NUMBER RUN_DIRS... [-- --key COMMENT_KEY]
#   check       python -m vitable_config.gitops check RUN_DIRS...
#   fetch-plan  fetch-pr-plan.sh GITHUB_SHA OUTPUT_DIR PLAN_WORKFLOW ARTIFACT   outputs saved-plan, force
#   apply       apply-on-merge.sh CONFIG_DIR SAVED_PLAN (ON_STALE, FORCE)
#   install     nothing more (action.yml installed vitable-config)
#
# A drift run writes nothing, so the safety cap on mass updates (a guard for writes)
# must not turn a large drift into an error: drift always plans with --force.
#
# Exit: plan and fetch-plan exit 0 once their outputs are written (the recorded
# exit code is checked by `check`); the others exit like the script they run.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

command=${INPUT_COMMAND:-}
config=${INPUT_CONFIG_DIR:-config/}
out=${INPUT_OUTPUT_DIR:-out}
# Plan options, split on whitespace (no quoting: options never need spaces).
read -r -a extra <<< "${INPUT_ARGS:-}"
force_args=()
case ${INPUT_FORCE:-false} in
  true) force_args=(--force) ;;
  false | "") ;;
  *)
    echo "input force must be 'true' or 'false', not '${INPUT_FORCE}'" >&2
    exit 64
    ;;
esac
if [ -n "${INPUT_BASE_URL:-}" ]; then
  export VITABLE_CONNECT_BASE_URL=$INPUT_BASE_URL
fi
if [ -n "${INPUT_LABEL:-}" ]; then
  export PLAN_LABEL=$INPUT_LABEL
fi

# Record a step output (only inside Actions).
output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >> "$GITHUB_OUTPUT"
  fi
}

# The run directories of comment/check: SHARDS expected shard directories (each
# created, so that a shard that never uploaded shows as "missing exit code"), or
# RUN_DIRS, or OUTPUT_DIR.
run_dirs() {
  dirs=()
  if [ -n "${INPUT_SHARDS:-}" ]; then
    case $INPUT_SHARDS in
      *[!0-9]* | 0)
        echo "input shards must be a whole number of shards, not '$INPUT_SHARDS'" >&2
        exit 64
        ;;
    esac
    for ((k = 1; k <= INPUT_SHARDS; k++)); do
      mkdir -p "$out/vitable-plan-shard-$k"
      dirs+=("$out/vitable-plan-shard-$k")
    done
  elif [ -n "${INPUT_RUN_DIRS:-}" ]; then
    read -r -a dirs <<< "$INPUT_RUN_DIRS"
  else
    dirs=("$out")
  fi
}

plan_into() {
  bash "$here/run-plan.sh" "$out" "$config" "$@" "${extra[@]}" || exit 1
  output exit-code "$(cat "$out/exit-code")"
  output run-dir "$out"
}

case $command in
  plan)
    plan_into "${force_args[@]}"
    ;;
  drift)
    plan_into --force
    DRIFT_FAIL=${INPUT_DRIFT_FAIL:-false} bash "$here/drift-report.sh" "$out"
    ;;
  comment)
    if [ -z "${INPUT_PR_NUMBER:-}" ]; then
      echo "command comment needs the input pr-number" >&2
      exit 64
    fi
    run_dirs
    key_args=()
    if [ -n "${INPUT_COMMENT_KEY:-}" ]; then
      key_args=(-- --key "$INPUT_COMMENT_KEY")
    fi
    bash "$here/pr-comment.sh" "$INPUT_PR_NUMBER" "${dirs[@]}" "${key_args[@]}"
    ;;
  check)
    run_dirs
    gitops check "${dirs[@]}"
    ;;
  fetch-plan)
    saved=$(bash "$here/fetch-pr-plan.sh" "${GITHUB_SHA:?GITHUB_SHA is not set}" "$out" \
      "${INPUT_PLAN_WORKFLOW:-plan.yml}" "${INPUT_ARTIFACT:-vitable-plan}")
    output saved-plan "$saved"
    if grep -qx 'vitable-config:force' "$out/pr-labels.txt" 2> /dev/null; then
      output force true
    else
      output force false
    fi
    ;;
  apply)
    ON_STALE=${INPUT_ON_STALE:-replan} FORCE=${INPUT_FORCE:-false} \
      bash "$here/apply-on-merge.sh" "$config" "${INPUT_SAVED_PLAN:-}"
    ;;
  install)
    "$VITABLE_CONFIG" --version
    ;;
  *)
    echo "unknown command '$command': use plan, comment, check, fetch-plan, apply, drift or install" >&2
    exit 64
    ;;
esac
