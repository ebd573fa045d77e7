"""SMTP inbound (MX) and submission with real clients (smtplib, swaks): delivery into the INBOX
with the trace headers, unknown users, relay refusal, aliases, AUTH only under TLS, sender
spoofing refused, implicit TLS on 465."""
import re
import smtplib
import ssl
import subprocess

from hearth_test import Instance, check, finish
from mailbox import messages, wait_messages

a = Instance("demo@example.test", host=1)
a.cli(["user", "add", "bob@example.test", "--password-stdin"], input="bob-password-123\n")
a.cli(["alias", "add", "team@example.test", "demo@example.test", "bob@example.test"])
a.start()
ctx = ssl.create_default_context(cafile=a.ca_file())

body = ("From: Alice <alice@remote.test>\r\nTo: demo@example.test\r\nSubject: hello over MX\r\n"
        "Message-ID: <m1@remote.test>\r\n\r\nFirst line.\r\n.leading dot\r\n")

# --- MX, STARTTLS, delivery with trace headers -------------------------------------------
s = smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.remote.test", timeout=20)
s.ehlo()
check(s.has_extn("starttls"), "MX offers STARTTLS")
check(not s.has_extn("auth"), "MX offers no AUTH before TLS")
check(s.has_extn("pipelining") and s.has_extn("8bitmime") and s.has_extn("chunking")
      and s.has_extn("smtputf8") and s.has_extn("enhancedstatuscodes"), "MX extensions")
check(s.esmtp_features.get("size") == str(50 * 1024 * 1024), "SIZE announces the limit")
s.starttls(context=ctx)
s.ehlo()
check(not s.has_extn("auth"), "MX offers no AUTH after TLS either")
code, resp = s.mail("alice@remote.test")
check(code == 250, "MAIL FROM accepted")
code, resp = s.rcpt("demo@example.test")
check(code == 250, "RCPT to a local user accepted")
code, resp = s.rcpt("nobody@example.test")
check(code == 550 and b"5.1.1" in resp, f"unknown local user refused 550 5.1.1 ({code} {resp!r})")
code, resp = s.rcpt("victim@elsewhere.test")
check(code == 554 and b"5.7.1" in resp, f"relay refused 554 5.7.1 ({code} {resp!r})")
code, resp = s.data(body)  # smtplib dot-stuffs ".leading"; the server must unstuff it
check(code == 250, f"DATA accepted ({code} {resp!r})")
s.quit()
msgs = wait_messages(a, "demo@example.test", 1)
check(len(msgs) == 1, "one message in demo's INBOX")
if msgs:
    m = msgs[0]
    head, _, rest = m.partition(b"\r\nReceived: ")
    check(m.startswith(b"Return-Path: <alice@remote.test>\r\nDelivered-To: demo@example.test\r\n"),
          "Return-Path and Delivered-To on top")
    check(re.search(rb"Received: from client\.remote\.test \(\[127\.\d+\.\d+\.\d+\]\)", m), "Received names the client")
    check(b"with ESMTPS" in m and b"for <demo@example.test>" in m, "Received: ESMTPS, for <rcpt>")
    # Everything after our trace fields is the message as sent, dot-unstuffed.
    idx = m.find(b"From: Alice")
    check(idx > 0 and m[idx:] == body.encode(),
          "body stored byte for byte")
check("smtp.relay_refused" in a.log() and "victim@elsewhere.test" in a.log(), "relay attempt logged")

# --- alias expansion: one copy per account ---------------------------------------------
s = smtplib.SMTP(a.addr, a.port("smtp"), timeout=20)
s.starttls(context=ctx)
s.sendmail("carol@remote.test", ["team@example.test"],
           "From: carol@remote.test\r\nSubject: to the team\r\n\r\nhi team\r\n")
s.quit()
d = wait_messages(a, "demo@example.test", 2)
b = wait_messages(a, "bob@example.test", 1)
check(len(d) == 2 and len(b) == 1, "alias delivered to both accounts")
if len(b) == 1:
    check(b"Delivered-To: bob@example.test\r\n" in b[0] and b"for <team@example.test>" in b[0],
          "alias copy: Delivered-To the account, Received for the alias")

# --- swaks through STARTTLS on the MX port ---------------------------------------------
r = subprocess.run(["swaks", "--server", a.addr, "--port", str(a.port("smtp")), "--from", "dave@remote.test",
                    "--to", "bob@example.test", "-tls", "--tls-verify", "--tls-ca-path", a.ca_file(),
                    "--header", "Subject: swaks mx", "--timeout", "20"],
                   capture_output=True, text=True, timeout=60)
