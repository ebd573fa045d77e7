"""Reports received: DMARC aggregate reports and TLS-RPT reports sent over SMTP
to postmaster@a.test (the rua/TLS-RPT address of `hearth dns zone`) are read into the reports
store, and `hearth reports dmarc|tls` shows the numbers and points at the failures.

Shapes: the RFC 7489 example report as a plain XML attachment; reports generated here as gzip
and as zip; the RFC 8460 example as application/tlsrpt+gzip and a second one as +json. A
malformed report (truncated gzip), a gzip bomb of 100 000 records, a zip bomb and deeply nested
XML are each kept as mail and logged, and the server keeps running. Every message, readable or
not, is in the mailbox (read over IMAP).
"""
import json
import random
import time

import reports_lib  # noqa: F401 (first: puts mailauth_lib and queue_lib on the path)
from hearth_test import NET, Instance, check, finish
from knot import Knot
from mailauth_lib import DNS_ADDR, DNS_PORT, configure, mx_send
from queue_lib import log_lines, wait_for
from reports_lib import data, dmarc_xml, gz, imap_messages, report_message, zipped

DAY = 1767225600  # 2026-01-01T00:00:00Z
# The reporters send from NET.20, which their SPF records allow.
zones = {"a.test": f"@ MX 10 mail\nmail A {NET}.2\n"}
for org in ("google.test", "acme.test", "outlook.test"):
    zones[org] = f'@ TXT "v=spf1 ip4:{NET}.20 -all"\n'

Knot(addr=DNS_ADDR, port=DNS_PORT, zones=zones).start()
a = Instance("alice@a.test", host=2)
configure(a)
a.start(wait_for="smtp")
SRC = f"{NET}.20"


def deliver(n, subject, maintype, subtype, filename, payload, tls=False, org="google.test"):
    msg = report_message(f"noreply@{org}", "postmaster@a.test", subject, maintype, subtype, filename, payload, tls)
    code, text = mx_send(a, f"noreply@{org}", "postmaster@a.test", msg, source=SRC)
    check(code == 250, f"{n}: accepted ({code} {text!r})")


# 1. The RFC 7489 example, about our domain, as a plain XML attachment.
example = data("rfc7489-example.xml").replace(b"<domain>example.com</domain>", b"<domain>a.test</domain>")
deliver("rfc7489 example (xml)", "Report Domain: a.test Submitter: acme.com Report-ID: <9391651994964116463>",
        "text", "xml", "acme.com!a.test!1335571200!1335657599.xml", example, org="acme.test")
# 2. A day at a big provider, gzip: our own server passes; a forgotten service fails DKIM only;
#    a forger fails both.
day1 = dmarc_xml("google.test", "g-1", "a.test", DAY, [
    (f"{NET}.2", 40, "none", "pass", "pass", "a.test"),
    ("198.51.100.7", 12, "none", "fail", "pass", "a.test"),
    ("203.0.113.9", 3, "quarantine", "fail", "fail", "a.test"),
])
deliver("generated (gzip)", "Report domain: a.test Submitter: google.test Report-ID: g-1",
        "application", "gzip", "google.test!a.test!1767225600!1767311999.xml.gz", gz(day1))
# 3. The next day from another reporter, zip.
day2 = dmarc_xml("outlook.test", "o-7", "a.test", DAY + 86400, [(f"{NET}.2", 9, "none", "pass", "pass", "a.test")])
deliver("generated (zip)", "Report Domain: a.test Submitter: outlook.test Report-ID: o-7",
        "application", "zip", "outlook.test!a.test!1767312000!1767398399.zip",
        zipped("outlook.test!a.test!1767312000!1767398399.xml", day2), org="outlook.test")
# 4. TLS-RPT: the RFC 8460 example about our domain (gzip) and a clean one (json).
tls_example = data("rfc8460-example.json").replace(b"company-y.example", b"a.test")
deliver("rfc8460 example (tlsrpt+gzip)", "Report Domain: a.test Submitter: company-x.example Report-ID: <5065427c>",
        "application", "tlsrpt+gzip", "company-x.example!a.test!1459468800!1459555199.json.gz", gz(tls_example),
        tls=True)
clean = json.dumps({"organization-name": "google.test", "date-range": {
    "start-datetime": "2026-01-01T00:00:00Z", "end-datetime": "2026-01-01T23:59:59Z"},
    "contact-info": "smtp-tls-reporting@google.test", "report-id": "2026-01-01T00:00:00Z_a.test",
    "policies": [{"policy": {"policy-type": "sts", "policy-domain": "a.test"},
                  "summary": {"total-successful-session-count": 77, "total-failure-session-count": 0}}]}).encode()
deliver("generated (tlsrpt+json)", "Report Domain: a.test Submitter: google.test Report-ID: <2026-01-01>",
        "application", "tlsrpt+json", "google.test!a.test!1767225600!1767311999.json", clean, tls=True)

# 5. Unreadable ones: still mail, logged.
bad = [
    ("truncated gzip", "application", "gzip", "bad.xml.gz", gz(day1)[:200]),
    ("100k records (gzip bomb)", "application", "gzip", "huge.xml.gz",
     gz(dmarc_xml("big.test", "b-1", "a.test", DAY, [("192.0.2.1", 1, "none", "pass", "pass", "a.test")] * 100000))),
    ("zip bomb", "application", "zip", "bomb.zip", data("bomb.zip")),
    ("nested XML", "text", "xml", "deep.xml", b"<feedback>" + b"<a>" * 50000 + b"</a>" * 50000 + b"</feedback>"),
    ("not a report", "text", "xml", "html.xml", b"<html><body>hello</body></html>"),
]
for n, (what, mt, st, fn, payload) in enumerate(bad):
    deliver(what, f"Report Domain: a.test bad {n}", mt, st, fn, payload)

