# Sourced by scripts/test.sh: the real headless browser the interactive-login test drives
# (crates/cli/signet-cli/tests/ambient.rs).
#   install_chromium     installs Debian's `chromium` with apt when it is missing.
install_chromium() {
  if ! command -v chromium > /dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium) > /dev/null 2>&1 \
      || { echo "cannot install Chromium (apt-get install chromium)" >&2; return 1; }
  fi
}
