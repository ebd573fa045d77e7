"""RCPT TO:<postmaster@HOSTNAME> on the MX port (RFC 5321 §4.5.1): the server's own host name and
its address literal are accepted for postmaster and delivered to the postmaster alias of the
first domain; other local parts at the host name, and postmaster at a foreign literal, are still
relaying and refused."""
import smtplib

from hearth_test import Instance, check, finish
from mailbox import wait_messages

a = Instance("demo@example.test", host=1, hostname="mx.host.test")
# A second domain with its own postmaster: the host's postmaster is the first domain's.
a.cli(["domain", "add", "other.test"])
a.cli(["user", "add", "olga@other.test", "--password-stdin"], input="olga-password-123\n")
a.start()

s = smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.remote.test", timeout=20)
s.ehlo()
for rcpt in ["someone@mx.host.test", "postmaster@[192.0.2.1]", "postmaster@elsewhere.test"]:
    check(s.mail("alice@remote.test")[0] == 250, "MAIL FROM accepted")
    code, resp = s.rcpt(rcpt)
    check(code == 554 and b"5.7.1" in resp, f"RCPT TO:<{rcpt}> still refused as relaying ({code} {resp!r})")
    s.rset()
accepted = ["postmaster@mx.host.test", "PostMaster@MX.Host.Test", f"postmaster@[{a.addr}]"]
for rcpt in accepted:
    check(s.mail("alice@remote.test")[0] == 250, "MAIL FROM accepted")
    code, resp = s.rcpt(rcpt)
    check(code == 250, f"RCPT TO:<{rcpt}> accepted ({code} {resp!r})")
    code, resp = s.data(f"From: alice@remote.test\r\nSubject: to {rcpt}\r\n\r\nhello\r\n")
    check(code == 250, f"DATA for <{rcpt}> accepted ({code} {resp!r})")
s.quit()

msgs = wait_messages(a, "demo@example.test", len(accepted))
check(len(msgs) == len(accepted), f"every copy in the first domain's postmaster's INBOX ({len(msgs)})")
for rcpt, m in zip(accepted, msgs):
    check(b"Delivered-To: demo@example.test\r\n" in m and f"Subject: to {rcpt}".encode() in m
          and f"for <{rcpt}>".encode() in m, f"<{rcpt}> delivered to postmaster@example.test's account")
check(wait_messages(a, "olga@other.test", 1, timeout=1) == [], "nothing for the second domain")
check("smtp.relay_refused" in a.log() and "someone@mx.host.test" in a.log(), "other local parts logged as relaying")

rc, _ = a.stop()
check(rc == 0, "server stopped cleanly")
finish()
