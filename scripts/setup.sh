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
  libpq-dev
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

SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Postfix is installed for its test tools (smtp-sink, smtp-source); it must not become the
# machine's MTA on port 25.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections 2>/dev/null || true
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
  $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm modules the tests need (scripts/packages/*.npm, "name@version" per line, # comments) go
# into one cache folder outside the repository (nothing is vendored into git); tests find it
# through HEARTH_NPM_DIR. Node and npm come with the machine (Node 20).
NPM_DIR="${HEARTH_NPM_DIR:-/var/cache/hearth/npm}"
npm_missing=()
for f in "$HERE"/packages/*.npm; do
  [ -e "$f" ] || continue
  while read -r line; do
    line="${line%%#*}"
    for p in $line; do
      name="${p%@*}"
      want="${p##*@}"
      have=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$NPM_DIR/node_modules/$name/package.json" 2>/dev/null || true)
      [ "$have" = "$want" ] || npm_missing+=("$p")
    done
  done <"$f"
done
if [ ${#npm_missing[@]} -gt 0 ]; then
  if command -v npm >/dev/null; then
    echo "setup: npm installing ${npm_missing[*]} into $NPM_DIR"
    $SUDO mkdir -p "$NPM_DIR"
    $SUDO npm install --no-audit --no-fund --silent --prefix "$NPM_DIR" "${npm_missing[@]}"
  else
    echo "setup: npm not found; tests needing ${npm_missing[*]} will be skipped"
  fi
fi
