#!/usr/bin/env bash
# Developer helper: build, show only the failure when there is one, exit non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
if cmake --build "${1:-build}" -j2 >"$log" 2>&1; then
  echo "build ok"
else
  grep -E "error|Error" -A3 "$log" | head -40
  rm -f "$log"
  exit 1
fi
rm -f "$log"
