#!/usr/bin/env bash
# `make bench`: runs every benchmark program in BUILD/bench; each prints its own figures.
set -euo pipefail
build=$1
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
done
# IMAP side by side in one run: SQLite, PostgreSQL with one node and with two nodes, Dovecot
# (the mixed load, then the state-tracking load); bench_imap starts its own PostgreSQL.
echo "== bench_imap --pg --dovecot --messages 2000"
"$build"/bench/bench_imap --pg --dovecot --messages 2000
echo "== bench_imap --pg --state --dovecot"
"$build"/bench/bench_imap --pg --state --dovecot
# Benchmarks that drive the real binary with outside tools are Python programs in bench/
# (bench_smtp.py has the SQLite, PostgreSQL one- and two-node and Postfix columns).
here="$(cd "$(dirname "$0")/.." && pwd)"
for b in "$here"/bench/bench_*.py; do
  [ -e "$b" ] || continue
  echo "== $(basename "$b")"
  python3 "$b" "$build/hearth"
done
