#!/usr/bin/env python3
"""Outbound delivery rate: how many messages per second the queue hands to a remote
MTA (Postfix's smtp-sink, found through an MX record served by knot), without and with an
MTA-STS policy for the destination domain, once the policy is cached; then, to a sink that
offers STARTTLS (bench/tls_sink.py: smtp-sink has none), without a policy and with DANE (a
zone signed by knot, TLSA 3 1 1 of the sink's key, A's resolver validating against the
zone's DS as trust anchor): the DANE row pays the TLSA look-up and the chain match.

For each run, N messages are submitted to A while the sink is down (each is deferred once),
then the sink starts, `hearth queue flush` makes them all due, and the time until A has logged
N deliveries gives the rate. The MTA-STS domain's policy is served by a second hearth (B, its
own `zone.mta_sts_mode`) and fetched once, before the timed part; its mode is `testing`,
because smtp-sink offers no STARTTLS: every message still pays the policy decision (the TXT
check, remembered for 60 s per domain), the MX match and the log line of what enforce would
refuse, but no TLS handshake (TLS to the MX happens with or without a policy, so it is not the
policy's cost).

Prints, per run: messages, seconds, messages/s and the CPU time hearth spent per message
(utime + stime of A's process over the run: on a loaded machine less noisy than the wall
clock); then the cost per message of the checks (MTA-STS against the first row, DANE against
the TLS row).
usage: bench_queue_out.py [HEARTH_BIN] [MESSAGES]   (make bench passes build/hearth)
"""
import os
import re
import smtplib
import ssl
import subprocess
import sys
import time

NET = "127.0.251"
os.environ["HEARTH_TEST_NET"] = NET
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e", "lib"))
if len(sys.argv) > 1:
    os.environ["HEARTH_BIN"] = sys.argv[1]
import hearth_test  # noqa: E402
from hearth_test import Instance, set_key, wait_port  # noqa: E402
from knot import Knot  # noqa: E402

N = int(sys.argv[2]) if len(sys.argv) > 2 else 500
SINK = f"{NET}.3"
TLS_SINK = f"{NET}.5"
OFFSET = 31000
DNS_PORT = 5353


def count(inst, domain, status="delivered"):
    n = 0
    for line in inst.log().splitlines():
        if " smtp.out " in line and f"status={status}" in line and f"@{domain}>" in line:
            n += 1
    return n