unreadable = wait_for(lambda: len(log_lines(a, "reports.unreadable")) >= len(bad) and log_lines(a, "reports.unreadable"),
                      timeout=30)
check(len(unreadable or []) == len(bad), f"each unreadable report logged ({len(unreadable or [])} of {len(bad)})")
check(any("code=reports.too_big" in l for l in unreadable or []), "the bombs are logged as too big")
check(any("code=reports.compression" in l for l in unreadable or []), "the truncated gzip as corrupt")
check(a.proc.poll() is None, "the server is still running")
received = log_lines(a, "reports.received")
check(len(received) == 5, f"five reports read ({len(received)})")

# Every message is in the mailbox of the account behind postmaster@.
subjects = [m.split(b"\r\n\r\n")[0] for m in imap_messages(a)]
check(len(subjects) == 5 + len(bad), f"all {5 + len(bad)} messages delivered to the mailbox ({len(subjects)})")
check(all(any(f"bad {n}".encode() in s for s in subjects) for n in range(len(bad))), "the unreadable ones too")

# A report sent twice (a reporter's retry) counts once.
deliver("duplicate (gzip)", "Report domain: a.test Submitter: google.test Report-ID: g-1 (again)",
        "application", "gzip", "google.test!a.test!1767225600!1767311999.xml.gz", gz(day1))
check(wait_for(lambda: any("duplicate=yes" in l for l in log_lines(a, "reports.received")), timeout=20),
      "the duplicate is recognised")

out = a.cli(["reports", "dmarc"]).stdout
print(out)
check("DMARC aggregate reports: 3 report(s)" in out, "three DMARC reports")
lines = out.splitlines()


def row(day, ip):
    return next((l.split() for l in lines if l.startswith(day) and f" {ip} " in l), None)


r = row("2026-01-01", f"{NET}.2")
check(r is not None and r[3:7] == ["40", "40", "40", "0"], f"our server on day 1: 40 messages, all pass ({r})")
r = row("2026-01-01", "198.51.100.7")
check(r is not None and r[3:7] == ["12", "0", "12", "0"], f"the forgotten service: 12, DKIM fails, SPF passes ({r})")
r = row("2026-01-01", "203.0.113.9")
check(r is not None and r[3:7] == ["3", "0", "0", "3"] and "quarantine" in r, f"the forger: 3 failing DMARC ({r})")
r = row("2026-01-02", f"{NET}.2")
check(r is not None and r[3] == "9" and r[-1] == "outlook.test", f"day 2 from outlook.test ({r})")
r = row("2012-04-28", "72.150.241.94")
check(r is not None and r[3:7] == ["2", "0", "2", "0"], f"the RFC example's row ({r})")
check("total: 66 message(s), 3 failing DMARC" in out, "totals")
check(any("WARN 198.51.100.7" in l and "forgotten service" in l for l in lines), "the forgotten service is pointed at")
check(any("FAIL 203.0.113.9" in l and "spoofing" in l for l in lines), "the forger is pointed at")

since = a.cli(["reports", "dmarc", "--since", "2026-01-02"]).stdout
check("2012-04-28" not in since and "2026-01-02" in since and "2026-01-01" not in since, "--since filters by day")
other = a.cli(["reports", "dmarc", "--domain", "elsewhere.test"]).stdout
check(other.strip() == "no DMARC reports", "--domain filters by domain")
bad_date = a.cli(["reports", "dmarc", "--since", "yesterday"], check_rc=False)
check(bad_date.returncode == 2, "a bad --since is a usage error")

tls = a.cli(["reports", "tls", "--domain", "a.test"]).stdout
print(tls)
check("TLS-RPT reports: 2 report(s)" in tls, "two TLS-RPT reports")
t = next((l.split() for l in tls.splitlines() if l.startswith("2016-04-01")), None)
check(t is not None and t[2:4] == ["5326", "303"], f"the RFC 8460 example's counts ({t})")
t = next((l.split() for l in tls.splitlines() if l.startswith("2026-01-01")), None)
check(t is not None and t[2:4] == ["77", "0"], f"the clean report ({t})")
check("200 session(s) starttls-not-supported at mx2.mail.a.test [203.0.113.56]" in tls, "a failure line names the MX")

# A big reporter's day: its gzip attachment is over 1 MiB as sent (base64), so the message is
# kept on disk while it arrives and the copy the intake sees holds only its first MiB; the
# report is read from the rest in pieces, all of it.
rng = random.Random(7)
huge_rows = [(f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}", rng.randrange(1, 500), "none",
              "pass", "pass", "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(48)) + ".a.test")
             for _ in range(19000)]
huge = gz(dmarc_xml("huge.test", "h-1", "a.test", DAY + 4 * 86400, huge_rows))
check(len(huge) * 4 // 3 > 1 << 20, f"the big report's attachment is over 1 MiB as sent ({len(huge) * 4 // 3} octets)")
deliver("big reporter (gzip over 1 MiB)", "Report domain: a.test Submitter: huge.test Report-ID: h-1",
        "application", "gzip", "huge.test!a.test!1767571200!1767657599.xml.gz", huge)
got = wait_for(lambda: [l for l in log_lines(a, "reports.received") if "report_id=h-1" in l], timeout=60)
check(bool(got) and "rows=19000" in got[0], f"the big report is read whole: {got}")
check(len(log_lines(a, "reports.unreadable")) == len(bad), "and not logged as unreadable")
finish()
