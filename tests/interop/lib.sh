# Shared by the interop drivers (source it after setting $work, a scratch directory):
#   start_server SIGNET ARGS...  runs `SIGNET server ARGS...` in the background, sets $pid and
#                                $url (waits up to 10 s for "listening"); stopped on exit;
#   start_keyed SIGNET           start_server on a fresh data directory, plus a managed key
#                                pair $work/k.key, $work/k.pub;
#   check NAME CMD...            counts a pass when CMD succeeds;
#   refuse NAME REGEX CMD...     counts a pass when CMD fails and its output matches REGEX
#                                (grep -E -i: refused for the expected reason, not a usage error);
#   summary                      prints "interop: N passed, M failed" (scripts/test.sh sums it).
pid=; pass=0; fail=0
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
start_server() {
  local signet=$1; shift
  "$signet" server "$@" > "$work/out" 2> "$work/err" &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
  url=$(grep -o 'http://[0-9.:]*' "$work/out" | head -1)
  [ -n "$url" ] || { echo "interop FAILED: signet server did not start"; cat "$work/err"; }
}
start_keyed() {
  start_server "$1" --data-dir "$work/data" --addr 127.0.0.1:0
  "$1" generate-key-pair --output-key-prefix "$work/k" > /dev/null 2>&1
}
check() { local name=$1; shift; if "$@" > "$work/last" 2>&1; then pass=$((pass+1)); echo "interop ok: $name"; else fail=$((fail+1)); echo "interop FAILED: $name"; cat "$work/last"; fi; }
refuse() {
  local name=$1 why=$2; shift 2
  if "$@" > "$work/last" 2>&1; then fail=$((fail+1)); echo "interop FAILED (accepted): $name"; cat "$work/last"
  elif ! grep -E -i -q -- "$why" "$work/last"; then fail=$((fail+1)); echo "interop FAILED (refused, but not for /$why/): $name"; cat "$work/last"
  else pass=$((pass+1)); echo "interop ok: $name (refused: $(grep -E -i -m1 -- "$why" "$work/last" | cut -c1-150))"; fi
}
summary() { [ -n "$url" ] || fail=$((fail+1)); echo "interop: $pass passed, $fail failed"; }
