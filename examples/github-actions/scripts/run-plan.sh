#!/usr/bin/env bash
# Validate, then plan, and record the result in OUTDIR for the next steps:
#   OUTDIR/plan.md     the Markdown plan (stdout of `plan --format markdown`)
#   OUTDIR/plan.json   the saved plan (`--out`), applied on merge
#   OUTDIR/stderr.log  messages of validate and plan (errors with file:line)
#   OUTDIR/exit-code   0 in sync, 2 changes pending, 1 error or blocked change
#   OUTDIR/label       PLAN_LABEL, when set (e.g. "shard 2/4")
#
# Usage: run-plan.sh OUTDIR CONFIG_PATH [more plan options, e.g. --shard 2/4]
#
# Always exits 0 once OUTDIR is written, so that the comment step still runs;
# `vitable-config gitops check OUTDIR` turns the recorded exit code into the check.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

if [ $# -lt 2 ]; then
  echo "usage: run-plan.sh OUTDIR CONFIG_PATH [plan options...]" >&2
  exit 64
fi
outdir=$1
config=$2
shift 2

mkdir -p "$outdir" || exit 1
rm -f "$outdir/plan.md" "$outdir/plan.json" "$outdir/exit-code" "$outdir/stderr.log"
: > "$outdir/stderr.log"
if [ -n "${PLAN_LABEL:-}" ]; then
  printf '%s\n' "$PLAN_LABEL" > "$outdir/label"
fi

# validate takes the same variables as plan (--var K=V, --var-file FILE).
validate_args=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[$i]} in
    --var | --var-file)
      validate_args+=("${args[$i]}" "${args[$((i + 1))]:-}")
      i=$((i + 1))
      ;;
    --var=* | --var-file=*) validate_args+=("${args[$i]}") ;;
  esac
done

"$VITABLE_CONFIG" validate "$config" "${validate_args[@]}" 2>> "$outdir/stderr.log"
code=$?
if [ "$code" -eq 0 ]; then
  "$VITABLE_CONFIG" plan "$config" --format markdown --out "$outdir/plan.json" \
    --detailed-exitcode "$@" > "$outdir/plan.md" 2>> "$outdir/stderr.log"
  code=$?
else
  code=1  # validation failed: report it like a failed plan
  : > "$outdir/plan.md"
fi
echo "$code" > "$outdir/exit-code"
# Defence in depth: the CLI redacts the key from every server-supplied text, but these
# files are uploaded as artifacts, where GitHub's log masking does not apply.
"$PYTHON" -m vitable_config.api.redaction "$outdir/stderr.log" "$outdir/plan.md" 2> /dev/null || true

# Show everything in the job log, and the plan in the job summary.
cat "$outdir/plan.md"
cat "$outdir/stderr.log" >&2
{
  printf '### vitable-config plan%s: exit %s\n\n' "${PLAN_LABEL:+ ($PLAN_LABEL)}" "$code"
  cat "$outdir/plan.md"
  if [ -s "$outdir/stderr.log" ]; then
    printf '\n<details><summary>Messages</summary>\n\n````text\n'
    cat "$outdir/stderr.log"
    printf '````\n\n</details>\n'
  fi
  printf '\n'
} | summary
notice "plan exit code $code (0 in sync, 2 changes pending, 1 error or blocked)"
exit 0
