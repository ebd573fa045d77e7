#!/usr/bin/env bash
# Memory across a mass disconnect: a throw-away dev instance on 127.0.63.1, IDLE idle XMPP
# connections over TLS (bench_xmpp --idle, from 127.0.64.x), then all closed; prints the
# server's RSS before, with them and 5 s after they closed.
# usage: scripts/bench_idle_memory.sh [IDLE=10000]   (BUILD=build, HEARTH=$BUILD/hearth by default;
#        extra environment for the server, e.g. GLIBC_TUNABLES, is passed on)
set -euo pipefail
build=${BUILD:-build}
hearth=${HEARTH:-$build/hearth}
idle=${1:-10000}
accounts=10
dir=$(mktemp -d); addr=127.0.63.1; off=31000
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
# One file descriptor per connection on both sides, plus the server's own.
ulimit -n $((idle * 2 + 1000)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
"$hearth" quickstart --dev bench@bench.test --dir "$dir" --listen "$addr" --port-offset $off >/dev/null
here="$(cd "$(dirname "$0")/.." && pwd)"
PYTHONPATH="$here/tests/e2e/lib" python3 - "$dir/hearth.toml" <<'PY'
import sys
from hearth_test import set_key
set_key(sys.argv[1], "server", "max_connections_per_ip", "0")
set_key(sys.argv[1], "xmpp", "max_resources", "100000")
PY
for i in $(seq 0 $((accounts - 1))); do
  echo benchpw | "$hearth" --config "$dir/hearth.toml" user add "u$i@bench.test" --password-stdin >/dev/null
done
"$hearth" --config "$dir/hearth.toml" serve >"$dir/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/$addr/$((5222 + off))) 2>/dev/null && break; sleep 0.1; done
sleep 1
"$build/bench/bench_xmpp" "$addr" $((5222 + off)) bench.test "$dir/data/tls/ca.crt" benchpw u "$accounts" \
  --messages 10 --accounts "$accounts" --idle "$idle" --pid "$pid" --src 64 | grep -E "^idle"
grep -h "memory.trim" "$dir/serve.log" | tail -3 || true
