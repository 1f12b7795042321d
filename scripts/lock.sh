#!/usr/bin/env bash
# Writes the two lock files from pyproject.toml:
#
# - requirements.lock      the core dependencies, pinned: what `make setup` / `make run` install;
# - requirements-dev.lock  `-r requirements.lock` plus every extra of pyproject.toml (test,
#                          postgres, spark, semantic), pinned: what `make test` installs.
#
# Each set is resolved by pip (`pip install --dry-run --report`) in a throw-away virtual
# environment, for the Python that runs this script (3.11), and written as name==version.
#
#   scripts/lock.sh            keep every version already pinned; resolve only what is new
#                              (after adding a dependency to pyproject.toml)
#   scripts/lock.sh --upgrade  resolve everything afresh: the newest versions pyproject allows
#
# Then `make test` on the result, and commit pyproject.toml and both lock files together.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
export LC_ALL=C # comm and the sorted pins agree on the order

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m venv "$work/venv"
pip=("$work/venv/bin/python" -m pip)
"${pip[@]}" install --quiet --upgrade pip

constraints=()
if [ "${1:-}" != "--upgrade" ]; then
    cat requirements.lock requirements-dev.lock 2>/dev/null | grep -E '^[A-Za-z0-9]' >"$work/pins.txt" || true
    constraints=(-c "$work/pins.txt")
fi

# The pinned set of `pip install <what>`, as sorted name==version lines (the project excluded).
resolve() {
    "${pip[@]}" install --quiet --dry-run --ignore-installed --report "$work/report.json" \
        "${constraints[@]}" "$@"
    "$work/venv/bin/python" - "$work/report.json" <<'EOF'
import json
import re
import sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
pins = {
    re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower(): item["metadata"]["version"]
    for item in report["install"]
}
pins.pop("nyckeltal", None)
print("\n".join(sorted(f"{name}=={version}" for name, version in pins.items())))
EOF
}

extras="$("$work/venv/bin/python" -c 'import tomllib; print(",".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]))')"
resolve -e . >"$work/core.txt"
constraints+=(-c "$work/core.txt") # the extras never move a core pin
resolve -e ".[$extras]" >"$work/all.txt"

header="# Made by scripts/lock.sh from pyproject.toml (Python 3.11); refresh: scripts/lock.sh
# (keeps these versions, adds what is new) or scripts/lock.sh --upgrade (newest allowed)."
{
    echo "# The core dependencies, pinned: \`make setup\` and \`make run\` install exactly these."
    echo "$header"
    cat "$work/core.txt"
} >requirements.lock
{
    echo "# The extras (test, postgres, spark, semantic), pinned: \`make test\` installs these."
    echo "$header"
    echo "-r requirements.lock"
    comm -13 "$work/core.txt" "$work/all.txt"
} >requirements-dev.lock
echo "wrote requirements.lock ($(wc -l <"$work/core.txt") pins) and requirements-dev.lock" \
    "($(comm -13 "$work/core.txt" "$work/all.txt" | wc -l) more)"
