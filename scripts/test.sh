#!/usr/bin/env bash
# The one command that runs every test of skafix on a fresh machine: installs what the tests
# need (Debian packages for the probe's fake pods, pinned PyPI servers and pre-commit in
# venvs under target/), then checks formatting and lints and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
# The probe tests need these for real PID-1 behaviour and minimal-image emulation.
missing=""
for pkg in tini dumb-init busybox procps util-linux tar git; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

tests/support/setup-probe-deps.sh
tests/support/setup-precommit.sh >/dev/null
# The engine tests (tests/engine.rs): a private dockerd under target/engine, left running.
tests/support/setup-engine.sh
tests/support/setup-render-tools.sh >/dev/null

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --all-targets --locked
