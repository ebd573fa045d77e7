"""SMTP delivery seen through IMAP and POP3: a client in IDLE hears of a message delivered on
the MX port (the delay is printed), FETCHes it byte for byte (with the trace headers), and POP3 (STLS)
retrieves the same bytes."""
import imaplib
import poplib
import select
import smtplib
import ssl
import time

from hearth_test import Instance, check, finish

a = Instance("demo@example.test", host=1)
a.start()
ctx = ssl.create_default_context(cafile=a.ca_file())

imap = imaplib.IMAP4_SSL(a.addr, a.port("imaps"), ssl_context=ctx)
imap.login("demo@example.test", a.password)
typ, data = imap.select("INBOX")
check(typ == "OK" and data[0] == b"0", "empty INBOX selected")

# IDLE by hand (imaplib has no IDLE before 3.14).
tag = b"I1"
imap.send(tag + b" IDLE\r\n")
line = imap.readline()
check(line.startswith(b"+"), f"IDLE continuation ({line!r})")

body = "From: Alice <alice@remote.test>\r\nTo: demo@example.test\r\nSubject: seen by IDLE\r\n\r\nhello idle\r\n"
s = smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.remote.test", timeout=20)
s.starttls(context=ctx)
t0 = time.monotonic()
s.sendmail("alice@remote.test", ["demo@example.test"], body)
s.quit()

got_exists = False
deadline = time.monotonic() + 5
sock = imap.socket()
while time.monotonic() < deadline and not got_exists:
    r, _, _ = select.select([sock], [], [], 0.2)
    if r or sock.pending():
        line = imap.readline()
        if b"EXISTS" in line:
            got_exists = True
waited = time.monotonic() - t0
check(got_exists, "IDLE reports EXISTS for the SMTP delivery")
print(f"info EXISTS arrived {waited:.2f} s after the 250 (reported, never asserted)")
imap.send(b"DONE\r\n")
while True:
    line = imap.readline()
    if line.startswith(tag):
        check(b"OK" in line, "IDLE ends OK")
        break

typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[])")
raw = data[0][1] if typ == "OK" and data and isinstance(data[0], tuple) else b""
check(raw.startswith(b"Return-Path: <alice@remote.test>\r\nDelivered-To: demo@example.test\r\nReceived: "),
      "IMAP body starts with the trace fields")
check(raw.endswith(body.encode()), "IMAP body ends with the message as sent")
imap.logout()

pop = poplib.POP3(a.addr, a.port("pop3"), timeout=20)
pop.stls(context=ctx)
pop.user("demo@example.test")
pop.pass_(a.password)
count, _ = pop.stat()
check(count == 1, f"POP3 sees one message ({count})")
resp, lines, _ = pop.retr(1)
check(b"\r\n".join(lines) + b"\r\n" == raw, "POP3 RETR gives the same bytes")
pop.quit()

rc, _ = a.stop()
check(rc == 0, "server stops cleanly")
finish()
