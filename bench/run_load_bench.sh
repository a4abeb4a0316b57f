#!/usr/bin/env bash
# The load figures of bench/RESULTS.md in one command: builds, then runs bench/load_bench.py
# (16 clients, 60 s per run, 3 repeats of every scenario: about 20 minutes). Run it on a quiet
# machine; extra arguments go to load_bench.py (e.g. --duration 10 --repeats 1 for a try).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh build
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
.venv/bin/python bench/load_bench.py "$@"
