#!/usr/bin/env python3
"""The fsync-delay shim (bench/fsync_delay.c) does what bench_smtp.py --fsync-delay-ms relies
on: the fsync-bound loop of bench_smtp.py, run in a child with and without the shim, one
thread. With a delay of D ms each fdatasync sleeps D ms after the flush, so the loop can do at
most 1000/D op/s: a bound that follows from the sleep, not a timing guess. Without the shim
the same loop must be well above it (the disk's own flush is far shorter than D), so the
drop shows the preload took effect.

usage: test_fsync_delay.py SHIM.so
"""
import os
import subprocess
import sys
import tempfile

DELAY_MS = 20
SECONDS = 0.5
BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_smtp.py")


def rate(folder, env):
    out = subprocess.run([sys.executable, BENCH, f"--fsync-probe={folder},1,{SECONDS}"], env=env,
                         capture_output=True, text=True, timeout=60)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    shim = os.path.abspath(sys.argv[1])
    failed = 0
    with tempfile.TemporaryDirectory(prefix="hearth-fsync-shim-") as d:
        plain = dict(os.environ)
        plain.pop("LD_PRELOAD", None)
        slowed = dict(plain, LD_PRELOAD=shim, HEARTH_FSYNC_DELAY_US=str(DELAY_MS * 1000))
        unset = dict(plain, LD_PRELOAD=shim)  # the shim without a delay only forwards
        r_plain, r_slowed, r_unset = rate(d, plain), rate(d, slowed), rate(d, unset)
        bound = 1000 / DELAY_MS
        print(f"fdatasync loop, 1 thread: {r_plain:.0f} op/s without the shim, {r_slowed:.0f} with a {DELAY_MS} ms"
              f" delay (bound {bound:.0f}), {r_unset:.0f} with the shim and no delay;"
              f" load average {open('/proc/loadavg').read().split()[0]}")
        checks = [
            (r_slowed > 0, "the loop ran under the shim"),
            (r_slowed <= bound * 1.02, f"with the delay the loop stays under 1000/{DELAY_MS} op/s"),
            (r_plain > 2 * r_slowed, "without the shim the loop is more than twice as fast"),
            (r_unset > 2 * r_slowed, "the shim without HEARTH_FSYNC_DELAY_US adds no delay"),
        ]
        for ok, what in checks:
            print(("ok " if ok else "FAIL ") + what)
            failed += not ok
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
