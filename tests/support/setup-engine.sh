#!/bin/sh
# Starts a private Docker engine (dockerd with BuildKit, Debian's docker.io) for the engine
# tests (tests/engine.rs) and builds the registry-free base images they use. Idempotent:
# installs docker.io only when missing, starts dockerd only when its socket does not answer,
# builds each base image only when it is not there yet.
#
# Everything lives under target/engine/: the engine's data-root, exec-root, socket and log,
# and the image contexts. Nothing outside it is touched; no registry is contacted.
#   target/engine/docker.sock   the engine's socket (tests use DOCKER_HOST=unix://...)
#   target/engine/ready         written last: its presence tells the tests the engine is up
# `setup-engine.sh stop` stops the engine this script started.
#
# Base images, all FROM scratch (no registry):
#   skafix-busybox   busybox-static (from the busybox-static .deb, unpacked, not installed:
#                    it conflicts with the busybox package other tests need) with its applets
#                    in /bin, /etc/passwd with root only, /tmp.
#   skafix-debian    skafix-busybox plus Debian's dash as /bin/sh and GNU tar, with their
#                    shared libraries: what a Debian-based image's PID 1 and sync really run.
#                    Without ps, pgrep, pkill and killall, like the slim images (no procps).
#   skafix-python    skafix-debian plus stand-in `uvicorn` and `gunicorn` scripts with the
#                    real servers' signal handlers (the `*-slim` tags).
#   skafix-python-full  skafix-python with Debian's procps ps, pgrep and pkill and their
#                    libraries (the full Debian-based tags are built on buildpack-deps,
#                    which installs procps).
#   skafix-notar     nothing but /etc/passwd: no tar, no shell (like distroless).
#   skafix-node      skafix-python plus the Node images' `node` user (uid 1000).
# They are tagged with the names of the real bases the fixtures use (python:3.12-slim,
# debian:bookworm-slim, gcr.io/distroless/python3-debian12, ...), so a fixture's FROM
# resolves to them locally.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR="$ROOT/target/engine"
SOCK="$DIR/docker.sock"
export DOCKER_HOST="unix://$SOCK"
DOCKER=/usr/bin/docker

engine_up() {
    [ -S "$SOCK" ] && "$DOCKER" version >/dev/null 2>&1
}

if [ "${1:-}" = stop ]; then
    if [ -f "$DIR/docker.pid" ]; then
        kill "$(cat "$DIR/docker.pid")" 2>/dev/null || true
    fi
    rm -f "$DIR/ready"
    exit 0
fi

rm -f "$DIR/ready"
mkdir -p "$DIR"

