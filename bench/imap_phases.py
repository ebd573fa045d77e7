#!/usr/bin/env python3
"""Where IMAP commands spend their time on the server: p50/p99 of each phase per command.

Reads the `imap.phases` lines that `hearth serve` writes at log level "debug" (one per
command answered: mail/imap/server/session.cpp) and prints, per command and place (inline on
the I/O thread, the store pool, the blocking pool), the p50/p99 in ms of: the inline attempt,
the wait for a pool thread, the run on the pool, the wait for an I/O thread to resume the
session, and the writing of the reply.

    python3 bench/imap_phases.py DIR/serve.log [--since 2026-12-07T16:00:00]

Run the load (bench/bench_imap --dir DIR) with `level = "debug"` in DIR/hearth.toml's [log].
A client's latency minus these phases is the network, the client and the wait for an I/O
thread to read the command (`perf sched latency` shows the latter for the server's threads).
"""
import re
import sys
from collections import defaultdict

PHASES = ["inline_us", "pool_wait_us", "run_us", "resume_us", "write_us"]


def pct(v, p):
    if not v:
        return 0.0
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))]


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    since = None
    if "--since" in sys.argv:
        since = sys.argv[sys.argv.index("--since") + 1]
    rows = defaultdict(lambda: defaultdict(list))
    field = re.compile(r'(\w+)=("[^"]*"|\S+)')
    with open(sys.argv[1], errors="replace") as f:
        for line in f:
            if " imap.phases " not in line:
                continue
            if since and line[: len(since)] < since:
                continue
            kv = {k: v.strip('"') for k, v in field.findall(line)}
            key = (kv.get("cmd", "?"), kv.get("on", "?"))
            for p in PHASES:
                rows[key][p].append(int(kv.get(p, "0")) / 1000.0)
    if not rows:
        print("no imap.phases lines (log level debug?)")
        return 1
    head = f"{'command':<14} {'on':<15} {'count':>6}" + "".join(f" {p[:-3]:>17}" for p in PHASES)
    print(head)
    print(f"{'':<37}" + " p50/p99 ms".rjust(18) * len(PHASES))
    for (cmd, on), ph in sorted(rows.items()):
        n = len(ph["run_us"])
        cells = "".join(f" {pct(ph[p], 0.5):8.2f}/{pct(ph[p], 0.99):8.2f}" for p in PHASES)
        print(f"{cmd:<14} {on:<15} {n:>6}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
