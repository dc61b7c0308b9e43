# Sourced by scripts/test.sh (which .ci/run runs): SoftHSM2, the PKCS#11 token the HSM tests
# keep keys in (crates/cli/signet-cli/tests/hsm.rs: each test makes a throwaway token
# directory of its own through SOFTHSM2_CONF, never the system one).
#   install_softhsm     installs Debian's `softhsm2` with apt when softhsm2-util is missing.
install_softhsm() {
  if ! command -v softhsm2-util > /dev/null 2>&1 || [ ! -e /usr/lib/softhsm/libsofthsm2.so ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      softhsm2) > /dev/null 2>&1 \
      || { echo "cannot install SoftHSM2 (apt-get install softhsm2)" >&2; return 1; }
  fi
}
