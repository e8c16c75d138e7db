#!/usr/bin/env bash
# Builds the C++ programs that the interop tests use as real OpenIGTLink peers:
#
#   * every example program of the Debian package `openigtlink-examples`
#     (sources in /usr/share/doc/openigtlink-examples/examples, built against
#     `libopenigtlink-dev` 1.11), and
#   * every `*.cxx` file directly inside test/support/cpp/ and bench/cpp/
#     (one program per file, named after the file, linked against OpenIGTLink;
#     headers next to the file can be #included).
#
# Output: .cache/cpp-peers/bin/<Program>   (plus bin/img = the Imager test images)
#
# Installs the Debian packages when they are missing (needs root or passwordless
# sudo) and FAILS LOUDLY when it cannot; it never skips silently.
# Idempotent: a stamp (library version + hash of this script + hash of the extra
# sources) makes a second run a no-op that takes a few milliseconds.
#
# Environment knobs (all optional):
#   CPP_PEERS_JOBS             parallel build jobs (default 2)
#   CPP_PEERS_FORCE=1          ignore the stamp and rebuild
#   OPENIGTLINK_EXAMPLES_DIR   example sources (default /usr/share/doc/openigtlink-examples/examples)
#   OpenIGTLink_DIR            dir with OpenIGTLinkConfig.cmake (default /usr/lib/openigtlink)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPT="$ROOT/scripts/$(basename "${BASH_SOURCE[0]}")"
CACHE="$ROOT/.cache/cpp-peers"
SRC="$CACHE/src"
BUILD="$CACHE/build"
BIN="$CACHE/bin"
STAMP="$CACHE/stamp"
PROGRAMS_FILE="$CACHE/programs.txt"
EXAMPLES_DIR="${OPENIGTLINK_EXAMPLES_DIR:-/usr/share/doc/openigtlink-examples/examples}"
IGTL_CMAKE_DIR="${OpenIGTLink_DIR:-/usr/lib/openigtlink}"
EXTRA_DIRS=("$ROOT/test/support/cpp" "$ROOT/bench/cpp")
JOBS="${CPP_PEERS_JOBS:-2}"
# `make` is listed explicitly: cmake only *recommends* it, and many CI images
# install without recommends.
# `faketime` (libfaketime) is not a C++ peer: test/e2e/cli-clock-step.test.ts steps the system
# clock of one process with it. Installed here, with the rest of what `npm test` needs.
APT_PACKAGES=(libopenigtlink-dev openigtlink-examples cmake g++ make faketime)

log() { echo "[cpp-peers] $*"; }

die() {
  {
    echo
    echo "############################################################################"
    echo "##  setup-cpp-peers.sh FAILED: the OpenIGTLink C++ interop peers are NOT built."
    echo "##"
    local arg
    for arg in "$@"; do printf '%s\n' "$arg" | sed 's/^/##  /'; done
    echo "##"
    echo "##  Interop tests cannot run without them."
    if [ "${DIE_APT_HINT:-0}" = 1 ]; then
      echo "##  Install the packages by hand (as root):"
      echo "##    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${APT_PACKAGES[*]}"
    fi
    echo "##  Fix the problem, then re-run: bash scripts/setup-cpp-peers.sh"
    echo "############################################################################"
    echo
  } >&2
  exit 1
}

# ---------------------------------------------------------------------------
# Stamp (computed first so that the up-to-date case is as cheap as possible)
# ---------------------------------------------------------------------------
library_version() {
  local dpkg_ver="" cmake_ver=""
  if command -v dpkg-query >/dev/null 2>&1; then
    dpkg_ver="$(dpkg-query -W -f='${Version}' libopenigtlink-dev 2>/dev/null || true)"
  fi
  if [ -f "$IGTL_CMAKE_DIR/OpenIGTLinkConfig.cmake" ]; then
    cmake_ver="$(sed -n 's/^SET(OpenIGTLink_VERSION_\(MAJOR\|MINOR\|PATCH\) "\([0-9]*\)")/\2/p' \
      "$IGTL_CMAKE_DIR/OpenIGTLinkConfig.cmake" | paste -sd. -)"
  fi
  echo "dpkg=${dpkg_ver:-none} cmake=${cmake_ver:-none}"
}

