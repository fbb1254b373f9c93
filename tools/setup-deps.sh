#!/usr/bin/env bash
# Installs the Debian 12 packages asthra needs to build and test, with apt-get,
# but only those that are missing: when everything is there it prints nothing
# and touches nothing. Needs root (or sudo) only when it has to install.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  clang libclang-rt-14-dev python3
  libgc-dev libfmt-dev
  libmimalloc-dev libjemalloc-dev gnuplot-nox   # bench/run's baselines and plots
  libgtest-dev libgmock-dev libbenchmark-dev
  gdb binutils
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup-deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "setup-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-deps: done"
