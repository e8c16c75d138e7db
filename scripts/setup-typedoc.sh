#!/usr/bin/env bash
# Installs TypeDoc for `npm run docs` (the API reference, docs/api.md) into .cache/typedoc:
#
#   .cache/typedoc/  <- tools/typedoc/package.json, package-lock.json  (typedoc + TypeScript 5.x)
#
# Apart from the repository's own node_modules because TypeDoc runs on the TypeScript 5.x
# compiler API, while the repository builds with TypeScript 7 (which has none); TypeDoc still
# reads the repository's tsconfig.json and resolves rxjs, ws, @types/node from its node_modules.
#
# - `npm ci` when node_modules is missing or the package.json / lock changed (a stamp in
#   node_modules); otherwise a no-op. --ignore-scripts: TypeDoc and TypeScript need none.
# - FAILS LOUDLY when the npm registry is unreachable or npm fails; it never skips.
#
# Usage: bash scripts/setup-typedoc.sh   (prints TypeDoc's bin on its last line)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SRC="$ROOT/tools/typedoc"
STAGE="$ROOT/.cache/typedoc"
STAMP="$STAGE/node_modules/.igtl-rx-setup-stamp"
BIN="$STAGE/node_modules/typedoc/bin/typedoc"

log() { echo "[typedoc] $*" >&2; }

die() {
  {
    echo
    echo "############################################################################"
    echo "##  setup-typedoc.sh FAILED: TypeDoc is NOT installed, the API reference"
    echo "##  (npm run docs) cannot be built."
    local arg
    for arg in "$@"; do printf '%s\n' "$arg" | sed 's/^/##  /'; done
    echo "##  Re-run: bash scripts/setup-typedoc.sh"
    echo "############################################################################"
    echo
  } >&2
  exit 1
}

command -v npm >/dev/null 2>&1 || die "npm is not on PATH."
mkdir -p "$STAGE"
for f in package.json package-lock.json; do
  [ -f "$SRC/$f" ] || die "tools/typedoc/$f is missing."
done

want="$(cat "$SRC/package.json" "$SRC/package-lock.json" | sha256sum | cut -d' ' -f1) node-$(node --version)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ] || [ ! -f "$BIN" ]; then
  cp "$SRC/package.json" "$SRC/package-lock.json" "$STAGE/"
  registry="$(cd "$STAGE" && npm config get registry)"
  log "installing TypeDoc (npm ci in .cache/typedoc; registry $registry)"
  rm -rf "$STAGE/node_modules"
  start=$(date +%s)
  (cd "$STAGE" && timeout 600 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2 \
    || die "'npm ci' failed in .cache/typedoc (see npm's output above; is the registry $registry reachable?)." \
           "If tools/typedoc/package.json changed, update its lock and commit it:" \
           "  cd tools/typedoc && npm install --package-lock-only --ignore-scripts"
  echo "$want" >"$STAMP"
  log "installed in $(($(date +%s) - start)) s: TypeDoc $(node -p "require('$STAGE/node_modules/typedoc/package.json').version"), TypeScript $(node -p "require('$STAGE/node_modules/typescript/package.json').version")"
fi
echo "$BIN"
