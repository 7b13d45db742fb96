#!/usr/bin/env bash
# Builds the frontend into web/dist when it is missing or stale. Idempotent:
# `npm ci` only when node_modules is missing or older than package-lock.json,
# `npm run build` only when dist is missing or older than a source of it.
# Once node_modules is installed everything runs offline from the lockfile.
set -euo pipefail
cd "$(dirname "$0")"

# True when $1 is missing or any later argument (file or directory, searched
# recursively) was modified after it.
stale() {
  local target=$1
  shift
  [[ -e $target ]] || return 0
  [[ -n $(find "$@" -newer "$target" -print -quit 2>/dev/null) ]]
}

if stale node_modules/.package-lock.json package-lock.json package.json; then
  echo "web/build.sh: installing packages (npm ci)" >&2
  npm ci --no-audit --no-fund
fi

if stale dist/index.html src index.html package-lock.json vite.config.js; then
  echo "web/build.sh: building web/dist" >&2
  npm run build --silent
else
  echo "web/build.sh: web/dist is up to date" >&2
fi
