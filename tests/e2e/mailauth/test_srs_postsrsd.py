"""SRS against Postfix's postsrsd: hearth's addresses are the ones postsrsd makes
with the same secret, and each reads the other's.

postsrsd (Debian `postsrsd`, its TCP lookup tables on NET.9:10001/10002) runs with A's secret
(DATA_DIR/srs.secret) and A's SRS domain a.test. knot serves a.test (A, NET.2), b.test (B, NET.3)
and orig.test (SPF: NET.20; its MX is B, where joe@orig.test lives), far.test (SPF: NET.20; its MX
is A, where ann@far.test lives). Cases:
  1. SRS0: joe -> fwd@a.test (alias of bob@b.test): postsrsd decodes hearth's sender back to
     joe@orig.test and, for the same day, makes the very same address from joe@orig.test;
  2. a bounce to postsrsd's SRS0 address, sent to A's MX, reaches joe;
  3. SRS1: ann -> via@b.test (B alias of fwd@a.test): B forwards with its SRS0, A turns it into
     SRS1 on the way to bob@b.test; postsrsd makes the same SRS1 from B's SRS0 and decodes
     hearth's SRS1 back to it; a bounce to postsrsd's SRS1 goes A -> B -> ann (at A).
"""
import atexit
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

from hearth_test import NET, check, finish
from knot import Knot
from mailauth_lib import DNS_ADDR, DNS_PORT, Instance, configure, find, mx_send, wait_for

POSTSRSD = "/usr/sbin/postsrsd"
if not os.path.exists(POSTSRSD):
    print("postsrsd is not installed (Debian package postsrsd, scripts/packages/forwarding.txt)")
    sys.exit(77)

ip = lambda n: f"{NET}.{n}"  # noqa: E731
a = Instance("alice@a.test", host=2)
b = Instance("bob@b.test", host=3)
spf = lambda host: f'@ TXT "v=spf1 ip4:127.0.0.1 ip4:{ip(host)} -all"\n'  # noqa: E731
knot = Knot(addr=DNS_ADDR, port=DNS_PORT, zones={
    "a.test": f"@ MX 10 mail\nmail A {ip(2)}\n" + spf(2), "b.test": f"@ MX 10 mail\nmail A {ip(3)}\n" + spf(3),
    "orig.test": f'@ MX 10 mail.b.test.\n@ TXT "v=spf1 ip4:{ip(20)} -all"\n',
    "far.test": f'@ MX 10 mail.a.test.\n@ TXT "v=spf1 ip4:{ip(20)} -all"\n'}).start()
configure(a, outbound_port=b.port("smtp"))
configure(b, outbound_port=a.port("smtp"))
b.cli(["domain", "add", "orig.test"])
b.cli(["user", "add", "joe@orig.test", "--password-stdin"], input="joe-password-123\n")
b.cli(["alias", "add", "via@b.test", "fwd@a.test"])
a.cli(["alias", "add", "fwd@a.test", "bob@b.test"])
a.cli(["domain", "add", "far.test"])
a.cli(["user", "add", "ann@far.test", "--password-stdin"], input="ann-password-123\n")
b.start(wait_for="smtp")
a.start(wait_for="smtp")

# postsrsd with A's secret, made by A at start.
secret_file = os.path.join(a.dir, "data", "srs.secret")
check(os.path.exists(secret_file) and (os.stat(secret_file).st_mode & 0o077) == 0,
      "A made its SRS secret in the data directory, readable only by the server")
srsd = subprocess.Popen([POSTSRSD, f"-s{secret_file}", "-da.test", f"-l{ip(9)}", "-f10001", "-r10002", "-4"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
atexit.register(lambda: (srsd.poll() is None and srsd.send_signal(signal.SIGTERM), srsd.wait()))
for _ in range(50):
    try:
        socket.create_connection((ip(9), 10002), timeout=0.2).close()
        break
    except OSError:
        time.sleep(0.1)


def postsrsd(port, address):
    """Postfix's tcp_table protocol: "get KEY" -> "200 VALUE" (both %-encoded)."""
    with socket.create_connection((ip(9), port), timeout=5) as s:
        s.sendall(b"get " + urllib.parse.quote(address, safe="@").encode() + b"\n")
        reply = s.recv(4096).decode().strip()
    code, _, value = reply.partition(" ")
    return (urllib.parse.unquote(value) if code == "200" else None), reply


def return_path(msg):
    m = re.match(rb"Return-Path: <([^>]*)>", msg or b"")
    return m.group(1).decode() if m else None


def stamp(addr):
    return addr.split("=")[2] if addr and addr.count("=") >= 4 else None


def send(inst, sender, to, subject):
    msg = f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nhello\r\n".encode()
    code, text = mx_send(inst, sender, to, msg, source=ip(20), helo="mail.orig.test")
    check(code == 250, f"{subject}: accepted ({code} {text!r})")


def bounce(inst, to, subject, home, owner):
    code, text = mx_send(inst, "", to, f"Subject: {subject}\r\n\r\nundeliverable\r\n".encode(), source=ip(30),
                         helo="mail.b.test")
    check(code == 250, f"{subject}: the bounce to {to} is accepted ({code} {text!r})")
    back = wait_for(lambda: find(home, owner, f"Subject: {subject}"), timeout=40)
    check(back is not None, f"{subject}: it reached {owner}")


# 1. SRS0.
send(a, "joe@orig.test", "fwd@a.test", "srs0 case")
got = wait_for(lambda: find(b, "bob@b.test", "Subject: srs0 case"), timeout=40)
ours = return_path(got)
check(ours is not None and ours.startswith("SRS0="), f"hearth's SRS0 sender: {ours}")
decoded, reply = postsrsd(10002, ours or "x")
check(decoded == "joe@orig.test", f"postsrsd decodes hearth's address to joe@orig.test ({reply})")
theirs, reply = postsrsd(10001, "joe@orig.test")
check(theirs is not None and theirs.startswith("SRS0=") and theirs.endswith("=orig.test=joe@a.test"),
      f"postsrsd's SRS0: {reply}")
if stamp(theirs) == stamp(ours):  # made on the same day (not across midnight UTC)
    check(theirs == ours, f"the same address from both ({theirs} / {ours})")

# 2. hearth reads postsrsd's SRS0.
if theirs:
    bounce(a, theirs, "bounce to postsrsd srs0", b, "joe@orig.test")

# 3. SRS1.
send(b, "ann@far.test", "via@b.test", "srs1 case")
got = wait_for(lambda: find(b, "bob@b.test", "Subject: srs1 case"), timeout=40)
ours1 = return_path(got)
check(ours1 is not None and ours1.startswith("SRS1=") and "=b.test==" in ours1,
      f"A turned B's SRS0 into SRS1: {ours1}")
b_srs0, reply = postsrsd(10002, ours1 or "x")
check(b_srs0 is not None and b_srs0.startswith("SRS0=") and b_srs0.endswith("@b.test"),
      f"postsrsd decodes hearth's SRS1 to B's SRS0 ({reply})")
if b_srs0:
    theirs1, reply = postsrsd(10001, b_srs0)
    check(theirs1 == ours1, f"postsrsd makes the same SRS1 from B's SRS0 ({reply})")
    if theirs1:
        bounce(a, theirs1, "bounce to postsrsd srs1", a, "ann@far.test")
finish()