check(r.returncode == 0, f"swaks MX delivery (rc {r.returncode})")
check(any(b"Subject: swaks mx" in m for m in wait_messages(a, "bob@example.test", 2)), "swaks message stored")

# --- submission: AUTH only after STARTTLS ----------------------------------------------
s = smtplib.SMTP(a.addr, a.port("submission"), timeout=20)
s.ehlo()
check(not s.has_extn("auth"), "587 offers no AUTH before TLS")
code, resp = s.docmd("AUTH", "PLAIN AGRlbW8AeA==")
check(code == 538 and b"5.7.11" in resp, f"AUTH before TLS refused 538 5.7.11 ({code})")
code, resp = s.mail("demo@example.test")
check(code == 530, f"MAIL before AUTH refused ({code} {resp!r})")
s.starttls(context=ctx)
s.ehlo()
check(s.has_extn("auth") and "PLAIN" in s.esmtp_features["auth"], "587 offers AUTH PLAIN after STARTTLS")
try:
    s.login("demo@example.test", "wrong-password")
    check(False, "wrong password refused")
except smtplib.SMTPAuthenticationError as e:
    check(e.smtp_code == 535, "wrong password refused 535")
s.login("demo@example.test", a.password)
code, resp = s.mail("mallory@example.test")
check(code == 553 and b"5.7.1" in resp, f"envelope sender not owned refused 553 ({code} {resp!r})")
s.rset()
try:
    s.sendmail("demo@example.test", ["bob@example.test"],
               "From: Bob <bob@example.test>\r\nSubject: spoof\r\n\r\nnot mine\r\n")
    check(False, "From: spoofing refused")
except smtplib.SMTPDataError as e:
    check(e.smtp_code == 553, f"From: of another user refused 553 ({e.smtp_code})")
s.sendmail("team@example.test", ["bob@example.test"],
           "From: Team <team@example.test>\r\nSubject: via alias\r\n\r\nfrom the team alias\r\n")
s.sendmail("demo@example.test", ["bob@example.test"],
           "From: Demo <demo@example.test>\r\nSubject: submitted\r\n\r\nhello bob\r\n")
s.quit()
bm = wait_messages(a, "bob@example.test", 4)
check(any(b"Subject: via alias" in m for m in bm), "alias of the user allowed as sender")
sub = [m for m in bm if b"Subject: submitted" in m]
check(len(sub) == 1, "submitted message delivered locally")
if sub:
    check(b"with ESMTPSA" in sub[0] and b"Received: by mail.example.test" in sub[0]
          and b"[127." not in sub[0].split(b"\r\n\r\n")[0], "submission Received: ESMTPSA, client address masked")
check(not any(b"Subject: spoof" in m for m in bm), "refused message not stored")

# --- submissions: implicit TLS ----------------------------------------------------------
s = smtplib.SMTP_SSL(a.addr, a.port("submissions"), context=ctx, timeout=20)
s.ehlo()
check(not s.has_extn("starttls") and s.has_extn("auth"), "465: TLS from the start, AUTH offered")
s.login("bob@example.test", "bob-password-123")
s.sendmail("bob@example.test", ["demo@example.test"], "From: bob@example.test\r\nSubject: over 465\r\n\r\nx\r\n")
s.quit()
check(any(b"Subject: over 465" in m for m in wait_messages(a, "demo@example.test", 3)), "465 delivery")

# --- swaks submission with AUTH over STARTTLS and over TLS ------------------------------
for mode, port in (("starttls", a.port("submission")), ("tls", a.port("submissions"))):
    args = ["swaks", "--server", a.addr, "--port", str(port), "--from", "demo@example.test",
            "--to", "bob@example.test", "--auth", "PLAIN", "--auth-user", "demo@example.test",
            "--auth-password", a.password, "--tls-verify", "--tls-ca-path", a.ca_file(),
            "--header", f"Subject: swaks {mode}", "--header", "From: demo@example.test", "--timeout", "20"]
    args.insert(1, "-tls" if mode == "starttls" else "--tls-on-connect")
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"swaks submission over {mode} (rc {r.returncode})")
bm = wait_messages(a, "bob@example.test", 6)
check(sum(1 for m in bm if re.search(rb"Subject: swaks (starttls|tls)\r\n", m)) == 2, "both swaks submissions stored")

rc, _ = a.stop()
check(rc == 0, "server stops cleanly")
finish()
