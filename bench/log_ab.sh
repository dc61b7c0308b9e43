#!/usr/bin/env bash
# Issue #3: durable appends/s of this tree against an older revision, on the same host, in
# alternating runs (the host's speed drifts by ±15% over minutes, so only side-by-side numbers
# compare). Each run: a fresh data directory, wrk with lua/append.lua, 64 connections; then the
# server restarts on that data and wrk reads every entry by UUID in random order (GET/s).
# Usage: bench/log_ab.sh REV [ROUNDS] [SECONDS]   (OLD_BIN=path skips building REV)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
REV=${1:?usage: bench/log_ab.sh REV [ROUNDS] [SECONDS]}
ROUNDS=${2:-4}
SECS=${3:-5}
command -v wrk >/dev/null || { echo "wrk is needed (apt install wrk)" >&2; exit 1; }
cargo build --release --locked -q -p signet-cli -p signet-testkit
work=$(mktemp -d); pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; git worktree remove --force "$work/old" 2>/dev/null || true; rm -rf "$work"' EXIT
cp target/release/signet "$work/signet-new"
if [ -z "${OLD_BIN:-}" ]; then
  git worktree add -q --detach "$work/old" "$REV"
  (cd "$work/old" && CARGO_TARGET_DIR="$work/old-target" cargo build --release -q -p signet-cli)
  OLD_BIN="$work/old-target/release/signet"
fi
target/release/signet-logbench bodies 100000 "$work/bodies.txt"
run() { # run NAME BINARY: one measurement line
  local d="$work/data-$1"
  rm -rf "$d"
  "$2" server --data-dir "$d" --log-addr 127.0.0.1:0 > "$work/out" 2> "$work/err" &
  pid=$!
  local url; url=$(server_url "$work/out")
  local c0 c1 n line
  c0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  line=$(BODIES_FILE="$work/bodies.txt" WRK_THREADS=2 wrk -t2 -c64 -d"${SECS}s" -s bench/lua/append.lua "$url" | grep '^|')
  c1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  n=$(tree_size "$url")
  kill $pid; wait $pid 2>/dev/null || true; pid=
  # Random walk over every entry, from a fresh start on the same data.
  shuffled_entry_ids "$d/log/log.sqlite" > "$work/ids.txt"
  "$2" server --data-dir "$d" --log-addr 127.0.0.1:0 > "$work/out" 2> "$work/err" &
  pid=$!
  url=$(server_url "$work/out")
  local gets
  gets=$(wrk -t2 -c64 -d"${SECS}s" -s "$work/get.lua" "$url" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  kill $pid; wait $pid 2>/dev/null || true; pid=
  echo "| $1 $line $(( (c1 - c0) * 10000 / (n > 0 ? n : 1) )) | $gets |"
}
get_lua "$work/ids.txt" > "$work/get.lua"
echo "| build | appended | seconds | appends/s | p50 ms | p99 ms | max ms | refused | server CPU µs/append | GET by UUID/s, random walk |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for _ in $(seq "$ROUNDS"); do
  run "$REV" "$OLD_BIN" | tee -a "$work/rows"
  run "this-tree" "$work/signet-new" | tee -a "$work/rows"
done
echo
echo "| build | mean appends/s | mean server CPU µs/append | mean GET/s |"
echo "|---|---|---|---|"
awk -F'|' '{split($2, a, " "); r[a[1]] += $5; c[a[1]] += $10; g[a[1]] += $11; n[a[1]]++}
  END {for (k in r) printf "| %s | %.0f | %.0f | %.0f |\n", k, r[k] / n[k], c[k] / n[k], g[k] / n[k]}' "$work/rows"
