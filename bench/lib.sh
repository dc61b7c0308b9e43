# Helpers shared by the bench scripts (sourced, not run). Loopback only.

# server_url OUT: waits up to 10 s for `signet server` to print "listening" into the file OUT,
# then prints the first URL (http:// or https://) it announced (fails if there is none).
server_url() {
  for _ in $(seq 100); do grep -q listening "$1" 2>/dev/null && break; sleep 0.1; done
  grep -o 'https\?://[0-9.:]*' "$1" | head -1
}

# tls_files DIR: a throwaway CA (DIR/ca.pem) and a server certificate for 127.0.0.1 it issued
# (DIR/server.pem, key DIR/server.key), ECDSA P-256, valid for a day (openssl).
tls_files() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj "/CN=signet bench CA" -keyout "$d/ca.key" -out "$d/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1" > "$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 1 -extfile "$d/server.ext" -out "$d/server.pem" 2>/dev/null
}

# tree_size URL: the log's current tree size.
tree_size() {
  curl -s "$1/api/v1/log" | python3 -c "import json,sys; print(json.load(sys.stdin)['treeSize'])"
}

# shuffled_entry_ids DB: the entry ID of every entry in a (stopped) log's SQLite file, one per
# line, in random order.
shuffled_entry_ids() {
  python3 - "$1" <<'PY'
import random, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
t = int(c.execute("select v from meta where k='tree_id'").fetchone()[0])
ids = ["%016x" % t + u.hex() for (u,) in c.execute("select uuid from entries")]
random.shuffle(ids)
print("\n".join(ids))
PY
}

# get_lua IDS: a wrk script that GETs, in turn, the entries whose IDs are listed in the file IDS.
get_lua() {
  cat <<LUA
local ids = {}
for line in io.lines("$1") do ids[#ids+1] = line end
local i = 0
request = function() i = i + 1; return wrk.format("GET", "/api/v1/log/entries/" .. ids[(i % #ids) + 1]) end
LUA
}
