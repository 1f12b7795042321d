#!/usr/bin/env bash
# System packages the test suite needs beyond the Python virtual environment (Debian/Ubuntu).
#
# - chromium: the headless browser that opens the KPI report in tests/test_report.py.
# - postgresql: the server tests/postgres_server.py starts privately (initdb/pg_ctl of
#   /usr/lib/postgresql/<version>/bin, on 127.0.0.1) for the PostgreSQL publish tests.
# - openjdk-17-jre-headless: the JVM of the local Spark (pyspark) in tests/test_engines.py.
#
# Idempotent and quiet: installs only what is missing, with apt-get (needs root, or sudo).
# Called by `make test`; safe to run by hand.
set -euo pipefail

# Debian package name -> a command (or an executable file) that proves it is installed.
declare -A PACKAGES=(
    [chromium]=chromium
    [postgresql]='/usr/lib/postgresql/*/bin/postgres'
    [openjdk-17-jre-headless]=java
)

installed() {
    local proof
    for proof in ${1}; do # unquoted: the glob expands to the installed versions
        [ -x "$proof" ] && return 0
    done
    command -v "$1" >/dev/null 2>&1
}

missing=()
for package in "${!PACKAGES[@]}"; do
    if ! installed "${PACKAGES[$package]}"; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-dependencies: apt-get not found; install these by hand: ${missing[*]}" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "install-test-dependencies: installing ${missing[*]}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! {
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}"
} >"$log" 2>&1; then
    cat "$log" >&2
    echo "install-test-dependencies: apt-get failed" >&2
    exit 1
fi
