"""Durability: kill -9 right after 250 loses nothing; kill -9 in the middle of DATA leaves no
half-written message visible after restart."""
import signal
import smtplib
import socket
import time

from hearth_test import Instance, check, finish
from mailbox import messages

a = Instance("demo@example.test", host=1)
a.start()
RCPT = "demo@example.test"

# kill -9 right after the 250 to DATA.
s = smtplib.SMTP(a.addr, a.port("smtp"), timeout=20)
s.ehlo("client.remote.test")
s.mail("a@remote.test")
s.rcpt(RCPT)
big = "Subject: durable\r\n\r\n" + ("0123456789" * 99 + "\r\n") * 2000  # ~2 MB
code, _ = s.data(big)
a.proc.send_signal(signal.SIGKILL)
a.proc.wait()
check(code == 250, "DATA acknowledged")

# kill -9 while a client is in the middle of DATA.
a.start()
sock = socket.create_connection((a.addr, a.port("smtp")), timeout=20)
f = sock.makefile("rb")
f.readline()
for line in ("EHLO x.test", "MAIL FROM:<a@remote.test>", f"RCPT TO:<{RCPT}>", "DATA"):
    sock.sendall((line + "\r\n").encode())
    while True:
        l = f.readline()
        if l[3:4] != b"-":
            break
sock.sendall(b"Subject: half\r\n\r\n" + b"x" * 100_000 + b"\r\n")
time.sleep(0.3)
a.proc.send_signal(signal.SIGKILL)
a.proc.wait()
sock.close()

a.start()
msgs = messages(a, RCPT)
check(len(msgs) == 1, f"exactly one message after two kills ({len(msgs)})")
if msgs:
    check(msgs[0].endswith(big.encode()), "the acknowledged message is whole")
check(not any(b"Subject: half" in m for m in msgs), "no half-written message")
rc, _ = a.stop()
check(rc == 0, "server stops cleanly")
finish()