existing_extra_dirs() {
  local d
  for d in "${EXTRA_DIRS[@]}"; do
    if [ -d "$d" ]; then echo "$d"; fi
  done
}

extra_sources() { # the *.cxx that become programs, sorted
  local dirs
  mapfile -t dirs < <(existing_extra_dirs)
  if [ "${#dirs[@]}" -gt 0 ]; then
    find "${dirs[@]}" -maxdepth 1 -type f -name '*.cxx' | LC_ALL=C sort
  fi
}

extras_hash() { # every file under the extra dirs (sources and helper headers)
  local dirs
  mapfile -t dirs < <(existing_extra_dirs)
  if [ "${#dirs[@]}" -gt 0 ]; then
    find "${dirs[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1
  else
    echo none
  fi
}

compute_stamp() {
  echo "library: $(library_version)"
  echo "examples: $EXAMPLES_DIR"
  echo "script: $(sha256sum "$SCRIPT" | cut -d' ' -f1)"
  echo "extras: $(extras_hash)"
}

print_programs() {
  local n
  n="$(wc -l <"$PROGRAMS_FILE" | tr -d ' ')"
  log "$n programs in $BIN:"
  paste -sd' ' "$PROGRAMS_FILE" | fold -s -w 100 | sed 's/^/    /'
}

all_programs_present() {
  [ -f "$PROGRAMS_FILE" ] || return 1
  local p
  while IFS= read -r p; do
    [ -x "$BIN/$p" ] || return 1
  done <"$PROGRAMS_FILE"
  return 0
}

mkdir -p "$CACHE"
# Serialise concurrent runs (two terminals, parallel CI steps).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  flock 9
fi

# libfaketime: a test tool, not part of the build, so the stamp does not cover it.
have_libfaketime() {
  compgen -G "/usr/lib/*/faketime/libfaketimeMT.so.1" >/dev/null || compgen -G "/usr/lib/faketime/libfaketimeMT.so.1" >/dev/null
}

