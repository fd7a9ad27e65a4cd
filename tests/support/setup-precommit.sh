#!/usr/bin/env bash
# Installs the pinned pre-commit from PyPI into target/precommit-venv (idempotent), for
# tests/precommit.rs. Prints the path of the pre-commit executable.
set -euo pipefail
PRE_COMMIT_VERSION="4.7.0"
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/target/precommit-venv"
exe="$venv/bin/pre-commit"
if [ -x "$exe" ] && [ "$("$exe" --version 2>/dev/null)" = "pre-commit $PRE_COMMIT_VERSION" ]; then
    echo "$exe"
    exit 0
fi
python3 -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pre-commit==$PRE_COMMIT_VERSION" >&2
echo "$exe"
