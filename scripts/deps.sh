#!/usr/bin/env bash
# Installs the system packages Convrelay's commands need on Debian/Ubuntu, once:
#   scripts/deps.sh run     what `make run` needs (PostgreSQL's server binaries)
#   scripts/deps.sh test    what `make test` needs (also gcc, Chromium for the browser tests)
#   scripts/deps.sh ci      what .ci/run needs (test, plus make)
#   scripts/deps.sh --check test   only print what would be installed
# As root it installs with apt-get; otherwise it prints the one command to run.
# Go itself is not installed here: the README gives its install line.
set -euo pipefail

check=0
if [ "${1:-}" = "--check" ]; then
  check=1
  shift
fi
target="${1:-test}"

need=()
has_pg_server() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && id postgres >/dev/null 2>&1; }
case "$target" in
  run|test|ci) ;;
  *) echo "usage: scripts/deps.sh [--check] run|test|ci" >&2; exit 2 ;;
esac
has_pg_server || need+=(postgresql)
if [ "$target" != run ]; then
  command -v gcc >/dev/null 2>&1 || need+=(gcc)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
if [ "$target" = ci ]; then
  command -v make >/dev/null 2>&1 || need+=(make)
fi

if [ ${#need[@]} -eq 0 ]; then
  echo "deps: nothing to install for $target"
  exit 0
fi
cmd="apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${need[*]}"
if [ $check -eq 1 ]; then
  echo "deps: would install: ${need[*]}"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: $target needs ${need[*]}; run as root:" >&2
  echo "  sudo sh -c '$cmd'" >&2
  exit 1
fi
echo "deps: installing ${need[*]} (once; about a minute)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q "${need[@]}"