def cpu_seconds(pid):
    """utime + stime of a process (/proc/PID/stat fields 14 and 15), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_smtp_sink(port):
    return subprocess.Popen(["smtp-sink", "-u", "nobody", f"{SINK}:{port}", "256"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), SINK


def tls_sink_starter(cert, key):
    def start(port):
        return subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "tls_sink.py"), TLS_SINK, str(port), cert, key],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), TLS_SINK
    return start


def run(a, domain, port, start_sink=start_smtp_sink):
    ctx = ssl.create_default_context(cafile=a.ca_file())
    ctx.check_hostname = False
    body = "Subject: bench\r\n\r\n" + ("x" * 78 + "\r\n") * 40
    with smtplib.SMTP(a.addr, a.port("submission"), timeout=60) as s:
        s.starttls(context=ctx)
        s.login(a.email, a.password)
        for i in range(N):
            s.sendmail(a.email, [f"u{i % 50}@{domain}"], f"From: <{a.email}>\r\nTo: <u@{domain}>\r\n{body}".encode())
    # Every message has had its first (failed) attempt: the flush then starts them all at once.
    deadline = time.monotonic() + 120
    while count(a, domain, "deferred") < N and time.monotonic() < deadline:
        time.sleep(0.2)
    sink, sink_addr = start_sink(port)
    hearth_test._procs.append(sink)
    try:
        wait_port(sink_addr, port)
        before = count(a, domain)
        cpu0 = cpu_seconds(a.proc.pid)
        t0 = time.monotonic()
        a.cli(["queue", "flush"])
        deadline = t0 + 600
        while count(a, domain) - before < N and time.monotonic() < deadline:
            time.sleep(0.05)
        secs = time.monotonic() - t0
        cpu = cpu_seconds(a.proc.pid) - cpu0
        done = count(a, domain) - before
    finally:
        sink.terminate()
        sink.wait()
    return done, secs, cpu


def main():
    a = Instance("alice@a.test", host=2, offset=OFFSET)
    b = Instance("postmaster@sts.test", host=4, offset=OFFSET, hostname="mx.sts.test")
    port = a.port("smtp")  # the sink listens where A's smtp.outbound.port points
    set_key(b.config, "zone", "mta_sts_mode", '"testing"')
    m = re.search(r"v=STSv1; id=([A-Za-z0-9]+)", b.cli(["dns", "zone", "sts.test"]).stdout)
    # The TLS sink's key: an ECDSA P-256 certificate made here; DANE-EE needs no CA.
    cert, key = os.path.join(a.dir, "sink.crt"), os.path.join(a.dir, "sink.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=mx.dane.test"],
                   check=True, capture_output=True)
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"], capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, capture_output=True, check=True).stdout
    spki = subprocess.run(["openssl", "dgst", "-sha256", "-r"], input=der, capture_output=True, check=True).stdout.split()[0].decode()
    dns = Knot(addr=f"{NET}.1", port=DNS_PORT, signed=("dane.test",), zones={
        "a.test": f"@ MX 10 mail\nmail A {a.addr}\n",
        "plain.test": f"@ MX 10 mx\nmx A {SINK}\n",
        "sts.test": f"@ MX 10 mx\nmx A {SINK}\nmta-sts A {b.addr}\n_mta-sts TXT \"v=STSv1; id={m.group(1)};\"\n",
        "tls.test": f"@ MX 10 mx\nmx A {TLS_SINK}\n",
        "dane.test": f"@ MX 10 mx\nmx A {TLS_SINK}\n_{port}._tcp.mx TLSA 3 1 1 {spki}\n",
    }).start()
    anchor = os.path.join(a.dir, "anchor.ds")
    with open(anchor, "w") as f:
        f.write(dns.trust_anchor("dane.test"))
    set_key(a.config, "dns", "trust_anchor_file", f'"{anchor}"')
    for inst in (a, b):
        set_key(inst.config, "dns", "servers", f'["{NET}.1:{DNS_PORT}"]')
    set_key(a.config, "smtp.outbound", "port", str(port))
    set_key(a.config, "smtp.outbound", "https_port", str(b.port("https")))
    set_key(a.config, "smtp.outbound", "ca_file", f'"{b.ca_file()}"')
    set_key(a.config, "smtp.queue", "first_retry", "3600")
    set_key(a.config, "smtp.queue", "max_retry", "3600")
    set_key(a.config, "smtp.queue", "bind_addresses", f'["{a.addr}"]')
    b.start(wait_for="https")
    a.start(wait_for="submission")
    rows = []
    for domain in ("plain.test", "sts.test"):
        rows.append((domain, *run(a, domain, port)))
    for domain in ("tls.test", "dane.test"):
        rows.append((domain, *run(a, domain, port, tls_sink_starter(cert, key))))
    dane_ok = sum(1 for l in a.log().splitlines() if " smtp.out.tls_policy " in l and "domain=dane.test" in l
                  and "policy=dane" in l and "result=ok" in l)
    fetched = [l for l in a.log().splitlines() if " smtp.out.sts_policy " in l]
    print(f"outbound delivery to smtp-sink, {N} messages of 3.3 KB per run, 1 recipient each")
    print(f"{'destination':<36}{'delivered':>10}{'seconds':>9}{'msg/s':>9}{'CPU ms/msg':>12}")
    rates, cpu_ms = {}, {}
    labels = {"plain.test": "no policy", "sts.test": "MTA-STS policy (cached, testing)",
              "tls.test": "STARTTLS sink, no policy", "dane.test": "STARTTLS sink, DANE (TLSA 3 1 1)"}
    for domain, done, secs, cpu in rows:
        label = labels[domain]
        rates[domain] = done / secs if secs > 0 else float("nan")
        cpu_ms[domain] = cpu * 1000 / done if done else float("nan")
        print(f"{label:<36}{done:>10}{secs:>9.2f}{rates[domain]:>9.1f}{cpu_ms[domain]:>12.3f}")
    print(f"policy fetched {len(fetched)} time(s)")
    if rates["plain.test"] > 0 and rates["sts.test"] > 0:
        cost_ms = (1 / rates["sts.test"] - 1 / rates["plain.test"]) * 1000
        share = (1 - rates["sts.test"] / rates["plain.test"]) * 100
        print(f"MTA-STS checks: {cost_ms:+.2f} ms per message, {share:+.1f}% of outbound throughput; "
              f"hearth CPU {cpu_ms['sts.test'] - cpu_ms['plain.test']:+.3f} ms per message "
              f"({(cpu_ms['sts.test'] / cpu_ms['plain.test'] - 1) * 100:+.1f}%)")
    print(f"sessions authenticated by DANE: {dane_ok}")
    if rates["tls.test"] > 0 and rates["dane.test"] > 0:
        cost_ms = (1 / rates["dane.test"] - 1 / rates["tls.test"]) * 1000
        share = (1 - rates["dane.test"] / rates["tls.test"]) * 100
        print(f"DANE checks: {cost_ms:+.2f} ms per message, {share:+.1f}% of outbound throughput (TLS sink); "
              f"hearth CPU {cpu_ms['dane.test'] - cpu_ms['tls.test']:+.3f} ms per message "
              f"({(cpu_ms['dane.test'] / cpu_ms['tls.test'] - 1) * 100:+.1f}%)")
    a.stop()
    b.stop()
    dns.stop()


if __name__ == "__main__":
    main()
