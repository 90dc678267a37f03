#!/usr/bin/env bash
# Keep ONE plan comment on a pull request: update the previous one (found by its
# hidden marker), or create it the first time.
#
# Usage: pr-comment.sh PR_NUMBER OUTDIR... [-- comment-body options, e.g. --key production]
#
# Needs: gh (authenticated through GH_TOKEN), GITHUB_REPOSITORY=owner/name.
# COMMENT_AUTHOR: only comments by this login are updated (default github-actions[bot],
# the author when GH_TOKEN is the workflow's GITHUB_TOKEN; set it empty to match any).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

if [ $# -lt 2 ]; then
  echo "usage: pr-comment.sh PR_NUMBER OUTDIR... [-- comment-body options]" >&2
  exit 64
fi
pr=$1
shift
dirs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  dirs+=("$1")
  shift
done
[ "${1:-}" = "--" ] && shift
extra=("$@")
repo=${GITHUB_REPOSITORY:?set GITHUB_REPOSITORY=owner/name}
author=${COMMENT_AUTHOR-github-actions[bot]}

key_args=()
for ((i = 0; i < ${#extra[@]}; i++)); do
  if [ "${extra[$i]}" = "--key" ]; then
    key_args=(--key "${extra[$((i + 1))]}")
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

commit_args=()
if [ -n "${PR_HEAD_SHA:-}" ]; then
  commit_args=(--commit "$PR_HEAD_SHA")
fi
gitops comment-body "${dirs[@]}" "${commit_args[@]}" "${extra[@]}" --json -o "$work/body.json"

gh api --paginate "repos/$repo/issues/$pr/comments?per_page=100" > "$work/comments.json"
author_args=()
if [ -n "$author" ]; then
  author_args=(--author "$author")
fi
decision=$(gitops find-comment "$work/comments.json" "${key_args[@]}" "${author_args[@]}")

case $decision in
  "update "*)
    id=${decision#update }
    gh api --method PATCH "repos/$repo/issues/comments/$id" --input "$work/body.json" > /dev/null
    echo "updated plan comment $id on #$pr"
    ;;
  create)
    gh api --method POST "repos/$repo/issues/$pr/comments" --input "$work/body.json" > /dev/null
    echo "created plan comment on #$pr"
    ;;
  *)
    echo "unexpected decision from find-comment: $decision" >&2
    exit 1
    ;;
esac
