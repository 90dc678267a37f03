#!/usr/bin/env bash
# Apply on merge to main.
#
# Usage: apply-on-merge.sh CONFIG_PATH [SAVED_PLAN]
#
# 1. If SAVED_PLAN (the plan reviewed on the PR) exists, apply exactly it. apply
#    refuses a stale plan (a plan year changed, appeared or vanished since it was
#    made) and writes nothing.
# 2. Re-plan CONFIG_PATH against the live API (main is the source of truth) and:
#    ON_STALE=replan (default): apply what is still different, if anything — this
#      covers a stale or missing saved plan and changes merged since the PR's plan;
#    ON_STALE=fail: apply nothing more; fail if anything is still different (the
#      fresh plan is in the job summary; re-run with ON_STALE=replan to apply it).
# Blocked changes and errors fail the job at any step. FORCE=true passes --force (the
# safety cap on mass updates) to every plan and apply: apply.yml sets it when the
# merged pull request carries the label `vitable-config:force`.
#
# Exit: 0 when the live API matches CONFIG_PATH at the end, 1 otherwise.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

if [ $# -lt 1 ]; then
  echo "usage: apply-on-merge.sh CONFIG_PATH [SAVED_PLAN]" >&2
  exit 64
fi
config=$1
saved=${2:-}
on_stale=${ON_STALE:-replan}
case $on_stale in
  replan | fail) ;;
  *)
    echo "ON_STALE must be 'replan' or 'fail', not '$on_stale'" >&2
    exit 64
    ;;
esac

force_args=()
if [ "${FORCE:-false}" = "true" ]; then
  force_args=(--force)
  notice "FORCE=true: the safety cap on mass updates is overridden"
fi

work=${APPLY_WORKDIR:-$(mktemp -d)}
mkdir -p "$work"
stale_or_missing=1

if [ -n "$saved" ] && [ -s "$saved" ]; then
  echo "== applying the reviewed plan $saved"
  "$VITABLE_CONFIG" apply "$saved" --auto-approve "${force_args[@]}" 2> "$work/apply-saved.err"
  code=$?
  cat "$work/apply-saved.err" >&2
  if [ "$code" -eq 0 ]; then
    stale_or_missing=0
    printf '### Applied the reviewed plan\n\n' | summary
  elif grep -q "plan is stale" "$work/apply-saved.err"; then
    notice "the reviewed plan is stale (the live API changed since it was made); re-planning"
    # shellcheck disable=SC2016  # the backticks are Markdown, not a command
    printf '### The reviewed plan was stale\n\n```text\n%s\n```\n\n' \
      "$(cat "$work/apply-saved.err")" | summary
  else
    echo "applying the reviewed plan failed (exit $code)" >&2
    exit 1
  fi
else
  notice "no saved plan from the pull request; planning from $config"
fi

echo "== re-planning $config"
PLAN_LABEL="merge" bash "$here/run-plan.sh" "$work/replan" "$config" "${force_args[@]}"
code=$(cat "$work/replan/exit-code")  # run-plan.sh put the plan in the job summary

case $code in
  0)
    echo "in sync: nothing (more) to apply"
    exit 0
    ;;
  2)
    if [ "$on_stale" = "fail" ]; then
      if [ "$stale_or_missing" -eq 1 ]; then
        echo "ON_STALE=fail: the reviewed plan was stale or missing; not applying a plan nobody reviewed" >&2
      else
        echo "ON_STALE=fail: changes remain that the reviewed plan did not include" >&2
      fi
      exit 1
    fi
    echo "== applying the fresh plan"
    "$VITABLE_CONFIG" apply "$work/replan/plan.json" --auto-approve "${force_args[@]}"
    exit $?
    ;;
  *)
    echo "planning failed or changes are blocked: nothing applied by this step" >&2
    exit 1
    ;;
esac
