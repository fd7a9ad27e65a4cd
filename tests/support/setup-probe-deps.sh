#!/bin/sh
# Installs what the live probe tests need, idempotently:
#  - Debian packages: tini, dumb-init, busybox (PID-1 wrappers and a busybox `ps`), and the
#    util-linux, procps and tar tools the fake pods use;
#  - a Python venv under target/probe-venv with pinned web servers, so nothing is installed
#    globally.
# Run as root (apt-get); re-running it changes nothing once everything is in place.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV="$ROOT/target/probe-venv"

missing=""
for pkg in tini dumb-init busybox procps util-linux tar; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
fi

PY=${PYTHON:-python3}
if ! "$PY" -c "import venv, ensurepip" >/dev/null 2>&1; then
    # Debian's own python3 needs python3-venv for `python3 -m venv`.
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv
fi
if [ ! -x "$VENV/bin/python" ]; then
    mkdir -p "$ROOT/target"
    "$PY" -m venv "$VENV"
fi
# Signal and reload behaviour changed across releases, so the versions are pinned.
"$VENV/bin/python" -m pip install --disable-pip-version-check -q \
    uvicorn==0.54.0 click==8.3.1 h11==0.16.0 \
    gunicorn==27.0.1 packaging==25.0 \
    flask==3.1.3 werkzeug==3.1.9 jinja2==3.1.6 itsdangerous==2.2.0 markupsafe==3.0.3 blinker==1.9.0
"$VENV/bin/python" -c "import uvicorn, gunicorn, flask"