STAMP_NOW="$(compute_stamp)"
if [ "${CPP_PEERS_FORCE:-0}" != "1" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_NOW" ] && all_programs_present && have_libfaketime; then
  log "up to date ($(head -n1 "$STAMP"))"
  print_programs
  exit 0
fi

# ---------------------------------------------------------------------------
# Prerequisites (install with apt-get when missing)
# ---------------------------------------------------------------------------
missing_prereqs() {
  local m=()
  [ -f "$IGTL_CMAKE_DIR/OpenIGTLinkConfig.cmake" ] || m+=("OpenIGTLink CMake config ($IGTL_CMAKE_DIR/OpenIGTLinkConfig.cmake)")
  [ -f /usr/include/openigtlink/igtlMessageBase.h ] || m+=("OpenIGTLink headers (/usr/include/openigtlink)")
  compgen -G "/usr/lib/libOpenIGTLink.so*" >/dev/null || compgen -G "/usr/lib/*/libOpenIGTLink.so*" >/dev/null \
    || m+=("OpenIGTLink library (libOpenIGTLink.so)")
  [ -f "$EXAMPLES_DIR/CMakeLists.txt" ] || m+=("OpenIGTLink example sources ($EXAMPLES_DIR)")
  command -v cmake >/dev/null 2>&1 || m+=("cmake")
  command -v g++ >/dev/null 2>&1 || command -v c++ >/dev/null 2>&1 || m+=("a C++ compiler (g++)")
  command -v make >/dev/null 2>&1 || m+=("make")
  have_libfaketime || m+=("libfaketime (libfaketimeMT.so.1, package faketime)")
  if [ "${#m[@]}" -gt 0 ]; then printf '%s\n' "${m[@]}"; fi
}

install_packages() {
  local sudo=()
  DIE_APT_HINT=1
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
      sudo=(sudo -n)
    else
      die "Missing: $1" \
          "Installing the Debian packages needs root, but this runs as user '$(id -un)'" \
          "and passwordless sudo is not available."
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || die "Missing: $1" "apt-get is not available (not a Debian/Ubuntu system?)."
  log "missing: $1"
  log "installing: ${APT_PACKAGES[*]}"
  ${sudo[@]+"${sudo[@]}"} apt-get update \
    || die "Missing: $1" "'apt-get update' failed (no network access to the Debian mirror?)."
  ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y "${APT_PACKAGES[@]}" \
    || die "Missing: $1" "'apt-get install -y ${APT_PACKAGES[*]}' failed."
}

MISSING="$(missing_prereqs)"
if [ -n "$MISSING" ]; then
  install_packages "$(echo "$MISSING" | paste -sd';' - | sed 's/;/; /g')"
  MISSING="$(missing_prereqs)"
  if [ -n "$MISSING" ]; then
    mapfile -t STILL <<<"$MISSING"
    die "Still missing after apt-get install:" "${STILL[@]/#/  - }"
  fi
  STAMP_NOW="$(compute_stamp)" # the library version is known now
fi

# ---------------------------------------------------------------------------
# Sources: copy of the example tree + generated CMakeLists.txt
# ---------------------------------------------------------------------------
# The examples' own CMakeLists need cmake_minimum_required(2.4) (rejected by
# CMake >= 4), comment out BindServer, and pull in the obsolete
# OpenIGTLinkBuildSettings.cmake; so we build from our own CMakeLists.txt and do
# not patch any source.
mkdir -p "$SRC" "$BIN"
rm -rf "$SRC/examples"
cp -a "$EXAMPLES_DIR" "$SRC/examples" # -a keeps mtimes: unchanged files are not recompiled

declare -A SEEN=()
PROGRAM_LINES=()
PROGRAMS=()
add_program() { # name source optimisation
  local name="$1" src="$2" opt="$3"
  [[ "$name" =~ ^[A-Za-z][A-Za-z0-9_-]*$ ]] || die "Invalid program name '$name' (from $src)." \
    "File names must match [A-Za-z][A-Za-z0-9_-]*.cxx"
  case "$name" in all | clean | help | install | test | package | depend | edit_cache | rebuild_cache | img)
    die "Program name '$name' (from $src) is reserved; rename the file." ;;
  esac
  if [ -n "${SEEN[$name]:-}" ]; then
    die "Two sources define the program '$name':" "  ${SEEN[$name]}" "  $src" "Rename one of them."
  fi
  SEEN[$name]="$src"
  PROGRAMS+=("$name")
  PROGRAM_LINES+=("igtlrx_program($name \"$src\" $opt)")
}
while IFS= read -r f; do
  add_program "$(basename "$f" .cxx)" "$f" -O1
done < <(find "$SRC/examples" -type f -name '*.cxx' | LC_ALL=C sort)
N_EXAMPLES="${#PROGRAMS[@]}"
while IFS= read -r f; do
  [ -n "$f" ] || continue
  add_program "$(basename "$f" .cxx)" "$f" -O2
