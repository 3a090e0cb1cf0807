#!/usr/bin/env bash
# Run every benchmark notebook in nbs/benchmarks/ with papermill (small default sizes) and print a summary.
# Executed notebooks and result JSON files land in bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
notebooks=(nbs/benchmarks/*.ipynb)
if [ ${#notebooks[@]} -eq 0 ]; then echo "no benchmark notebooks in nbs/benchmarks/ yet"; exit 0; fi
mkdir -p bench-results
exec bash tools/with_servers.sh python tools/run_benchmarks.py "${notebooks[@]}"
