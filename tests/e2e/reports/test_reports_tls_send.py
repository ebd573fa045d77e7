"""TLS-RPT reports sent (RFC 8460): A (alice@a.test, NET.2) delivers to B (bob@b.test, NET.3),
which publishes an `enforce` MTA-STS policy ("mx: mail.b.test", served by B itself) and
`_smtp._tls.b.test` with `rua=mailto:postmaster@b.test`; knot (NET.1) serves the records.
c.test is hosted at B too, without an MTA-STS policy, and asks for its reports at an https:
rua. A has reports.send_tls on.

Day 1: one message reaches bob (a session that meets the policy); b.test's MX record then
moves to mx2.b.test, which the policy does not list: the next message is deferred, a failure
A records; one message reaches carol@c.test (no policy). A day passes (A restarts with
HEARTH_REPORTS_CLOCK_OFFSET one day ahead) and A sends what is due:

- to postmaster@b.test by mail: multipart/report; report-type="tlsrpt", the RFC 8460 §5.3
  Subject and TLS-Report-Domain/-Submitter fields, DKIM-signed, a gzip JSON attachment with
  the policy-string and mx-host of B's policy; B reads it, and `hearth reports tls` on B shows
  A's sessions: 1 successful, 1 failed (validation-failure at mx2.b.test);
- to c.test's https: rua by POST (§5.4): application/tlsrpt+gzip, a JSON document with
  RFC 8460 §4.4's fields. The HTTPS receiver is this test itself (Python's http.server with
  ssl, a certificate from a CA the test makes, trusted by A through smtp.outbound.ca_file): it
  stands in for a third-party collector, which cannot run here;
- to postmaster@b.test too for e.test (hosted at B), whose _mta-sts record names a policy host
  where nothing listens: B's `hearth reports tls --domain e.test` shows the session that went
  on without a policy and the sts-policy-fetch-error;
- not to d.test's https: rua, whose host name (collector.d.test, the same receiver) is not the
  one its certificate names: the report is not sent, and the log says why.
"""
import gzip
import http.server
import json
import os
import re
import ssl
import subprocess
import tempfile
import threading
import time
from email import message_from_bytes

import reports_lib  # noqa: F401 (first: puts mailauth_lib and queue_lib on the path)
from hearth_test import NET, Instance, check, finish, set_key
from knot import Knot
from mailauth_lib import dkim_records, txt_rdata
from queue_lib import find, log_lines, submit, wait_for
from reports_lib import imap_messages

DNS_PORT = 5353
A_ADDR, B_ADDR, COLLECTOR_ADDR = f"{NET}.2", f"{NET}.3", f"{NET}.4"
COLLECTOR_PORT = 18443
COLLECTOR_URL = f"https://collector.c.test:{COLLECTOR_PORT}/v1/tlsrpt"
WRONG_NAME_URL = f"https://collector.d.test:{COLLECTOR_PORT}/v1/tlsrpt"

a = Instance("alice@a.test", host=2)
b = Instance("bob@b.test", host=3)
set_key(b.config, "zone", "mta_sts_mode", '"enforce"')
m = re.search(r"v=STSv1; id=([A-Za-z0-9]+)", b.cli(["dns", "zone", "b.test"]).stdout)
check(m is not None, "B's zone publishes an MTA-STS TXT record")
sts_id = m.group(1) if m else "none"

# The collector's certificate, from a CA of our own.
work = tempfile.mkdtemp(prefix="hearth-tlsrpt-")


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=work, timeout=60)


openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key",
        "-out", "ca.crt", "-subj", "/CN=collector test CA", "-days", "2",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "leaf.key",
        "-out", "leaf.csr", "-subj", "/CN=collector.c.test")
with open(os.path.join(work, "ext"), "w") as f:
    f.write("subjectAltName=DNS:collector.c.test\n")
openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.crt",
        "-days", "2", "-extfile", "ext")
