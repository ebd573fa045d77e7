#!/usr/bin/env bash
# Installs the Debian 12 packages Hearth needs to build, run and test.
# Idempotent: asks apt only for what `dpkg -s` says is missing.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang
  # libraries (see ARCHITECTURE.md "Libraries")
  libboost1.81-dev libssl-dev libsqlite3-dev libtomlplusplus-dev libargon2-dev
  libunbound-dev libevent-dev libidn2-dev libexpat1-dev libpugixml-dev libical-dev catch2
  # tools the tests drive
  openssl python3 python3-argon2 sqlite3 knot knot-dnssecutils bind9-dnsutils bind9-utils curl dns-root-data
)

# Each area may list more in scripts/packages/<area>.txt (one package per line, # comments).
HERE="$(cd "$(dirname "$0")" && pwd)"
for f in "$HERE"/packages/*.txt; do
  [ -e "$f" ] || continue
  while read -r line; do
    line="${line%%#*}"
    for p in $line; do PACKAGES+=("$p"); done
  done <"$f"
done

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Postfix is installed for its test tools (smtp-sink, smtp-source); it must not become the
# machine's MTA on port 25.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections 2>/dev/null || true
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
  $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
