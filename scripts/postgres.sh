# Sourced by .ci/run and scripts/test.sh: the PostgreSQL server binaries the PostgreSQL-backed
# tests need (they start their own throwaway cluster with initdb on a free 127.0.0.1 port, never
# a system service; see crates/dev/signet-testkit/src/postgres.rs).
#   install_postgres     installs Debian's `postgresql` with apt when initdb is missing.
install_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      postgresql) > /dev/null 2>&1 \
      || { echo "cannot install PostgreSQL (apt-get install postgresql)" >&2; return 1; }
  fi
}
