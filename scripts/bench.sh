#!/usr/bin/env bash
# `make bench`: runs every benchmark program in BUILD/bench; each prints its own figures.
set -euo pipefail
build=$1
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
done
