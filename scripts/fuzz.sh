#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ (nightly Rust and cargo-fuzz needed):
#   scripts/fuzz.sh                 every target for 60 seconds each, one after the other
#   scripts/fuzz.sh TARGET          one target for 60 seconds
#   scripts/fuzz.sh TARGET 600      one target for 600 seconds
#   RUNS=1000000 scripts/fuzz.sh    a number of executions instead of a time
#   scripts/fuzz.sh all 300         every target for 300 seconds each
# Each target starts from a seed corpus copied from the repository's own fixtures and tests
# into fuzz/corpus/TARGET (not committed; it grows as the fuzzer finds new paths). A crash,
# a hang over 10 seconds or more than 2 GB of memory stops the run and leaves the input in
# fuzz/artifacts/TARGET; it then belongs in tests/fuzz-regressions/ with a test in
# tests/fuzz_regressions.rs.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(yaml dockerfile expansion shell dockerignore skaffold_config skafix_config pipeline probe_output)
target="${1:-all}"
seconds="${2:-60}"

# Copies every file of the repository matching a find expression into the corpus directory,
# named by content hash so reruns do not duplicate them.
seed_files() {
    local dir="$1"
    shift
    find fixtures tests rules -type f "$@" -size -64k -print0 |
        while IFS= read -r -d '' file; do
            cp "$file" "$dir/$(sha256sum "$file" | cut -c1-16)"
        done
}

# One seed per shell-form command line of the repository's Dockerfiles.
seed_commands() {
    local dir="$1" n=0
    find fixtures tests -type f -name 'Dockerfile*' -print0 |
        { xargs -0 grep -hE '^(RUN|CMD|ENTRYPOINT) ' || true; } |
        sed -E 's/^(RUN|CMD|ENTRYPOINT) //' |
        while IFS= read -r line; do
            n=$((n + 1))
            printf '%s' "$line" >"$dir/cmd-$n"
        done
}

# One seed per fixture project: skaffold.yaml, Dockerfile, first manifest, .dockerignore,
# separated by NUL bytes (the pipeline target's input format).
seed_projects() {
    local dir="$1" n=0
    find fixtures tests -type f -name skaffold.yaml -size -16k -print0 |
        while IFS= read -r -d '' config; do
            local project manifest
            project="$(dirname "$config")"
            manifest="$(find "$project" -maxdepth 2 -path '*k8s*' -name '*.yaml' | head -n 1)"
            n=$((n + 1))
            {
                cat "$config"
                printf '\0'
                [ -f "$project/Dockerfile" ] && cat "$project/Dockerfile"
                printf '\0'
                [ -n "$manifest" ] && cat "$manifest"
                printf '\0'
                [ -f "$project/.dockerignore" ] && cat "$project/.dockerignore"
                true
            } >"$dir/project-$n"
        done
}

# The probe target's first byte picks the parser: 0 python JSON, 1 shell records, 2 ps,
# 3 /proc files, 4 sha256sum.
seed_probe() {
    local dir="$1"
    printf '\000{"uid":0,"self":5,"procs":[{"pid":1,"stat":"1 (gunicorn) S 0 1 1","cmdline":"/v/bin/python\\u0000/v/bin/gunicorn\\u0000--reload\\u0000","cwd":"/app","env":["GUNICORN_CMD_ARGS=--preload"],"sigcgt":"0000000008014a07","uid":"0\\t0\\t0\\t0"},{"pid":7,"stat":"7 (python) S 1 1 1","cmdline":"python\\u0000app.py","cwd":"/","env":[],"sigcgt":"0","uid":"0\\t0\\t0\\t0"}],"tools":{"tar":true,"ps":false},"dests":[{"dest":"src","path":"/app/src","exists":true,"checked":"/app/src","writable":false}]}' >"$dir/python"
    printf '\001\036P\0371\037S1 (sh) S 0 1 1\037TName:\tsh\nSigCgt:\t0000000000010000\nUid:\t0\t1000\t0\t0\n\037Csh\000-c\000uvicorn app:app\000\037EPATH=/bin\000UVICORN_RELOAD=true\000\037W/app\n\036U\0379\036X\037tar\037y\036D\037src\037/app/./src\037n\037/app\037y' >"$dir/shell"
    printf '\002  PID  PPID COMMAND\n    1     0 /usr/bin/tini -- uvicorn app:app --reload\n    7     1 {flask} /venv/bin/python /venv/bin/flask run --debug\n   12     7 [kworker/0:1]\n' >"$dir/ps"
    printf '\003Name:\tpython\nSigCgt:\t0000000180004a07\nSigBlk:\t0000000000000000\nUid:\t1000\t1000\t1000\t1000\n1 (py (x)) S 0 1 1' >"$dir/proc"
    printf '\004e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  /app/main.py\n\\e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  /app/a\\nb\n' >"$dir/sha"
}

seed() {
    local name="$1" dir="fuzz/corpus/$1"
    mkdir -p "$dir"
    case "$name" in
        yaml) seed_files "$dir" \( -name '*.yaml' -o -name '*.yml' \) ;;
        skaffold_config) seed_files "$dir" -name 'skaffold*.yaml' ;;
        dockerfile) seed_files "$dir" -name 'Dockerfile*' ;;
        dockerignore) seed_files "$dir" -name '.dockerignore' ;;
        skafix_config)
            seed_files "$dir" -name 'skafix.toml'
            find fixtures tests -type f \( -name '*.yaml' -o -name 'Dockerfile*' \) -size -16k -print0 |
                { xargs -0 grep -l 'skafix:' || true; } |
                while IFS= read -r file; do
                    cp "$file" "$dir/$(sha256sum "$file" | cut -c1-16)"
                done
            ;;
        shell) seed_commands "$dir" ;;
        pipeline) seed_projects "$dir" ;;
        probe_output) seed_probe "$dir" ;;
        expansion) ;; # structure-aware: libFuzzer starts from empty inputs
        *)
            echo "unknown target: $name (one of: ${TARGETS[*]})" >&2
            exit 2
            ;;
    esac
}

run() {
    local name="$1" limit
    seed "$name"
    if [ -n "${RUNS:-}" ]; then
        limit="-runs=$RUNS"
    else
        limit="-max_total_time=$seconds"
    fi
    mkdir -p "fuzz/artifacts/$name"
    # No sanitizer: the code under test is safe Rust, and an uninstrumented allocator runs the
    # targets several times faster. Single process: the machine's cores are shared.
    (cd fuzz && cargo +nightly fuzz run --sanitizer none --release "$name" "corpus/$name" -- \
        "$limit" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
        "-artifact_prefix=artifacts/$name/")
}

if [ "$target" = all ]; then
    for name in "${TARGETS[@]}"; do
        run "$name"
    done
else
    run "$target"
fi
