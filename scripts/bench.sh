#!/usr/bin/env bash
# `make bench`: runs every benchmark program in BUILD/bench; each prints its own figures.
set -euo pipefail
build=$1
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
done
# Benchmarks that drive the real binary with outside tools are Python programs in bench/.
here="$(cd "$(dirname "$0")/.." && pwd)"
for b in "$here"/bench/bench_*.py; do
  [ -e "$b" ] || continue
  echo "== $(basename "$b")"
  python3 "$b" "$build/hearth"
done
