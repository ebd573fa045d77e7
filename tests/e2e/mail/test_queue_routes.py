"""[[smtp.route]]: a smarthost route always used, and the automatic fallback around a block.

A (alice@a.test, NET.2) sends; C (NET.3) is a second hearth acting as the smarthost, where
A logs in with AUTH over STARTTLS (C hosts an account alice@a.test, as a relay service holds
an account for its customer's domain). The destination MX (NET.4) is a tiny SMTP responder in
this file that stands for Microsoft's Exchange Online, which is outside us and cannot run here:
it refuses every connection from A's address with Microsoft's S3140 reply and accepts the
others, recording who sent what. knot (NET.1) serves the MX records.

- routed.test has a route with `relay`: the message goes to C even though its MX would take
  it directly, and reaches the destination from C's address.
- outlook.test's MX host matches `*.mail.protection.outlook.test`, whose route has only a
  `fallback_relay`: A goes to the MX, is refused with S3140, logs the block, goes again through
  C, and the message arrives, with no bounce to alice; at stop, a block summary names the
  destination, our blocked address and the delisting page.
- a blocked destination without a fallback route bounces as before.
- a password file readable by others keeps `hearth serve` from starting.
"""
import os
import re
import socket
import subprocess
import threading

from hearth_test import HEARTH, NET, Instance, check, finish, set_key
from knot import Knot
from queue_lib import find, log_lines, queue_ids, submit, wait_for

DNS_PORT = 5353
MX_ADDR = f"{NET}.4"
A_ADDR = f"{NET}.2"


class BlockingMx:
    """A minimal SMTP server (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
    that refuses MAIL from the blocked address with Microsoft's block reply. Every read has a
    timeout and every line a length limit; the listener runs in a daemon thread."""

    BLOCK = ("550 5.7.1 Unfortunately, messages from [{ip}] weren't sent. Please contact your Internet "
             "service provider since part of their network is on our block list (S3140). You can also "
             "refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. "
             "[tenant.mail.protection.outlook.test] blocked")

    def __init__(self, addr, port, blocked):
        self.blocked = blocked
        self.messages = []     # (client ip, mail from, [rcpts], data bytes)
        self.connections = []  # client ips, in order
        self.sock = socket.create_server((addr, port))
        self.sock.settimeout(0.5)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._session, args=(conn, peer[0]), daemon=True).start()

    def _session(self, conn, ip):
        self.connections.append(ip)
        conn.settimeout(30)
        f = conn.makefile("rb")

        def say(text):
            conn.sendall(text.encode() + b"\r\n")

        try:
            say("220 tenant.mail.protection.outlook.test ESMTP")
            sender, rcpts = None, []
            for _ in range(100):
                line = f.readline(2048)
                if not line:
                    return
                cmd = line.decode("latin-1").strip()
                verb = cmd[:4].upper()
                if verb == "EHLO":
                    say("250-tenant.mail.protection.outlook.test\r\n250-8BITMIME\r\n250 SIZE 10000000")
                elif verb == "HELO":
                    say("250 tenant.mail.protection.outlook.test")
                elif verb == "MAIL":
                    if ip == self.blocked:
                        say(self.BLOCK.format(ip=ip))
                        continue
                    sender, rcpts = cmd[10:].strip(" <>"), []
                    say("250 2.1.0 Sender OK")
                elif verb == "RCPT":
                    if sender is None:
                        say("503 5.5.1 MAIL first")
                        continue
                    rcpts.append(cmd[8:].split(">")[0].strip(" <"))
                    say("250 2.1.5 Recipient OK")
                elif verb == "DATA":
                    if not rcpts:
                        say("503 5.5.1 RCPT first")
                        continue
                    say("354 Start mail input")
                    data = b""
                    while len(data) < 10_000_000:
                        part = f.readline(10_000)
                        if not part or part == b".\r\n":
                            break
                        data += part[1:] if part.startswith(b"..") else part
                    self.messages.append((ip, sender, rcpts, data))
                    sender, rcpts = None, []
                    say("250 2.6.0 Queued mail for delivery")
                elif verb == "RSET":
                    sender, rcpts = None, []
                    say("250 2.0.0 OK")
                elif verb == "NOOP":
                    say("250 2.0.0 OK")
                elif verb == "QUIT":
                    say("221 2.0.0 Service closing transmission channel")
                    return
                else:
                    say("500 5.3.3 Unrecognized command")
        except OSError:
            pass
        finally:
            conn.close()

    def got(self, needle):
        return [m for m in self.messages if needle.encode() in m[3]]

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=5)
        self.sock.close()


dns = Knot(addr=f"{NET}.1", port=DNS_PORT, zones={
    "a.test": f"@ MX 10 mail\nmail A {A_ADDR}\n",
    "c.test": f"smarthost A {NET}.3\n",
    "outlook.test": f"@ MX 10 tenant.mail.protection\ntenant.mail.protection A {MX_ADDR}\n",
    "routed.test": f"@ MX 10 mx\nmx A {MX_ADDR}\n",
    "elsewhere.test": f"@ MX 10 mx\nmx A {MX_ADDR}\n",
}).start()

