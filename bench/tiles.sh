#!/usr/bin/env bash
# Issue #18 performance: Rekor v2 appends/s and latency beside Rekor v1's on the same server in
# the same run, then reads/s of full (immutable, cached) hash tiles from many concurrent
# clients. Loopback only.
# Usage: bench/tiles.sh [CLIENTS] [ENTRIES] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
CLIENTS=${1:-64}
ENTRIES=${2:-4096}
SECS=${3:-5}
cargo build --release --locked -q -p signet-cli -p signet-testkit
work=$(mktemp -d); trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
target/release/signet server --data-dir "$work/data" --addr 127.0.0.1:0 --tlog-api v2 > "$work/out" 2> "$work/err" &
pid=$!
url=$(server_url "$work/out")
echo "## appends (v1 then v2, $CLIENTS clients, $ENTRIES entries each) and full-tile reads (server and load generator on the same 2 cores)"
target/release/signet-tilebench "$url" "$CLIENTS" "$ENTRIES" "$SECS"
if command -v wrk >/dev/null; then
  # A C load generator leaves more of the 2 cores to the server than the Rust client above.
  target/release/signet-tilebench paths "$url" "$work/tiles.txt"
  cat > "$work/tiles.lua" <<LUA
local paths = {}
for line in io.lines("$work/tiles.txt") do paths[#paths+1] = line end
local i = 0
request = function() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end
LUA
  echo
  echo "Full tiles with wrk (2 threads, $CLIENTS connections, $SECS s, $(wc -l < "$work/tiles.txt") distinct tiles of 8192 bytes):"
  wrk -t2 -c"$CLIENTS" -d"${SECS}s" -s "$work/tiles.lua" "$url" | grep -E "Requests/sec|Latency|Non-2xx|Socket errors"
fi

# The CLI's tile reader against the tree just built: the checkpoint verified and its root
# recomputed from the tiles, the newest entry read from its bundle, the first entry proved
# included (wall time of each, including the process start).
tr="$work/data/trusted_root.json"
size=$(curl -s "$url/rekor-v2/checkpoint" | sed -n 2p)
echo
echo "signet's tile reader on the v2 tree of $size entries:"
echo
echo "| command | seconds | result |"
echo "|---|---|---|"
for cmd in "info" "get --log-index $((size - 1))" "verify --log-index 0"; do
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  if out=$(target/release/signet log $cmd --tiles "$url/rekor-v2" --trusted-root "$tr" 2>&1); then
    res=$(echo "$out" | grep -E "Tree Size|^Index|verified" | tail -1 | tr -s ' ')
  else
    res="FAILED: $(echo "$out" | tail -1)"
  fi
  printf '| `signet log %s --tiles` | %.2f | %s |\n' "$cmd" "$(echo "$(date +%s.%N) - $t0" | bc)" "$res"
done

