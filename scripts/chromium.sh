# Sourced by scripts/test.sh: the real headless browser the interactive-login test
# (crates/cli/signet-cli/tests/ambient.rs) and the web UI tests (tests/webui.rs, through
# chromedriver) drive.
#   install_chromium     installs Debian's `chromium` and `chromium-driver` with apt when
#                        either is missing.
install_chromium() {
  if ! command -v chromium > /dev/null 2>&1 || ! command -v chromedriver > /dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium chromium-driver) > /dev/null 2>&1 \
      || { echo "cannot install Chromium (apt-get install chromium chromium-driver)" >&2; return 1; }
  fi
}