a = Instance("alice@a.test", host=2)
c = Instance("alice@a.test", host=3, hostname="smarthost.c.test")
mx = BlockingMx(MX_ADDR, a.port("smtp"), blocked=A_ADDR)
for inst in (a, c):
    # Loopback connections would leave from 127.0.0.1: each instance sends from its own address.
    set_key(inst.config, "smtp.queue", "bind_addresses", f'["{inst.addr}"]')
    set_key(inst.config, "dns", "servers", f'["{NET}.1:{DNS_PORT}"]')
    set_key(inst.config, "smtp.outbound", "port", str(a.port("smtp")))
    set_key(inst.config, "smtp.queue", "first_retry", "1")
    set_key(inst.config, "smtp.queue", "max_retry", "2")

password_file = os.path.join(a.dir, "relay.pw")
with open(password_file, "w") as f:
    f.write(c.password + "\n")
os.chmod(password_file, 0o600)
relay = f"{NET}.3:{c.port('submission')}"
with open(a.config, "a") as f:
    f.write(f'\n[[smtp.route]]\ndomains = ["routed.test"]\nrelay = "{relay}"\n'
            f'username = "alice@a.test"\npassword_file = "relay.pw"\n'
            f'\n[[smtp.route]]\nmx = ["*.mail.protection.outlook.test"]\nfallback_relay = "{relay}"\n'
            f'username = "alice@a.test"\npassword_file = "relay.pw"\n')
a.cli(["config", "check"])
c.cli(["config", "check"])
c.start(wait_for="submission")
a.start(wait_for="submission")

# 1. A route with a relay: always through C.
check(submit(a, "dave@routed.test", "routed one") == {}, "A accepted mail for routed.test")
got = wait_for(lambda: mx.got("Subject: routed one"))
check(bool(got), "the routed message reached the destination")
if got:
    check(got[0][0] == f"{NET}.3", f"from C's address ({got[0][0]})")
    check(re.search(rb"Received: from [^\r\n]*\r\n[^\r\n]*by smarthost\.c\.test", got[0][3]) is not None
          or b"by smarthost.c.test" in got[0][3], "C's Received line is in the message")
routed = wait_for(lambda: [l for l in log_lines(a, "smtp.out") if "to=<dave@routed.test>" in l and "status=delivered" in l])
check(bool(routed) and f"[{NET}.3]:{c.port('submission')}" in routed[0], "A logged the delivery to the relay: " + (routed[0][:220] if routed else ""))
check(A_ADDR not in mx.connections, "A never connected to routed.test's MX itself")
auth = [l for l in c.log().splitlines() if " auth.ok " in l and "user=alice@a.test" in l and f"ip={A_ADDR}" in l]
check(bool(auth), "C saw A log in with AUTH (over STARTTLS: C refuses it otherwise)")

# 2. The MX blocks A: the fallback relay takes the message.
check(submit(a, "erin@outlook.test", "blocked one") == {}, "A accepted mail for outlook.test")
got = wait_for(lambda: mx.got("Subject: blocked one"))
check(bool(got), "the message reached the blocking destination through the fallback relay")
if got:
    check(got[0][0] == f"{NET}.3", "from C's address")
    check(got[0][2] == ["erin@outlook.test"], "for the right recipient")
check(A_ADDR in mx.connections, "A first tried the MX itself")
blocked = log_lines(a, "smtp.out.blocked")
check(len(blocked) == 1, "A logged one smtp.out.blocked line")
if blocked:
    line = blocked[0]
    check(f"our_ip={A_ADDR}" in line, "naming our blocked address")
    check("list=microsoft" in line and "S3140" in line, "Microsoft's list and its reply")
    check("delist=http://mail.live.com/mail/troubleshooting.aspx#errors" in line, "and where to ask for delisting")
    check(f"fallback={relay}" in line, "and the fallback relay")
out = wait_for(lambda: [l for l in log_lines(a, "smtp.out") if "to=<erin@outlook.test>" in l])
check(bool(out) and "status=delivered" in out[0], "A's smtp.out line says delivered: " + (out[0][:220] if out else ""))
check(wait_for(lambda: queue_ids(a) == []), "A's queue is empty")
check(find(a, "alice@a.test", "blocked one") is None, "no bounce reached alice")

# 3. Blocked without a fallback: it bounces, as any 5xx does.
check(submit(a, "frank@elsewhere.test", "no fallback") == {}, "A accepted mail for elsewhere.test")
bounce = wait_for(lambda: find(a, "alice@a.test", "S3140"))
check(bounce is not None, "alice got the bounce carrying the block reply")
check(not mx.got("Subject: no fallback"), "and the message did not arrive")

a.stop()
summary = log_lines(a, "smtp.out.block_summary")
check(len(summary) == 1, "at stop, one block summary line")
if summary:
    check("destination=tenant.mail.protection.outlook.test" in summary[0] and f"our_ip={A_ADDR}" in summary[0]
          and "refusals=1" in summary[0], "which destination blocks which of our addresses: " + summary[0][:220])

# 4. A password file others can read: serve refuses to start, and says why.
os.chmod(password_file, 0o644)
r = subprocess.run([HEARTH, "--config", a.config, "serve"], capture_output=True, text=True, timeout=60)
check(r.returncode != 0, "hearth serve refuses a password file readable by others")
check("chmod 600" in r.stdout + r.stderr and "relay.pw" in r.stdout + r.stderr, "with a log line naming the file")
c.stop()
mx.stop()
finish()
