#!/usr/bin/env bash
# Turn a scheduled plan (recorded by run-plan.sh) into a drift issue.
#
#   exit code 2 (drift)  open the drift issue, or update the open one (found by its
#                        hidden marker); with DRIFT_FAIL=true the job fails too.
#   exit code 0 (sync)   close the open drift issue, if any, with a comment.
#   exit code 1 (error)  fail the job (scheduled-run failures notify by e-mail).
#
# Usage: drift-report.sh OUTDIR...
# Needs: gh (GH_TOKEN), GITHUB_REPOSITORY. ISSUE_AUTHOR as COMMENT_AUTHOR in pr-comment.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

if [ $# -lt 1 ]; then
  echo "usage: drift-report.sh OUTDIR..." >&2
  exit 64
fi
repo=${GITHUB_REPOSITORY:?set GITHUB_REPOSITORY=owner/name}
author=${ISSUE_AUTHOR-github-actions[bot]}
title=${DRIFT_ISSUE_TITLE:-vitable-config: live API has drifted from the configuration}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

set +e
gitops check "$@" > "$work/check.txt"
checked=$?
set -e
cat "$work/check.txt"
outcome=$(sed -n 's/^overall: \([a-z-]*\) .*/\1/p' "$work/check.txt")
if [ "$checked" -ne 0 ]; then
  outcome=error
fi

# Every open issue, filtered here by marker and author: no label to create first, and
# no server-side filter whose spelling for bot accounts could silently match nothing.
gh api --paginate "repos/$repo/issues?state=open&per_page=100" > "$work/issues.json"
author_args=()
if [ -n "$author" ]; then
  author_args=(--author "$author")
fi
decision=$(gitops find-comment "$work/issues.json" --key drift --id-field number "${author_args[@]}")

case $outcome in
  changes)
    gitops comment-body "$@" --key drift --drift --title "vitable-config drift" \
      --json --issue-title "$title" -o "$work/issue.json"
    if [ "${decision%% *}" = "update" ]; then
      number=${decision#update }
      gh api --method PATCH "repos/$repo/issues/$number" --input "$work/issue.json" > /dev/null
      echo "drift: updated issue #$number"
    else
      gh api --method POST "repos/$repo/issues" --input "$work/issue.json" > /dev/null
      echo "drift: opened an issue"
    fi
    if [ "${DRIFT_FAIL:-false}" = "true" ]; then
      exit 1
    fi
    ;;
  in-sync)
    if [ "${decision%% *}" = "update" ]; then
      number=${decision#update }
      run=""
      if [ -n "${GITHUB_RUN_ID:-}" ]; then
        run=" (${GITHUB_SERVER_URL:-https://github.com}/$repo/actions/runs/$GITHUB_RUN_ID)"
      fi
      gh api --method POST "repos/$repo/issues/$number/comments" \
        -f body="The live API matches the configuration again$run. Closing." > /dev/null
      gh api --method PATCH "repos/$repo/issues/$number" -f state=closed \
        -f state_reason=completed > /dev/null
      echo "in sync: closed drift issue #$number"
    else
      echo "in sync: no drift issue to close"
    fi
    ;;
  *)
    echo "drift check failed: see the messages above" >&2
    exit 1
    ;;
esac