trusted = os.path.join(work, "trusted.pem")
with open(trusted, "w") as out:
    for p in (b.ca_file(), os.path.join(work, "ca.crt")):
        with open(p) as f:
            out.write(f.read())

posts = []


class Collector(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        posts.append((self.path, self.headers.get("Content-Type", ""), self.rfile.read(min(n, 1 << 20))))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer((COLLECTOR_ADDR, COLLECTOR_PORT), Collector)
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(os.path.join(work, "leaf.crt"), os.path.join(work, "leaf.key"))
server.socket = sctx.wrap_socket(server.socket, server_side=True)
threading.Thread(target=server.serve_forever, daemon=True).start()


def b_zone(serial, mx_host):
    # TTL 1: A's resolver must see the changed MX record at the next attempt.
    return (f"$TTL 1\n@ IN SOA ns.b.test. hostmaster.b.test. {serial} 3600 600 86400 1\n@ IN NS ns.b.test.\n"
            f"ns A 127.0.0.1\n@ MX 10 {mx_host}\nmail A {B_ADDR}\nmx2 A {B_ADDR}\nmta-sts A {B_ADDR}\n"
            f'_mta-sts TXT "v=STSv1; id={sts_id};"\n_smtp._tls TXT "v=TLSRPTv1; rua=mailto:postmaster@b.test"\n')


keys_a = "".join(f"{sel}._domainkey TXT {txt_rdata(v)}\n" for sel, v in dkim_records(a, "a.test").items())
dns = Knot(addr=f"{NET}.1", port=DNS_PORT, zones={
    "a.test": f"@ MX 10 mail\nmail A {A_ADDR}\n@ TXT \"v=spf1 ip4:{A_ADDR} -all\"\n" + keys_a,
    "b.test": b_zone(1, "mail"),
    "c.test": (f"@ MX 10 mail.b.test.\ncollector A {COLLECTOR_ADDR}\n"
               f'_smtp._tls TXT "v=TLSRPTv1; rua={COLLECTOR_URL}"\n'),
    "e.test": (f"@ MX 10 mail.b.test.\nmta-sts A {NET}.9\n_mta-sts TXT \"v=STSv1; id=e1;\"\n"
               '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:postmaster@b.test"\n'),
    "d.test": (f"@ MX 10 mail.b.test.\ncollector A {COLLECTOR_ADDR}\n"
               f'_smtp._tls TXT "v=TLSRPTv1; rua={WRONG_NAME_URL}"\n'),
}).start()
b.cli(["domain", "add", "c.test"])
b.cli(["user", "add", "carol@c.test", "--password-stdin"], input="carol-password-123\n")
b.cli(["domain", "add", "e.test"])
b.cli(["user", "add", "erin@e.test", "--password-stdin"], input="erin-password-123\n")
b.cli(["domain", "add", "d.test"])
b.cli(["user", "add", "dave@d.test", "--password-stdin"], input="dave-password-123\n")
for inst in (a, b):
    set_key(inst.config, "dns", "servers", f'["{NET}.1:{DNS_PORT}"]')
    set_key(inst.config, "smtp.outbound", "port", str(b.port("smtp")))
    set_key(inst.config, "smtp.queue", "bind_addresses", f'["{inst.addr}"]')
set_key(a.config, "smtp.outbound", "https_port", str(b.port("https")))
set_key(a.config, "smtp.outbound", "ca_file", f'"{trusted}"')
# No retry within the test: the deferred message stays deferred, one failure.
set_key(a.config, "smtp.queue", "first_retry", "3600")
set_key(a.config, "reports", "send_tls", "true")
a.cli(["config", "check"])
b.cli(["config", "check"])
b.start(wait_for="https")
a.start(wait_for="submission")

# Day 1.
check(submit(a, "bob@b.test", "tls one") == {}, "A accepted mail for bob@b.test")
check(wait_for(lambda: find(b, "bob@b.test", "Subject: tls one")) is not None, "it reached bob (policy met)")
check(submit(a, "carol@c.test", "tls carol") == {}, "A accepted mail for carol@c.test")
check(wait_for(lambda: find(b, "carol@c.test", "Subject: tls carol")) is not None, "it reached carol (no policy)")
check(submit(a, "erin@e.test", "tls erin") == {}, "A accepted mail for erin@e.test")
check(wait_for(lambda: find(b, "erin@e.test", "Subject: tls erin")) is not None,
      "it reached erin (the policy could not be fetched: no policy)")
check(submit(a, "dave@d.test", "tls dave") == {}, "A accepted mail for dave@d.test")
check(wait_for(lambda: find(b, "dave@d.test", "Subject: tls dave")) is not None, "it reached dave")
dns.update("b.test", b_zone(2, "mx2"))
time.sleep(3)  # the old MX record's TTL (1 s) runs out in A's resolver cache
check(submit(a, "bob@b.test", "tls mismatch") == {}, "A accepted a second message for bob")
deferred = wait_for(lambda: [l for l in log_lines(a, "smtp.out") if "status=deferred" in l])
check(bool(deferred) and "dsn=4.7.5" in deferred[0], "it was deferred: mx2.b.test is not in the policy")
dns.update("b.test", b_zone(3, "mail"))  # the report itself must be able to reach B
time.sleep(2)

# A day passes for A's reports.
a.stop()
os.environ["HEARTH_REPORTS_CLOCK_OFFSET"] = "86400"
a.start(wait_for="submission")
del os.environ["HEARTH_REPORTS_CLOCK_OFFSET"]

got = wait_for(lambda: [l for l in log_lines(b, "reports.received") if "kind=tls" in l and "domain=b.test" in l],
               timeout=40)
check(bool(got), "B read A's TLS-RPT report about b.test")
out = b.cli(["reports", "tls", "--domain", "b.test"]).stdout
print(out)
rows = [l.split() for l in out.splitlines() if re.match(r"^\d{4}-\d\d-\d\d ", l)]
success = sum(int(r[2]) for r in rows if r[1] == "b.test")
failed = sum(int(r[3]) for r in rows if r[1] == "b.test")
check(rows and all(r[-1] == "mail.a.test" for r in rows), f"reported by mail.a.test ({rows})")
check(success == 1 and failed == 1, f"1 successful and 1 failed session ({success}, {failed})")
check(re.search(r"FAIL \S+ b\.test: 1 session\(s\) validation-failure at mx2\.b\.test", out) is not None,
      "the failure is pointed at: validation-failure at mx2.b.test")
check("c.test" not in out, "nothing about c.test in b.test's report")

check(wait_for(lambda: [l for l in log_lines(b, "reports.received") if "kind=tls" in l and "domain=e.test" in l],
               timeout=30), "B read A's TLS-RPT report about e.test")
out_e = b.cli(["reports", "tls", "--domain", "e.test"]).stdout
print(out_e)
rows_e = [l.split() for l in out_e.splitlines() if re.match(r"^\d{4}-\d\d-\d\d ", l)]
check(sum(int(r[2]) for r in rows_e) == 1 and sum(int(r[3]) for r in rows_e) == 1,
      f"e.test: the session without a policy succeeded, the policy fetch failed ({rows_e})")
check(re.search(r"FAIL \S+ e\.test: 1 session\(s\) sts-policy-fetch-error", out_e) is not None,
      "the failure is an sts-policy-fetch-error")

report = next((m for m in imap_messages(b) if b"Submitter: mail.a.test" in m and b"TLS-Report-Domain: b.test" in m), None)
check(report is not None, "the report is in B's postmaster mailbox")
if report:
    msg = message_from_bytes(report)
    check(re.match(r"^Report Domain: b\.test Submitter: mail\.a\.test Report-ID: <.+>$", msg["Subject"] or "")
          is not None, f"RFC 8460 §5.3 Subject ({msg['Subject']})")
    check(msg["TLS-Report-Domain"] == "b.test" and msg["TLS-Report-Submitter"] == "mail.a.test",
          "TLS-Report-Domain and TLS-Report-Submitter")
    check(msg.get_content_type() == "multipart/report" and msg.get_param("report-type") == "tlsrpt",
          'multipart/report; report-type="tlsrpt"')
    check(msg["DKIM-Signature"] is not None and "d=a.test" in msg["DKIM-Signature"], "DKIM-signed by a.test")
    parts = [p for p in msg.walk() if p.get_content_type() == "application/tlsrpt+gzip"]
    check(len(parts) == 1 and re.match(r"^mail\.a\.test!b\.test!\d+!\d+\.json\.gz$", parts[0].get_filename() or ""),
          f"one application/tlsrpt+gzip attachment named as §5.1 says ({[p.get_filename() for p in parts]})")
    if parts:
        doc = json.loads(gzip.decompress(parts[0].get_payload(decode=True)))
        sts = [p for p in doc["policies"] if p["policy"]["policy-type"] == "sts"]
        check(len(sts) == 1, "one sts policy entry")
        if sts:
            pol = sts[0]["policy"]
            check("mode: enforce" in pol.get("policy-string", []) and "mx: mail.b.test" in pol.get("policy-string", []),
                  f"policy-string is B's policy ({pol.get('policy-string')})")
            check(pol.get("mx-host") == ["mail.b.test"], f"mx-host ({pol.get('mx-host')})")
            det = sts[0].get("failure-details", [])
            check(len(det) == 1 and det[0]["result-type"] == "validation-failure" and
                  det[0]["receiving-mx-hostname"] == "mx2.b.test" and det[0]["failed-session-count"] == 1,
                  f"failure-details ({det})")

# The https: rua.
check(wait_for(lambda: posts, timeout=30), "the collector received a POST")
RFC3339 = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"
if posts:
    path, ctype, body = posts[0]
    check(path == "/v1/tlsrpt", f"to the URI's path ({path})")
    check(ctype == "application/tlsrpt+gzip", f"Content-Type application/tlsrpt+gzip ({ctype})")
    doc = None
    try:
        doc = json.loads(gzip.decompress(body))
    except (OSError, ValueError) as e:
        check(False, f"the body is gzip JSON ({e})")
    if doc is not None:
        # RFC 8460 §4.4: the required fields and their types.
        check(isinstance(doc.get("organization-name"), str) and doc["organization-name"] == "mail.a.test",
              "organization-name")
        dr = doc.get("date-range", {})
        check(all(re.match(RFC3339, str(dr.get(k, ""))) for k in ("start-datetime", "end-datetime")),
              f"date-range in RFC 3339 ({dr})")
        check(isinstance(doc.get("contact-info"), str) and "@" in doc["contact-info"], "contact-info")
        check(isinstance(doc.get("report-id"), str) and doc["report-id"] != "", "report-id")
        pols = doc.get("policies", [])
        check(len(pols) == 1 and pols[0]["policy"] == {"policy-type": "no-policy-found", "policy-domain": "c.test"},
              f"one policy: c.test, no-policy-found ({pols})")
        if pols:
            s = pols[0].get("summary", {})
            check(s.get("total-successful-session-count") == 1 and s.get("total-failure-session-count") == 0,
                  f"summary: 1 successful, 0 failed ({s})")
refused = wait_for(lambda: [l for l in log_lines(a, "reports.not_sent") if "domain=d.test" in l], timeout=30)
check(bool(refused) and WRONG_NAME_URL in refused[0] and "certificate" in refused[0],
      f"nothing posted to a collector whose certificate names another host ({refused[:1]})")
check(len(posts) == 1, f"one POST only ({len(posts)})")
sent = [l for l in log_lines(a, "reports.sent") if "kind=tls" in l]
check(any("domain=c.test" in l and COLLECTOR_URL in l for l in sent), "A logged the POST")
a.stop()
b.stop()
server.shutdown()
finish()
