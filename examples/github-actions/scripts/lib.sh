# shellcheck shell=bash
# Shared by the vitable-config workflow scripts (sourced, not run).
#
# VITABLE_CONFIG  the CLI to run (default: vitable-config on PATH).
# PYTHON          the interpreter vitable-config is installed in (default: python3).

VITABLE_CONFIG=${VITABLE_CONFIG:-vitable-config}
PYTHON=${PYTHON:-python3}

# The PR-comment / check helpers: `python -m vitable_config.gitops ...` (the same as
# `vitable-config gitops ...`, without loading the rest of the CLI).
gitops() {
  "$PYTHON" -m vitable_config.gitops "$@"
}

# Print a message on stderr, as a GitHub annotation when running in Actions.
notice() {
  if [ "${GITHUB_ACTIONS:-}" = "true" ]; then
    echo "::notice title=vitable-config::$*" >&2
  else
    echo "vitable-config: $*" >&2
  fi
}

# Append Markdown to the job summary when there is one.
summary() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat >> "$GITHUB_STEP_SUMMARY"
  else
    cat > /dev/null
  fi
}
