#!/usr/bin/env bash
# hadolint over every Dockerfile in the tree (tracked or new); passes when there are none yet.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <({ git ls-files "*Dockerfile*"; git ls-files --others --exclude-standard "*Dockerfile*"; } \
  | sort -u | while read -r p; do [ -f "$p" ] && echo "$p"; done)
if [ ${#files[@]} -eq 0 ]; then echo "no Dockerfiles yet"; exit 0; fi
printf '%s\n' "${files[@]}"
hadolint "${files[@]}"
