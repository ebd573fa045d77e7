#!/usr/bin/env bash
# Runs every libFuzzer target for FUZZ_SECONDS (default 60) each, keeping a corpus per target.
set -euo pipefail
build=$1
secs=${FUZZ_SECONDS:-60}
status=0
for f in "$build"/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  corpus="$build/corpus/$name"
  mkdir -p "$corpus"
  echo "== $name ($secs s)"
  if ! "$f" -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 "$corpus" 2>"$build/$name.log"; then
    echo "$name found a crash: see $build/$name.log"; status=1
  else
    tail -n 1 "$build/$name.log"
  fi
done
exit $status
