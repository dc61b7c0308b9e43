#!/usr/bin/env bash
# Issue #19 performance: the transparency log on the embedded SQLite store and on PostgreSQL,
# side by side in one table: durable appends/s and p99 from concurrent clients, GET by UUID/s
# hot (200 entries, repeated) and cold (a fresh server, every entry once, random order), and
# the inclusion-proof time at a large tree. PostgreSQL is a throwaway cluster on 127.0.0.1
# (signet-pgcluster: the tests' cluster, with fsync ON so appends are durable), sharing the
# cores with signet and the load generator. Loopback only.
#
# Usage: bench/log_pg.sh [CLIENTS] [ENTRIES] [PG_NODES] [PROOF_SIZE]
#   defaults 64 40000 1 1000000. PG_NODES signet servers share the one database, the clients
#   spread over them (more than 1 needs multi-node support in `signet server`).
#   Smoke run: PROFILE=debug bench/log_pg.sh 4 200 1 1000
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
CLIENTS=${1:-64}
ENTRIES=${2:-40000}
NODES=${3:-1}
PROOF_SIZE=${4:-1000000}
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then
  cargo build --release --locked -q -p signet-cli -p signet-testkit
else
  cargo build --locked -q -p signet-cli -p signet-testkit
fi
bin=target/$PROFILE
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The cluster: its stdin is a FIFO held open by this script; closing it stops the cluster.
mkfifo "$work/pg.in"
SIGNET_PG_FSYNC=on "$bin/signet-pgcluster" 2 < "$work/pg.in" > "$work/pg.out" 2> "$work/pg.err" &
pids+=($!)
exec 9> "$work/pg.in"
for _ in $(seq 600); do [ "$(wc -l < "$work/pg.out")" -ge 3 ] && break; sleep 0.1; done
db=$(sed -n 1p "$work/pg.out")
proof_db=$(sed -n 2p "$work/pg.out")
[ -n "$db" ] || { cat "$work/pg.err" >&2; echo "the PostgreSQL cluster did not start" >&2; exit 1; }

# start_servers NAME N ARGS...: N servers (data directories $work/NAME-1.., copies of the
# first once it has created its keys), their URLs in $work/NAME.urls.
start_servers() {
  local name=$1 n=$2; shift 2
  : > "$work/$name.urls"
  touch "$work/$name.pids"
  for i in $(seq "$n"); do
    if [ "$i" -gt 1 ] && [ ! -d "$work/$name-$i" ]; then
      cp -a "$work/$name-1" "$work/$name-$i"; rm -f "$work/$name-$i/lock"
    fi
    "$bin/signet" server --data-dir "$work/$name-$i" --addr 127.0.0.1:0 "$@" \
      > "$work/$name-$i.out" 2>> "$work/$name.err" &
    pids+=($!)
    echo "$!" >> "$work/$name.pids"
    server_url "$work/$name-$i.out" >> "$work/$name.urls"
  done
}
stop_servers() {
  local name=$1
  while read -r p; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done < "$work/$name.pids"
  : > "$work/$name.pids"
}

# entry_ids NAME URL: every entry ID of the Rekor v1 log, in random order.
entry_ids() {
  local size
  size=$(tree_size "$2")
  python3 - "$2" "$size" <<'PY'
import json, random, sys, urllib.request
url, size = sys.argv[1], int(sys.argv[2])
ids = []
for i in range(size):
    with urllib.request.urlopen(f"{url}/api/v1/log/entries?logIndex={i}") as r:
        ids.extend(json.load(r).keys())
random.shuffle(ids)
print("\n".join(ids))
PY
}

# measure NAME N ARGS...: sets ROW, one table row without the label (not in a subshell, so
# the servers it starts are known to the clean-up).
measure() {
  local name=$1 n=$2; shift 2
  start_servers "$name" "$n" "$@"
  # Appends: the clients spread over the nodes, each node its share of the entries.
  local per_clients=$(( (CLIENTS + n - 1) / n )) per_entries=$(( (ENTRIES + n - 1) / n ))
  local i=0 bench=()
  while read -r url; do
    i=$((i + 1))
    "$bin/signet-logbench" append "$url" "$per_clients" "$per_entries" > "$work/$name-append-$i.txt" &
    bench+=($!)
  done < "$work/$name.urls"
  for p in "${bench[@]}"; do wait "$p"; done
  # Sum of the nodes' appends/s, the worst p99.
  local rate p99
  rate=$(awk -F'|' '/^\| appends/ {getline; getline; s += $5} END {printf "%.0f", s}' "$work/$name"-append-*.txt)
  p99=$(awk -F'|' '/^\| appends/ {getline; getline; if ($7 + 0 > m) m = $7 + 0} END {printf "%.1f", m}' "$work/$name"-append-*.txt)
  local url1
  url1=$(head -1 "$work/$name.urls")
  entry_ids "$name" "$url1" > "$work/$name.ids"
  head -200 "$work/$name.ids" > "$work/$name.hot"
  get_lua "$work/$name.hot" > "$work/$name-hot.lua"
  local hot cold
  hot=$(wrk -t2 -c"$CLIENTS" -d5s -s "$work/$name-hot.lua" "$url1" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  # Cold: fresh servers (no cache), every entry once in random order (one thread).
  stop_servers "$name"
  start_servers "$name" "$n" "$@"
  url1=$(head -1 "$work/$name.urls")
  get_lua "$work/$name.ids" > "$work/$name-cold.lua"
  cold=$(wrk -t1 -c"$CLIENTS" -d1s -s "$work/$name-cold.lua" "$url1" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  stop_servers "$name"
  ROW="$rate | $p99 | $hot | $cold"
}

echo "## transparency log: SQLite and PostgreSQL ($CLIENTS clients, $ENTRIES appends per backend, proofs at $PROOF_SIZE leaves; server, database and load generator on the same cores)"
echo
echo "| backend | nodes | durable appends/s | p99 ms | GET by UUID/s hot | GET by UUID/s cold | inclusion proof at $PROOF_SIZE (avg of 1000) |"
echo "|---|---|---|---|---|---|---|"
measure sqlite 1
proof=$("$bin/signet-logbench" proofs "$work" "$PROOF_SIZE" | awk -F'|' 'NR == 3 {gsub(/ /, "", $5); print $5}')
echo "| SQLite (embedded) | 1 | $ROW | $proof |"
measure pg "$NODES" --database "$db"
proof=$("$bin/signet-logbench" proofs-pg "$proof_db" "$PROOF_SIZE" | awk -F'|' 'NR == 3 {gsub(/ /, "", $5); print $5}')
echo "| PostgreSQL (127.0.0.1, fsync on) | $NODES | $ROW | $proof |"
