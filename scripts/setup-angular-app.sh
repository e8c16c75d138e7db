#!/usr/bin/env bash
# Assembles and installs the Angular starter of docs/angular.md as a real `ng new` app (Angular
# 20, @angular/build, its own TypeScript 5.x) for test/angular/angular-app.build.test.ts:
#
#   .cache/angular-app/  <- test/angular-app/*  (package.json, package-lock.json, .npmrc,
#                                                angular.json, tsconfig*.json, src/index.html, ...)
#                        <- test/angular/src/**  (the doc's code blocks: src/main.ts, src/app/*.ts)
#
# The app is assembled outside test/ because the repository's own type-check (TypeScript 7,
# tsconfig.test.json includes test/) must not see an Angular app's node_modules or files.
# It sits two levels below the root, like test/angular-app, so the app's dependency
# "igtl-rx": "file:../.." is this repository, installed as a user gets it: .npmrc says
# install-links=true, so npm PACKS the repository (package.json "files": dist/, docs/) and
# installs the tarball with its dependencies from the app's lock; nothing is symlinked and the
# app resolves 'igtl-rx' and 'igtl-rx/operators' through the package's ESM "exports".
#
# - `npm ci` in .cache/angular-app when node_modules is missing or package.json, the lock or
#   .npmrc changed (a stamp in node_modules); otherwise a no-op for the install.
# - igtl-rx itself is re-packed and re-extracted on every run (a second or two), so the app
#   always builds against the dist/ that `npm test` just built.
# - --ignore-scripts throughout: the repository's prepare/prepack scripts (npm run build) must
#   not run again inside the test (npm test has just built dist/), and the app's packages need
#   none (esbuild, lmdb, @parcel/watcher ship prebuilt binaries as optional dependencies).
# - FAILS LOUDLY when dist/ is missing, when the npm registry is unreachable, or when npm fails;
#   it never skips.
#
# Usage: bash scripts/setup-angular-app.sh   (prints the app's directory on its last line)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
APP="$ROOT/test/angular-app"
DOC_SRC="$ROOT/test/angular/src"
STAGE="$ROOT/.cache/angular-app"
STAMP="$STAGE/node_modules/.igtl-rx-setup-stamp"

log() { echo "[angular-app] $*" >&2; }

die() {
  {
    echo
    echo "############################################################################"
    echo "##  setup-angular-app.sh FAILED: the Angular starter app is NOT installed."
    echo "##"
    local arg
    for arg in "$@"; do printf '%s\n' "$arg" | sed 's/^/##  /'; done
    echo "##"
    echo "##  test/angular/angular-app.build.test.ts cannot build the app of docs/angular.md"
    echo "##  without it. Re-run: bash scripts/setup-angular-app.sh"
    echo "############################################################################"
    echo
  } >&2
  exit 1
}

command -v npm >/dev/null 2>&1 || die "npm is not on PATH."
[ -f "$ROOT/dist/src/index.js" ] && [ -f "$ROOT/dist/operators/index.js" ] \
  || die "dist/ is missing: the app installs igtl-rx from this repository's build." \
         "Run 'npm run build' first (npm test does)."

# 1. Assemble: the app's files, then the doc's sources over them (stale sources removed).
mkdir -p "$STAGE"
for f in package.json package-lock.json .npmrc angular.json tsconfig.json tsconfig.app.json; do
  [ -f "$APP/$f" ] || die "test/angular-app/$f is missing."
  cp "$APP/$f" "$STAGE/$f"
done
rm -rf "$STAGE/src"
cp -R "$APP/src" "$STAGE/src"
cp -R "$DOC_SRC/." "$STAGE/src/"

# 2. Install when needed.
want="$(cat "$APP/package.json" "$APP/package-lock.json" "$APP/.npmrc" | sha256sum | cut -d' ' -f1) node-$(node --version)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
  registry="$(cd "$STAGE" && npm config get registry)"
  log "installing the app's dependencies (npm ci in .cache/angular-app; registry $registry)"
  (cd "$STAGE" && npm ping --fetch-timeout=20000 --fetch-retries=1 >/dev/null 2>&1) \
    || die "The npm registry ($registry) is unreachable ('npm ping' failed)." \
           "The app's dependencies (@angular/build, @angular/core, typescript 5.x, ...) come from it."
  rm -rf "$STAGE/node_modules"
  start=$(date +%s)
  (cd "$STAGE" && timeout 900 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2 \
    || die "'npm ci' failed in .cache/angular-app (see npm's output above)." \
           "If test/angular-app/package.json changed, update its lock and commit it:" \
           "  cd test/angular-app && npm install --package-lock-only --ignore-scripts"
  echo "$want" >"$STAMP"
  log "installed in $(($(date +%s) - start)) s ($(du -sh "$STAGE/node_modules" | cut -f1))"
fi

# 3. This repository's current build as the installed igtl-rx (its nested node_modules kept).
PKG_DIR="$STAGE/node_modules/igtl-rx"
[ -d "$PKG_DIR" ] || die "npm did not install igtl-rx into .cache/angular-app/node_modules."
rm -rf "$STAGE/.pack" && mkdir -p "$STAGE/.pack"
tarball="$(cd "$ROOT" && npm pack --ignore-scripts --silent --pack-destination "$STAGE/.pack" 2>/dev/null | tail -n 1)"
[ -f "$STAGE/.pack/$tarball" ] || die "'npm pack' of the repository failed."
find "$PKG_DIR" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
tar -xzf "$STAGE/.pack/$tarball" -C "$PKG_DIR" --strip-components=1

# 4. Every dependency of igtl-rx must be installed (a dependency added to the root package.json
#    after the app's lock was made is not): then update the lock in place and say so.
missing="$(cd "$STAGE" && node -e '
  const fs = require("fs"), path = require("path");
  const deps = Object.keys(require("./node_modules/igtl-rx/package.json").dependencies || {});
  const found = (d) => ["node_modules/igtl-rx/node_modules", "node_modules"].some((b) => fs.existsSync(path.join(b, d, "package.json")));
  console.log(deps.filter((d) => !found(d)).join(" "));
')"
if [ -n "$missing" ]; then
  log "igtl-rx's dependencies missing from the app's lock: $missing; running npm install"
  (cd "$STAGE" && timeout 900 npm install --ignore-scripts --no-audit --no-fund --loglevel=error) >&2 \
    || die "'npm install' in .cache/angular-app failed (missing: $missing)."
  echo "$want" >"$STAMP"
  {
    echo "############################################################################"
    echo "##  test/angular-app/package-lock.json is out of date (igtl-rx now depends on: $missing)."
    echo "##  Installed in .cache/angular-app for this run; to fix the lock, then commit it:"
    echo "##    cd test/angular-app && npm install --package-lock-only --ignore-scripts"
    echo "############################################################################"
  } >&2
fi

log "ready: igtl-rx $(node -p "require('$PKG_DIR/package.json').version") from $tarball, Angular $(node -p "require('$STAGE/node_modules/@angular/core/package.json').version"), TypeScript $(node -p "require('$STAGE/node_modules/typescript/package.json').version")"
echo "$STAGE"
