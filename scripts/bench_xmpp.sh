#!/usr/bin/env bash
# XMPP load figures: a throw-away dev instance on 127.0.179.1, N accounts, bench_xmpp against it.
# usage: scripts/bench_xmpp.sh [N=100] [MESSAGES=100] [IDLE=500]   (BUILD=build by default)
# IDLE idle connections are spread over the N accounts (at most 9 each: max 10 resources).
set -euo pipefail
build=${BUILD:-build}
n=${1:-100}; m=${2:-100}; idle=${3:-500}
dir=$(mktemp -d); addr=127.0.179.1; off=31000
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
"$build/hearth" quickstart --dev bench@bench.test --dir "$dir" --listen "$addr" --port-offset $off >/dev/null
for i in $(seq 0 $((n - 1))); do
  echo benchpw | "$build/hearth" --config "$dir/hearth.toml" user add "u$i@bench.test" --password-stdin >/dev/null
done
"$build/hearth" --config "$dir/hearth.toml" serve >"$dir/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/$addr/$((5222 + off))) 2>/dev/null && break; sleep 0.1; done
"$build/bench/bench_xmpp" "$addr" $((5222 + off)) bench.test "$dir/data/tls/ca.crt" benchpw u "$n" \
  --messages "$m" --idle "$idle" --pid "$pid"