if [ ! -x /usr/sbin/dockerd ] || [ ! -x "$DOCKER" ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "setup-engine: docker.io is not installed and cannot be installed here" >&2
        exit 0
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io
fi

if ! engine_up; then
    if [ "$(id -u)" != 0 ]; then
        echo "setup-engine: dockerd needs root; the engine tests will be skipped" >&2
        exit 0
    fi
    rm -f "$SOCK"
    # vfs needs no kernel overlay support; no bridge or iptables: builds and containers run
    # with --network=none.
    nohup /usr/sbin/dockerd --storage-driver=vfs --iptables=false --ip6tables=false \
        --bridge=none --data-root="$DIR/data" --exec-root="$DIR/exec" \
        -H "unix://$SOCK" --pidfile "$DIR/docker.pid" >"$DIR/dockerd.log" 2>&1 &
    tries=0
    until engine_up; do
        tries=$((tries + 1))
        if [ "$tries" -gt 60 ]; then
            echo "setup-engine: dockerd did not start; see $DIR/dockerd.log" >&2
            exit 0
        fi
        sleep 0.5
    done
fi

# Test images are rebuilt under the same tags on every run; drop the untagged leftovers so
# the vfs data-root (a full copy per layer) does not grow without bound.
"$DOCKER" image prune -f >/dev/null 2>&1 || true

has_image() {
    "$DOCKER" image inspect "$1" >/dev/null 2>&1
}

# busybox-static, unpacked from its .deb.
BB="$DIR/busybox-static/bin/busybox"
if [ ! -x "$BB" ]; then
    fetch_busybox() {
        (cd "$DIR" && rm -f busybox-static_*.deb && apt-get download busybox-static >/dev/null 2>&1)
    }
    if ! fetch_busybox && ! { apt-get update -qq && fetch_busybox; }; then
        echo "setup-engine: cannot download busybox-static; the engine tests will be skipped" >&2
        exit 0
    fi
    dpkg-deb -x "$DIR"/busybox-static_*.deb "$DIR/busybox-static"
fi

build() {
    tag=$1
    ctx=$2
    DOCKER_BUILDKIT=1 "$DOCKER" build -q --network=none -t "$tag" "$ctx" >/dev/null
}

if ! has_image skafix-busybox; then
    ctx="$DIR/ctx-busybox"
    rm -rf "$ctx" && mkdir -p "$ctx/bin" "$ctx/etc"
    cp "$BB" "$ctx/bin/busybox"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ctx/etc/passwd"
    printf 'root:x:0:\n' >"$ctx/etc/group"
    cat >"$ctx/Dockerfile" <<'DF'
FROM scratch
COPY bin/busybox /bin/busybox
COPY etc/ /etc/
RUN ["/bin/busybox", "mkdir", "-p", "/usr/bin", "/usr/sbin", "/sbin", "/tmp", "/root", "/home", "/srv", "/opt", "/mnt", "/media", "/run", "/lib", "/usr/lib", "/usr/share", "/usr/src", "/usr/local/bin", "/usr/local/lib", "/usr/local/sbin", "/usr/local/share", "/usr/local/src", "/var/lib", "/var/log"]
RUN ["/bin/busybox", "chmod", "1777", "/tmp"]
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
DF
    build skafix-busybox "$ctx"
fi

if ! has_image skafix-debian; then
    ctx="$DIR/ctx-debian"
    rm -rf "$ctx" && mkdir -p "$ctx/root"
    for prog in /bin/dash /bin/tar; do
        for f in "$prog" $(ldd "$prog" | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
            real=$(readlink -f "$f")
            mkdir -p "$ctx/root$(dirname "$f")"
            cp "$real" "$ctx/root$f"
        done
    done
    # useradd as a busybox adduser wrapper: Dockerfiles in the tests create users the Debian
    # way (`useradd --create-home web`); uid 1000 like Debian's first user.
    cat >"$ctx/root/useradd" <<'SH'
#!/bin/sh
# Debian's useradd, as far as the tests use it: the next uid from 1000, a same-named group,
# the home directory with --create-home.
home=no
uid=
for a in "$@"; do
    case "$a" in
        -m|--create-home) home=yes ;;
        -u|--uid) uid=next ;;
        -*) ;;
        *) if [ "$uid" = next ]; then uid=$a; else name=$a; fi ;;
    esac
done
if [ -z "$uid" ]; then
    uid=1000
    while grep -q "^[^:]*:x:$uid:" /etc/passwd; do uid=$((uid + 1)); done
fi
echo "$name:x:$uid:$uid::/home/$name:/bin/sh" >>/etc/passwd
echo "$name:x:$uid:" >>/etc/group
if [ "$home" = yes ]; then
    mkdir -p "/home/$name" && chown "$uid:$uid" "/home/$name"
fi
SH
    chmod 755 "$ctx/root/useradd"
    cat >"$ctx/Dockerfile" <<'DF'
