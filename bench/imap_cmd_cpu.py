#!/usr/bin/env python3
"""Server CPU time per IMAP command, command by command, from one session.

Latencies measured on a shared machine follow its load; the server's own CPU time per command
(utime + stime of the `hearth serve` process, /proc/PID/stat) hardly does, so this is the figure
to compare two builds with when the machine is busy. Each command of the state-tracking load
(imap_state_load.hpp) that does not change the mailbox is sent COUNT times in a row by one
session; the server is started from the instance that `bench_imap --state --dir DIR` kept:

    HEARTH_TEST_NET=127.0.87 build/bench/bench_imap --state --seconds 3 --dir /tmp/keep
    HEARTH_TEST_NET=127.0.87 python3 bench/imap_cmd_cpu.py --hearth build/hearth --dir /tmp/keep

Run it for the old and the new binary one after the other on the same kept instance.
"""
import argparse
import imaplib
import os
import signal
import ssl
import subprocess
import time

ap = argparse.ArgumentParser()
ap.add_argument("--hearth", required=True)
ap.add_argument("--dir", required=True, help="an instance kept by bench_imap --state --dir")
ap.add_argument("--count", type=int, default=1000)
args = ap.parse_args()

host = os.environ.get("HEARTH_TEST_NET", "127.0.0") + ".77"
password = open(os.path.join(args.dir, "bench.password")).read().strip()
log = open(os.path.join(args.dir, "serve.log"), "w")
server = subprocess.Popen([args.hearth, "--config", os.path.join(args.dir, "hearth.toml"), "serve"],
                          stdout=log, stderr=log)


def cpu_seconds():
    fields = open(f"/proc/{server.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


try:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = None
    for _ in range(100):
        try:
            c = imaplib.IMAP4_SSL(host, 31993, ssl_context=ctx, timeout=10)
            break
        except OSError:
            time.sleep(0.1)
    if c is None:
        raise SystemExit(f"no IMAP server on {host}:31993")
    c.login("bench@example.test", password)
    c.select("Load/Box1")
    _, data = c.uid("FETCH", "1:*", "(UID)")
    uid = data[-1].split()[2].decode().strip(")")
    commands = {
        "NOOP": lambda: c.noop(),
        "LIST": lambda: c.list('""', '"*"'),
        "STATUS": lambda: c.status("Load/Box2", "(MESSAGES UIDNEXT UNSEEN)"),
        "SELECT": lambda: c.select("Load/Box1"),
        "FETCH flags 1:*": lambda: c.uid("FETCH", "1:*", "(UID FLAGS)"),
        "FETCH headers": lambda: c.uid("FETCH", uid, "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (From Subject Date)])"),
    }
    print(f"{args.hearth}, {args.count} of each command, one session")
    for name, run in commands.items():
        run()
        c0, w0 = cpu_seconds(), time.monotonic()
        for _ in range(args.count):
            typ, _ = run()
            if typ != "OK":
                raise SystemExit(f"{name}: {typ}")
        c1, w1 = cpu_seconds(), time.monotonic()
        print(f"{name:16s} server CPU {1e6 * (c1 - c0) / args.count:6.0f} us/command, "
              f"round trip {1e3 * (w1 - w0) / args.count:5.2f} ms")
    c.logout()
finally:
    server.send_signal(signal.SIGTERM)
    server.wait()
print("load average: " + " ".join(open("/proc/loadavg").read().split()[:3]))
