#!/usr/bin/env bash
# Installs the Debian 12 packages Trellis builds with (and, with --test, the
# ones only the tests need: Chromium for the browser test, clang-14 and
# libFuzzer's runtime for the fuzz targets). Idempotent: it asks apt only
# for what is missing, so a second run costs a dpkg query.
# Boost stays at Debian's default 1.74: libmsgpack-cxx-dev depends on it and
# conflicts with libboost1.81-dev.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libboost-dev libmsgpack-cxx-dev nlohmann-json3-dev
  libgtest-dev librapidcheck-dev libbenchmark-dev libssl-dev libsqlite3-dev
)

# Node.js 20 and npm run the socket.io-client tests: the machine's own when
# present, Debian's otherwise.
if ! command -v node >/dev/null 2>&1; then packages+=(nodejs npm); fi

if [ "${1:-}" = "--test" ]; then
  packages+=(chromium clang-14 libclang-rt-14-dev)
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--test]" >&2
  exit 2
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
