"""Reports sent: two instances, A (a.test, NET.2) and B (b.test, NET.3), with
reports.send_dmarc on, exchange mail; a forger on NET.20 also claims to be a.test at B. Then a
day passes (the instances restart with HEARTH_REPORTS_CLOCK_OFFSET one day ahead), and each
sends the other a DMARC aggregate report over SMTP for the mail it received, which the other
reads: `hearth reports dmarc` on A shows what B saw from A's IP and from the forger.

The reports are checked with our own reader (the numbers), against RFC 7489 appendix C's XML
schema with xmllint, and for the RFC 7489 §7.1 external destination check: a.test's record
also names reports@c.test, which has no `a.test._report._dmarc.c.test` record, so B sends
nothing there; b.test's names postmaster@a.test, which agrees, so A sends there (to itself).
"""
import gzip
import os
import re
import subprocess
import tempfile
import time
from email import message_from_bytes

import reports_lib  # noqa: F401 (first: puts mailauth_lib and queue_lib on the path)
from hearth_test import NET, Instance, check, finish, set_key
from knot import Knot
from mailauth_lib import DNS_ADDR, DNS_PORT, dkim_records, mx_send, submit, txt_rdata
from queue_lib import log_lines, wait_for
from reports_lib import DATA, imap_messages

a = Instance("alice@a.test", host=2)
b = Instance("bob@b.test", host=3)


def zone(inst, n, rua):
    keys = "".join(f"{sel}._domainkey TXT {txt_rdata(v)}\n" for sel, v in dkim_records(inst, inst.domain).items())
    return (f"@ MX 10 mail\nmail A {NET}.{n}\n@ TXT \"v=spf1 ip4:{NET}.{n} -all\"\n"
            f'_dmarc TXT "v=DMARC1; p=quarantine; rua={rua}"\n' + keys)


zones = {
    "a.test": zone(a, 2, "mailto:postmaster@a.test,mailto:reports@c.test"),
    "b.test": zone(b, 3, "mailto:postmaster@b.test,mailto:postmaster@a.test"),
    "c.test": "@ MX 10 mail\nmail A 127.0.0.1\n",
}
# a.test agrees to receive b.test's reports (RFC 7489 §7.1); c.test publishes nothing for a.test.
zones["a.test"] += 'b.test._report._dmarc TXT "v=DMARC1"\n'
Knot(addr=DNS_ADDR, port=DNS_PORT, zones=zones).start()
for inst in (a, b):
    set_key(inst.config, "dns", "servers", f'["{DNS_ADDR}:{DNS_PORT}"]')
    set_key(inst.config, "smtp.outbound", "port", str(b.port("smtp")))
    set_key(inst.config, "smtp.queue", "first_retry", "1")
    # Outgoing connections leave from the instance's own address, which its SPF names.
    set_key(inst.config, "smtp.queue", "bind_addresses", f'["{inst.addr}"]')
    set_key(inst.config, "reports", "send_dmarc", "true")
    inst.cli(["config", "check"])
a.start(wait_for="smtp")
b.start(wait_for="smtp")

# Day 1: A sends B two messages, B sends A one; a forger claims a.test at B.
for i in range(2):
    submit(a, "bob@b.test", f"From: <alice@a.test>\r\nTo: <bob@b.test>\r\nSubject: hello {i}\r\n\r\nhi\r\n".encode())
submit(b, "alice@a.test", b"From: <bob@b.test>\r\nTo: <alice@a.test>\r\nSubject: reply\r\n\r\nhi\r\n")
code, _ = mx_send(b, "x@a.test", "bob@b.test", b"From: <x@a.test>\r\nTo: bob@b.test\r\nSubject: forged\r\n\r\nbuy\r\n",
                  source=f"{NET}.20")
check(code == 250, f"the forged message is accepted (p=quarantine: Junk) ({code})")
got_b = wait_for(lambda: len([m for m in imap_messages(b) if b"Subject: hello" in m]) == 2, timeout=30)
got_a = wait_for(lambda: any(b"Subject: reply" in m for m in imap_messages(a)), timeout=30)
check(got_b and got_a, "day 1 mail delivered both ways")

