#!/usr/bin/env bash
# Bounded fuzzing for CI: builds every target once, seeds the corpora from testdata/, runs each
# target for SECONDS_PER_TARGET (default 20) seconds, FUZZ_JOBS (default 2) at a time, and fails
# on any crash, printing the target, the panic and the crashing input (base64).
#
# usage: bash fuzz/run.sh [SECONDS_PER_TARGET]
# env:   FUZZ_JOBS (parallel targets, default 2), FUZZ_TARGETS (space-separated subset),
#        FUZZ_SANITIZER (default none; "address" for ASan)
#
# The last line is the summary CI counts: `fuzz: N passed, N failed`.
set -uo pipefail

SECS=${1:-20}
JOBS=${FUZZ_JOBS:-2}
SANITIZER=${FUZZ_SANITIZER:-none}
FUZZ_DIR=$(cd "$(dirname "$0")" && pwd)
cd "$FUZZ_DIR"

case $SECS in '' | *[!0-9]*)
    echo "usage: $0 [SECONDS_PER_TARGET]" >&2
    exit 2
    ;;
esac

TARGETS=${FUZZ_TARGETS:-$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -vx signet-fuzz)}
N=$(wc -w <<<"$TARGETS")

summary() { # passed failed
    echo "fuzz: $1 passed, $2 failed"
}

# cargo-fuzz into the default cargo bin dir when missing.
CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin
export PATH="$CARGO_BIN:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    if ! cargo install cargo-fuzz --locked; then
        echo "fuzz: cargo install cargo-fuzz failed" >&2
        summary 0 "$N"
        exit 1
    fi
fi

# cargo-fuzz needs nightly flags: the nightly toolchain when installed, else RUSTC_BOOTSTRAP.
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    FUZZ=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    FUZZ=(cargo fuzz)
fi

# Release build with debug assertions and overflow checks: panics, overflows and out-of-bounds
# indexing are what we hunt (unsafe code is denied in the library crates, so no ASan by default).
# BIN_DIR is where cargo-fuzz puts the binaries.
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
BIN_DIR="$FUZZ_DIR/target/$TRIPLE/release"
start=$SECONDS
mkdir -p "$FUZZ_DIR/target"
if ! "${FUZZ[@]}" build -O --debug-assertions --sanitizer "$SANITIZER" >"$FUZZ_DIR/target/build.log" 2>&1; then
    tail -n 40 "$FUZZ_DIR/target/build.log" >&2
    echo "fuzz: build failed" >&2
    summary 0 "$N"
    exit 1
fi
echo "fuzz: built $N targets in $((SECONDS - start)) s (sanitizer: $SANITIZER)"

python3 "$FUZZ_DIR/seed.py" "$FUZZ_DIR/corpus" >/dev/null || {
    echo "fuzz: seeding failed" >&2
    summary 0 "$N"
    exit 1
}

LOGS="$FUZZ_DIR/target/fuzz-logs"
rm -rf "$LOGS"
mkdir -p "$LOGS"

run_one() { # target
    local t=$1
    mkdir -p "$FUZZ_DIR/corpus/$t" "$FUZZ_DIR/artifacts/$t"
    "$BIN_DIR/$t" "$FUZZ_DIR/corpus/$t" \
        -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$FUZZ_DIR/artifacts/$t/" \
        >"$LOGS/$t.log" 2>&1
    echo $? >"$LOGS/$t.rc"
}

report() { # target -> 0 if passed
    local t=$1 rc
    rc=$(cat "$LOGS/$t.rc" 2>/dev/null || echo 1)
    if [ "$rc" = 0 ]; then
        echo "fuzz $t: ok ($(sed -n 's/^stat::number_of_executed_units: *//p' "$LOGS/$t.log") runs," \
            "$(sed -n 's/^stat::peak_rss_mb: *//p' "$LOGS/$t.log") MB)"
        return 0
    fi
    echo "fuzz $t: FAILED (exit $rc)"
    grep -m1 -A3 -E "panicked at|ERROR: libFuzzer|==ERROR" "$LOGS/$t.log" | sed 's/^/  /'
    local a
    a=$(grep -o "Test unit written to [^ ]*" "$LOGS/$t.log" | tail -n1 | sed 's/Test unit written to //')
    if [ -n "$a" ] && [ -f "$a" ]; then
        echo "  input: $a"
        echo "  input (base64): $(base64 -w0 "$a")"
        echo "  reproduce: cd fuzz && cargo +nightly fuzz run -O -a -s none $t $a"
    else
        tail -n 20 "$LOGS/$t.log" | sed 's/^/  /'
    fi
    return 1
}

start=$SECONDS
running=0
for t in $TARGETS; do
    if [ ! -x "$BIN_DIR/$t" ]; then
        echo "missing" >"$LOGS/$t.log"
        echo 1 >"$LOGS/$t.rc"
        continue
    fi
    if [ "$running" -ge "$JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
    run_one "$t" &
    running=$((running + 1))
done
wait

passed=0
failed=0
for t in $TARGETS; do
    if report "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "fuzz: ran $N targets x ${SECS} s, $JOBS at a time, in $((SECONDS - start)) s"
summary "$passed" "$failed"
[ "$failed" = 0 ]
