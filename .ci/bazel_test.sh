#!/usr/bin/env bash
# Runs `bazel test //...` with the project virtualenv's python3 as the Python
# toolchain (Bazel 4's autodetecting toolchain takes `python3` from PATH, and
# its launcher `#!/usr/bin/env python`).
#
# Usage: .ci/bazel_test.sh [VENV] [extra bazel test arguments...]
#   VENV defaults to .venv (relative to the repository root).
# Exits with Bazel's status: 0 when every test passed, non-zero otherwise
# (3: some test failed, 1: build failed, 4: no tests found).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${1:-.venv}
(($#)) && shift

if [[ ! -x $venv/bin/python3 || ! -x $venv/bin/python ]]; then
  echo "bazel_test.sh: no virtualenv at '$venv' (expected $venv/bin/python3)." \
       "Create it with 'make venv' or pass its path." >&2
  exit 2
fi
venv_bin=$(cd "$venv/bin" && pwd -P)
command -v bazel >/dev/null || {
  echo "bazel_test.sh: bazel not found; run .ci/bazel_setup.sh first." >&2
  exit 2
}

export PATH="$venv_bin:$PATH"
echo "bazel_test.sh: python3 = $(command -v python3) ($(python3 --version 2>&1))"
status=0
bazel test //... "$@" || status=$?
if ((status)); then
  echo "bazel_test.sh: bazel test //... failed (exit $status)" >&2
fi
exit "$status"
