#!/usr/bin/env bash
# Fuzz the sandbox API with schemathesis against its own OpenAPI document.
# Not part of CI (it takes minutes). Needs: .venv/bin/pip install -e ".[fuzz]"
#
#   fuzz/fuzz_sandbox_api.sh [MAX_EXAMPLES_PER_OPERATION] [SEED]
#
# Starts `vitable-config sandbox serve` on a free port (state in memory), runs
# every operation in schemas/openapi.json with all of schemathesis' checks
# (no 5xx, responses match the schema, status codes documented, ...) except
# positive_data_acceptance: the sandbox's rules (dates in order, ein/qle_id
# formats, cents as JSON integers without ".0") are stricter than a JSON Schema
# can say, so it rightly refuses some schema-valid bodies with 422. Prints the
# summary and stops the sandbox. Exit status is schemathesis' (0: no failures).
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-300}"
seed="${2:-1}"
venv=".venv/bin"
log="$(mktemp)"
"$venv/vitable-config" sandbox serve --port 0 --today 2026-11-21 \
  --seed examples/sandbox-seed.yaml >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  grep -q '^API key:' "$log" && break
  sleep 0.1
done
url="$(sed -n 's/^Base URL: //p' "$log")"
key="$(sed -n 's/^API key: //p' "$log")"
[ -n "$url" ] && [ -n "$key" ] || { cat "$log" >&2; exit 1; }
"$venv/schemathesis" run schemas/openapi.json \
  --url "$url" \
  --header "Authorization: Bearer $key" \
  --checks all \
  --exclude-checks positive_data_acceptance \
  --max-examples "$examples" \
  --seed "$seed" \
  --workers 1 \
  --output-sanitize true \
  --warnings off
