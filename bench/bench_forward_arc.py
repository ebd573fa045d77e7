#!/usr/bin/env python3
"""Forwarding throughput with and without ARC sealing: messages arrive at A's MX for an
alias whose target is outside (fwd@a.test -> u@plain.test), are forwarded (SRS, and an ARC
set when mailauth.arc is on) through the outbound queue to Postfix's smtp-sink, found through
an MX record served by knot.

One SMTP connection from 127.0.67.20 sends N messages of 4 KB (the size of bench_arc's first
row) to the alias; the time from the first MAIL FROM until A has logged N deliveries to the
sink gives the rate of the whole path (MX session, SPF/DKIM/DMARC checks of the sender's
domain, enqueue with fsync, delivery). Runs alternate ARC off/on, ROUNDS times each, and the
best run of each is kept (the machine is shared). The sink keeps every copy, so the ARC sets
in what left can be counted.

Prints, per setting: messages, seconds, messages/s, copies carrying ARC-Seal; then the cost of
sealing per forwarded message and as a share of forwarding throughput.
usage: bench_forward_arc.py [HEARTH_BIN] [MESSAGES] [ROUNDS]   (make bench passes build/hearth)
"""
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time

NET = "127.0.67"
os.environ["HEARTH_TEST_NET"] = NET
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e", "lib"))
if len(sys.argv) > 1:
    os.environ["HEARTH_BIN"] = sys.argv[1]
import hearth_test  # noqa: E402
from hearth_test import Instance, set_key, wait_port  # noqa: E402
from knot import Knot  # noqa: E402

N = int(sys.argv[2]) if len(sys.argv) > 2 else 300
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 2
SINK = f"{NET}.3"
CLIENT = f"{NET}.20"
OFFSET = 31100
DNS_PORT = 5353
BODY = "".join(f"line {i:03d} " + "x" * 68 + "\r\n" for i in range(52))  # ~4 KB


def delivered(inst):
    return sum(1 for line in inst.log().splitlines()
               if " smtp.out " in line and "status=delivered" in line and "@plain.test>" in line)


def run(a, dump):
    for f in os.listdir(dump):
        os.unlink(os.path.join(dump, f))
    before = delivered(a)
    t0 = time.monotonic()
    with smtplib.SMTP(a.addr, a.port("smtp"), timeout=60, local_hostname="client.src.test",
                      source_address=(CLIENT, 0)) as s:
        for i in range(N):
            msg = (f"From: <x@src.test>\r\nTo: <fwd@a.test>\r\nSubject: forward {i}\r\n"
                   f"Message-ID: <fwd{i}.{time.time_ns()}@src.test>\r\n\r\n{BODY}")
            s.sendmail("x@src.test", ["fwd@a.test"], msg.encode())
    deadline = t0 + 600
    while delivered(a) - before < N and time.monotonic() < deadline:
        time.sleep(0.05)
    secs = time.monotonic() - t0
    done = delivered(a) - before
    sealed = 0
    for f in os.listdir(dump):
        with open(os.path.join(dump, f), "rb") as fh:
            sealed += fh.read().count(b"\nARC-Seal:")
    return done, secs, sealed


def main():
    a = Instance("alice@a.test", host=2, offset=OFFSET)
    port = a.port("smtp")  # the sink listens where A's smtp.outbound.port points
    dns = Knot(addr=f"{NET}.1", port=DNS_PORT, zones={
        "a.test": f"@ MX 10 mail\nmail A {a.addr}\n@ TXT \"v=spf1 ip4:{a.addr} -all\"\n",
        "plain.test": f"@ MX 10 mx\nmx A {SINK}\n",
        "src.test": f"@ TXT \"v=spf1 ip4:{CLIENT} -all\"\n_dmarc TXT \"v=DMARC1; p=none\"\n",
    }).start()
    set_key(a.config, "dns", "servers", f'["{NET}.1:{DNS_PORT}"]')
    set_key(a.config, "smtp.outbound", "port", str(port))
    set_key(a.config, "smtp.queue", "bind_addresses", f'["{a.addr}"]')
    a.cli(["alias", "add", "fwd@a.test", "u@plain.test"])
    dump = tempfile.mkdtemp(prefix="hearth-bench-arc-")
    os.chmod(dump, 0o777)
    args = ["smtp-sink"] + (["-u", "nobody"] if os.geteuid() == 0 else [])
    sink = subprocess.Popen(args + ["-d", os.path.join(dump, "%M%S."), f"{SINK}:{port}", "256"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hearth_test._procs.append(sink)
    wait_port(SINK, port)
    best = {}
    try:
        for _ in range(ROUNDS):
            for arc in (False, True):
                set_key(a.config, "mailauth", "arc", "true" if arc else "false")
                a.start(wait_for="smtp")
                done, secs, sealed = run(a, dump)
                a.stop()
                if done == N and (arc not in best or secs < best[arc][1]):
                    best[arc] = (done, secs, sealed)
                elif arc not in best:
                    best[arc] = (done, secs, sealed)
    finally:
        sink.terminate()
        sink.wait()
        dns.stop()
        shutil.rmtree(dump, ignore_errors=True)
    print(f"forwarding through an alias to smtp-sink, {N} messages of 4 KB, 1 connection, best of {ROUNDS}")
    print(f"{'setting':<22}{'delivered':>10}{'seconds':>9}{'msg/s':>9}{'ARC-Seal':>10}")
    rates = {}
    for arc in (False, True):
        done, secs, sealed = best[arc]
        rates[arc] = done / secs if secs > 0 else float("nan")
        print(f"{'ARC on' if arc else 'ARC off':<22}{done:>10}{secs:>9.2f}{rates[arc]:>9.1f}{sealed:>10}")
    if rates[False] > 0 and rates[True] > 0:
        cost_ms = (1 / rates[True] - 1 / rates[False]) * 1000
        share = (1 - rates[True] / rates[False]) * 100
        print(f"ARC sealing: {cost_ms:+.2f} ms per forwarded message, {share:+.1f}% of forwarding throughput")


if __name__ == "__main__":
    main()
