#!/usr/bin/env bash
# Download the saved plan that was reviewed on the pull request merged as COMMIT.
#
# Usage: fetch-pr-plan.sh COMMIT DEST_DIR [PLAN_WORKFLOW_FILE] [ARTIFACT_NAME]
#   PLAN_WORKFLOW_FILE  default plan.yml; ARTIFACT_NAME default vitable-plan
#
# Finds the PR of COMMIT, the last successful run of the plan workflow on the PR's
# head commit, and downloads its artifact into DEST_DIR. Prints the path of the
# saved plan on stdout when found; prints nothing (and exits 0) when there is none,
# e.g. a direct push to main: the apply step then plans afresh. The PR's labels are
# written to DEST_DIR/pr-labels.txt, one a line (apply.yml looks for vitable-config:force).
# Needs: gh (GH_TOKEN with actions:read), GITHUB_REPOSITORY.
set -uo pipefail
if [ $# -lt 2 ]; then
  echo "usage: fetch-pr-plan.sh COMMIT DEST_DIR [PLAN_WORKFLOW_FILE] [ARTIFACT_NAME]" >&2
  exit 64
fi
commit=$1
dest=$2
workflow=${3:-plan.yml}
artifact=${4:-vitable-plan}
repo=${GITHUB_REPOSITORY:?set GITHUB_REPOSITORY=owner/name}

head=$(gh api "repos/$repo/commits/$commit/pulls" --jq '.[0].head.sha // empty') || head=""
if [ -z "$head" ]; then
  echo "no pull request found for $commit; nothing to download" >&2
  exit 0
fi
mkdir -p "$dest"
gh api "repos/$repo/commits/$commit/pulls" --jq '.[0].labels[].name' > "$dest/pr-labels.txt" ||
  : > "$dest/pr-labels.txt"
run_id=$(gh run list --workflow "$workflow" --commit "$head" --status success --limit 1 \
  --json databaseId --jq '.[0].databaseId // empty') || run_id=""
if [ -z "$run_id" ]; then
  echo "no successful $workflow run for PR head $head; nothing to download" >&2
  exit 0
fi
if ! gh run download "$run_id" --name "$artifact" --dir "$dest" >&2; then
  echo "could not download artifact $artifact of run $run_id (expired?)" >&2
  exit 0
fi
if [ -s "$dest/plan.json" ]; then
  echo "$dest/plan.json"
else
  echo "artifact $artifact of run $run_id has no plan.json" >&2
fi