FROM skafix-busybox
COPY root/ /dbn/
RUN ["/bin/busybox", "sh", "-c", "cp -a /dbn/lib /dbn/lib64 / && rm /bin/sh /bin/tar && cp /dbn/bin/dash /bin/sh && cp /dbn/bin/tar /bin/tar && cp /dbn/useradd /usr/sbin/useradd && rm -rf /dbn && rm -f /bin/ps /bin/pgrep /bin/pkill /bin/killall"]
DF
    build skafix-debian "$ctx"
fi
# Stand-ins for the servers the fixtures run, with the signal handlers of the real ones (what
# the HOOK and PROC rules rest on): uvicorn handles SIGINT and SIGTERM only
# (uvicorn/server.py HANDLED_SIGNALS) and exits on them; gunicorn's arbiter handles HUP (reload),
# INT, TERM, QUIT, USR1, USR2, TTIN, TTOU, WINCH (gunicorn/arbiter.py SIGNALS).
if ! has_image skafix-python; then
    ctx="$DIR/ctx-python"
    rm -rf "$ctx" && mkdir -p "$ctx"
    cat >"$ctx/uvicorn" <<'SH'
#!/bin/sh
trap 'exit 0' INT TERM
while :; do sleep 1 & wait $!; done
SH
    cat >"$ctx/gunicorn" <<'SH'
#!/bin/sh
trap 'echo reloaded >>/tmp/gunicorn-reloads' HUP
trap 'exit 0' INT TERM QUIT
trap ':' USR1 USR2 TTIN TTOU WINCH
while :; do sleep 1 & wait $!; done
SH
    chmod 755 "$ctx/uvicorn" "$ctx/gunicorn"
    printf 'FROM skafix-debian\nCOPY uvicorn gunicorn /usr/local/bin/\n' >"$ctx/Dockerfile"
    build skafix-python "$ctx"
fi
if ! has_image skafix-python-full; then
    ctx="$DIR/ctx-python-full"
    rm -rf "$ctx" && mkdir -p "$ctx/root"
    for prog in /usr/bin/ps /usr/bin/pgrep /usr/bin/pkill; do
        for f in "$prog" $(ldd "$prog" | awk '/=>/ {print $3}'); do
            mkdir -p "$ctx/root$(dirname "$f")"
            cp "$(readlink -f "$f")" "$ctx/root$f"
        done
    done
    printf 'FROM skafix-python\nCOPY root/ /\n' >"$ctx/Dockerfile"
    build skafix-python-full "$ctx"
fi
# An image without tar or shell, like distroless.
if ! has_image skafix-notar; then
    ctx="$DIR/ctx-notar"
    rm -rf "$ctx" && mkdir -p "$ctx/etc"
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n' >"$ctx/etc/passwd"
    printf 'FROM scratch\nCOPY etc/ /etc/\n' >"$ctx/Dockerfile"
    build skafix-notar "$ctx"
fi
# The Node images' own user: `node`, uid 1000, home /home/node (docker-library/node
# Dockerfiles: `groupadd --gid 1000 node && useradd --uid 1000 --gid node ... node`).
if ! has_image skafix-node; then
    ctx="$DIR/ctx-node"
    rm -rf "$ctx" && mkdir -p "$ctx"
    printf 'FROM skafix-python\nRUN useradd --create-home node\n' >"$ctx/Dockerfile"
    build skafix-node "$ctx"
fi
for name in python:3.12-slim python:3.11-slim; do
    "$DOCKER" tag skafix-python "$name" >/dev/null
done
for name in node:20-slim node:22-slim; do
    "$DOCKER" tag skafix-node "$name" >/dev/null
done
"$DOCKER" tag skafix-python-full python:3.12 >/dev/null
"$DOCKER" tag skafix-debian debian:bookworm-slim >/dev/null
"$DOCKER" tag skafix-notar gcr.io/distroless/python3-debian12 >/dev/null
"$DOCKER" tag skafix-busybox gcr.io/distroless/python3-debian12:debug >/dev/null

touch "$DIR/ready"
echo "setup-engine: engine ready at $SOCK"