done < <(extra_sources)
N_EXTRA=$((${#PROGRAMS[@]} - N_EXAMPLES))

CMAKELISTS_NEW="$(
  cat <<'EOF'
# Generated by scripts/setup-cpp-peers.sh -- do not edit.
cmake_minimum_required(VERSION 3.10)
project(igtl_rx_cpp_peers CXX)

# OpenIGTLinkBuildSettings.cmake (1.11) is an obsolete stub (FATAL_ERROR if ever loaded) and
# the CMakeImportBuildSettings module that loads it is deprecated: skip it.
set(SKIP_OpenIGTLink_BUILD_SETTINGS_FILE ON)
find_package(OpenIGTLink REQUIRED)
include(${OpenIGTLink_USE_FILE})

find_library(IGTLRX_OPENIGTLINK_LIBRARY NAMES OpenIGTLink
  HINTS ${OpenIGTLink_LIBRARY_DIRS} PATHS /usr/lib /usr/local/lib)
if(NOT IGTLRX_OPENIGTLINK_LIBRARY)
  message(FATAL_ERROR "libOpenIGTLink not found (looked in ${OpenIGTLink_LIBRARY_DIRS})")
endif()
find_package(Threads REQUIRED)

set(CMAKE_RUNTIME_OUTPUT_DIRECTORY "${IGTLRX_BIN_DIR}")

# Examples: -O1 (fastest to build here, about 15 s for all on 2 cores; they are not
# performance critical). test/support/cpp + bench/cpp programs: -O2.
function(igtlrx_program name source opt)
  add_executable(${name} "${source}")
  target_compile_options(${name} PRIVATE ${opt})
  get_filename_component(dir "${source}" DIRECTORY)
  target_include_directories(${name} PRIVATE "${dir}")
  target_link_libraries(${name} PRIVATE "${IGTLRX_OPENIGTLINK_LIBRARY}" Threads::Threads)
endfunction()

EOF
  printf '%s\n' "${PROGRAM_LINES[@]}"
)"
# Only rewrite when changed, so an unchanged tree does not even re-configure.
if [ ! -f "$SRC/CMakeLists.txt" ] || [ "$(cat "$SRC/CMakeLists.txt")" != "$CMAKELISTS_NEW" ]; then
  printf '%s\n' "$CMAKELISTS_NEW" >"$SRC/CMakeLists.txt"
fi

# ---------------------------------------------------------------------------
# Configure + build
# ---------------------------------------------------------------------------
configure() {
  cmake -S "$SRC" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE= \
    -DOpenIGTLink_DIR="$IGTL_CMAKE_DIR" \
    -DIGTLRX_BIN_DIR="$BIN" >"$CACHE/configure.log" 2>&1
}

T0=$(date +%s)
log "building ${#PROGRAMS[@]} programs ($N_EXAMPLES examples + $N_EXTRA from test/support/cpp, bench/cpp) with -j$JOBS"
log "(a cold build of the examples takes 15-20 s on 2 cores; log: $CACHE/build.log)"
if ! configure; then
  # A stale cache (moved checkout, other generator, ...) is the usual cause: retry clean once.
  rm -rf "$BUILD"
  configure || die "CMake configure failed. Last lines of $CACHE/configure.log:" \
    "$(tail -n 40 "$CACHE/configure.log")"
fi
if ! cmake --build "$BUILD" -j "$JOBS" >"$CACHE/build.log" 2>&1; then
  die "Build failed. Errors in $CACHE/build.log:" "$(grep -E 'error|Error' "$CACHE/build.log" | head -n 40)" \
    "" "Last lines:" "$(tail -n 15 "$CACHE/build.log")"
fi

for p in "${PROGRAMS[@]}"; do
  [ -x "$BIN/$p" ] || die "Build reported success but $BIN/$p is missing."
done

# Data files: the Imager / ImageDatabaseServer programs take an image directory
# argument (resolved against their cwd); bin/img lets tests pass just "img".
rm -rf "$BIN/img"
cp -a "$SRC/examples/Imager/img" "$BIN/img"

# Remove programs whose source disappeared.
printf '%s\n' "${PROGRAMS[@]}" | LC_ALL=C sort >"$PROGRAMS_FILE"
for f in "$BIN"/*; do
  b="$(basename "$f")"
  [ "$b" = img ] && continue
  grep -qxF "$b" "$PROGRAMS_FILE" || rm -rf "$f"
done

printf '%s\n' "$STAMP_NOW" >"$STAMP.tmp"
mv "$STAMP.tmp" "$STAMP"
log "built in $(($(date +%s) - T0)) s"
print_programs