# A day passes: both restart with their clock one day ahead and send what is due.
for inst in (a, b):
    inst.stop()
os.environ["HEARTH_REPORTS_CLOCK_OFFSET"] = "86400"
a.start(wait_for="smtp")
b.start(wait_for="smtp")


def received(inst, domain):
    return [l for l in log_lines(inst, "reports.received") if f"domain={domain}" in l]


check(wait_for(lambda: received(a, "a.test"), timeout=40), "A read B's report about a.test")
check(wait_for(lambda: received(b, "b.test"), timeout=40), "B read A's report about b.test")
check(wait_for(lambda: received(a, "b.test"), timeout=40),
      "A's report about b.test also reached postmaster@a.test (the destination agreed, RFC 7489 §7.1)")
refused = [l for l in log_lines(b, "reports.not_sent") if "reports@c.test" in l]
check(len(refused) == 1 and "7.1" in refused[0], f"B sent nothing to reports@c.test, which did not agree ({refused})")

out_a = a.cli(["reports", "dmarc", "--domain", "a.test"]).stdout
print(out_a)
rows = {l.split()[2]: l.split() for l in out_a.splitlines() if re.match(r"^\d{4}-\d\d-\d\d ", l)}
r = rows.get(f"{NET}.2")
check(r is not None and r[3:7] == ["2", "2", "2", "0"] and r[-1] == "mail.b.test",
      f"A sees what B saw from A's IP: 2 messages passing DKIM and SPF ({r})")
r = rows.get(f"{NET}.20")
check(r is not None and r[3:7] == ["1", "0", "0", "1"] and "quarantine" in r, f"and the forger, quarantined ({r})")
check(any(l.strip().startswith(f"FAIL {NET}.20") for l in out_a.splitlines()), "the forger is pointed at")
out_b = b.cli(["reports", "dmarc", "--domain", "b.test"]).stdout
print(out_b)
rows = {l.split()[2]: l.split() for l in out_b.splitlines() if re.match(r"^\d{4}-\d\d-\d\d ", l)}
r = rows.get(f"{NET}.3")
check(r is not None and r[3:7] == ["1", "1", "1", "0"] and r[-1] == "mail.a.test", f"B sees its reply at A ({r})")

# The XML we sent, against the RFC's schema.
report = next((m for m in imap_messages(a) if b"Report Domain: a.test Submitter: mail.b.test" in m), None)
check(report is not None, "B's report is in A's postmaster mailbox")
if report:
    msg = message_from_bytes(report)
    check(msg["Subject"].startswith("Report Domain: a.test Submitter: mail.b.test Report-ID: <"), "RFC 7489 Subject")
    check(msg["DKIM-Signature"] is not None, "the report is DKIM-signed")
    parts = [p for p in msg.walk() if p.get_content_type() == "application/gzip"]
    check(len(parts) == 1 and re.match(r"^mail\.b\.test!a\.test!\d+!\d+\.xml\.gz$", parts[0].get_filename() or ""),
          f"one gzip attachment named as RFC 7489 §7.2.1.1 says ({[p.get_filename() for p in parts]})")
    if parts:
        xml = gzip.decompress(parts[0].get_payload(decode=True))
        path = os.path.join(tempfile.mkdtemp(prefix="hearth-rua-"), "report.xml")
        with open(path, "wb") as f:
            f.write(xml)
        cp = subprocess.run(["xmllint", "--noout", "--schema", os.path.join(DATA, "rfc7489-rua.xsd"), path],
                            capture_output=True, text=True, timeout=30)
        check(cp.returncode == 0, f"xmllint: valid against RFC 7489 appendix C ({cp.stderr.strip()})")
# The day's evaluations are forgotten once sent: a second restart sends nothing again.
sent_before = len(log_lines(b, "reports.sent"))
b.stop()
b.start(wait_for="smtp")
time.sleep(4)
check(len(log_lines(b, "reports.sent")) == sent_before, "nothing is sent twice")
finish()
