#!/usr/bin/env bash
# Makes sure the headless browser the browser tests drive is installed: Debian's `chromium`
# at /usr/bin/chromium (playwright-core launches it with executablePath; no browser download).
#
# Installs the package with apt-get when it is missing (needs root or passwordless sudo) and
# FAILS LOUDLY when it cannot; it never skips silently. A no-op taking milliseconds when the
# browser is already there. Prints the browser's version on success.
#
# Environment knobs (optional):
#   CHROMIUM_PATH   the browser to check (default /usr/bin/chromium)
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
APT_PACKAGES=(chromium)

log() { echo "[browser] $*"; }

die() {
  {
    echo
    echo "############################################################################"
    echo "##  setup-browser.sh FAILED: headless Chromium is NOT available at $CHROMIUM."
    echo "##"
    local arg
    for arg in "$@"; do printf '%s\n' "$arg" | sed 's/^/##  /'; done
    echo "##"
    echo "##  The browser tests (test/browser/) cannot run without it. Install it by hand (as root):"
    echo "##    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${APT_PACKAGES[*]}"
    echo "##  then re-run: bash scripts/setup-browser.sh"
    echo "############################################################################"
    echo
  } >&2
  exit 1
}

works() { [ -x "$CHROMIUM" ] && "$CHROMIUM" --version >/dev/null 2>&1; }

if works; then
  log "$("$CHROMIUM" --version 2>/dev/null)"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    sudo=(sudo -n)
  else
    die "Installing chromium needs root, but this runs as user '$(id -un)'" \
        "and passwordless sudo is not available."
  fi
fi
command -v apt-get >/dev/null 2>&1 || die "apt-get is not available (not a Debian/Ubuntu system?)."

log "installing ${APT_PACKAGES[*]} with apt-get (first run only)"
# A lock held by a concurrent apt run (another test set-up) is waited for, not failed on.
APT_OPTS=(-o DPkg::Lock::Timeout=300)
${sudo[@]+"${sudo[@]}"} apt-get "${APT_OPTS[@]}" update \
  || die "'apt-get update' failed (no network access to the Debian mirror?)."
${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${APT_PACKAGES[@]}" \
  || die "'apt-get install -y ${APT_PACKAGES[*]}' failed."

works || die "apt-get installed ${APT_PACKAGES[*]}, but '$CHROMIUM --version' still fails."
log "$("$CHROMIUM" --version 2>/dev/null)"
