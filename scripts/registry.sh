# Sourced by the demo, the interop tests and the image benchmark: a real OCI registry
# (Debian's `docker-registry`, CNCF distribution 2.8.2) on a free 127.0.0.1 port, with htpasswd
# (Basic) authentication and storage in a scratch directory. Never the packaged configuration
# (that one listens on :5000 on every interface).
#   install_registry     installs docker-registry and apache2-utils with apt when missing;
#   start_registry DIR   installs them (install_registry), starts
#                        the registry, waits until /v2/ answers, and sets REGISTRY (host:port),
#                        REGISTRY_USER, REGISTRY_PASS and registry_pid (kill it when done).
install_registry() {
  if [ ! -x /usr/bin/docker-registry ] || ! command -v htpasswd > /dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      docker-registry apache2-utils) > /dev/null 2>&1 \
      || { echo "cannot install docker-registry and apache2-utils (apt-get install docker-registry apache2-utils)" >&2; return 1; }
  fi
}
start_registry() {
  local dir=$1 port
  install_registry || return 1
  mkdir -p "$dir/data"
  REGISTRY_USER=signet-tester REGISTRY_PASS=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASS" > "$dir/htpasswd" 2> /dev/null
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat > "$dir/config.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
auth: {htpasswd: {realm: signet-registry, path: $dir/htpasswd}}
YML
  /usr/bin/docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
  registry_pid=$!
  REGISTRY=127.0.0.1:$port
  for _ in $(seq 100); do
    # 401 (authentication required) means it is up.
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/")" = 401 ] && return 0
    sleep 0.1
  done
  echo "the registry did not start:" >&2; cat "$dir/registry.log" >&2; return 1
}
