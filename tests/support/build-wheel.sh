#!/usr/bin/env bash
# Builds the skafix wheel with maturin into target/wheelhouse, the local package index the
# packaging and pre-commit tests install from, together with the pinned setuptools wheel that
# the pre-commit mirror's package builds with. The wheel is built with the `dev` profile into
# the usual target directory so that it reuses the test build's compiled crates; published
# wheels are built in release mode by .github/workflows/release.yml.
set -euo pipefail
SETUPTOOLS_VERSION="80.9.0"
root="$(cd "$(dirname "$0")/../.." && pwd)"
"$root/tests/support/setup-python-tools.sh"
house="$root/target/wheelhouse"
mkdir -p "$house"
rm -f "$house"/skafix-*.whl
cd "$root"
"$root/target/python-tools/bin/maturin" build --quiet --profile dev --locked --out "$house" >&2
if ! ls "$house"/setuptools-"$SETUPTOOLS_VERSION"-*.whl >/dev/null 2>&1; then
    "$root/target/python-tools/bin/python" -m pip download --quiet --disable-pip-version-check \
        --no-deps --only-binary=:all: --dest "$house" "setuptools==$SETUPTOOLS_VERSION" >&2
fi
ls "$house"/skafix-*.whl
