"""MTA-STS (RFC 8461) when sending: A (alice@a.test) delivers to B (bob@b.test), which serves
its own policy (zone.mta_sts_mode = "enforce", "mx: mail.b.test") at
https://mta-sts.b.test/.well-known/mta-sts.txt; knot serves the _mta-sts TXT record with the
id B's `hearth dns zone` prints. A trusts B's dev CA through smtp.outbound.ca_file and fetches
the policy on B's HTTPS port (smtp.outbound.https_port).

- The MX is in the policy and its certificate is valid: the message arrives, and the policy
  is logged and cached (the database row outlives a restart).
- REQUIRETLS (RFC 8689) on submission: a message for b.test (policy, verified certificate,
  B advertises REQUIRETLS) arrives; one for c.test (hosted at B too, but without a policy)
  comes back with 5.7.30 and only its headers, while the same message without REQUIRETLS
  arrives.
- The MX record then changes to a host the policy does not list (what a forged DNS answer
  would do): the message is deferred with 4.7.5 and the reason, in the queue and in the delay
  DSN, and does not reach B.
"""
import os
import re
import smtplib
import sqlite3
import ssl
import time

from hearth_test import NET, Instance, check, finish, set_key
from knot import Knot
from queue_lib import find, log_lines, submit, wait_for

DNS_PORT = 5353
A_ADDR, B_ADDR = f"{NET}.2", f"{NET}.3"

a = Instance("alice@a.test", host=2)
b = Instance("bob@b.test", host=3)
set_key(b.config, "zone", "mta_sts_mode", '"enforce"')
zone_b = b.cli(["dns", "zone", "b.test"]).stdout
m = re.search(r"v=STSv1; id=([A-Za-z0-9]+)", zone_b)
check(m is not None, "B's zone publishes an MTA-STS TXT record")
sts_id = m.group(1) if m else "none"


def b_zone(serial, mx_host):
    # TTL 1: A's resolver must see the changed MX record at the next attempt.
    return (f"$TTL 1\n@ IN SOA ns.b.test. hostmaster.b.test. {serial} 3600 600 86400 1\n@ IN NS ns.b.test.\n"
            f"ns A 127.0.0.1\n@ MX 10 {mx_host}\nmail A {B_ADDR}\nmx2 A {B_ADDR}\nmta-sts A {B_ADDR}\n"
            f'_mta-sts TXT "v=STSv1; id={sts_id};"\n')


dns = Knot(addr=f"{NET}.1", port=DNS_PORT, zones={
    "a.test": f"@ MX 10 mail\nmail A {A_ADDR}\n",
    "b.test": b_zone(1, "mail"),
    "c.test": "@ MX 10 mail.b.test.\n",
}).start()
b.cli(["domain", "add", "c.test"])
b.cli(["user", "add", "carol@c.test", "--password-stdin"], input="carol-password-123\n")
for inst in (a, b):
    set_key(inst.config, "dns", "servers", f'["{NET}.1:{DNS_PORT}"]')
    set_key(inst.config, "smtp.outbound", "port", str(b.port("smtp")))
    set_key(inst.config, "smtp.queue", "bind_addresses", f'["{inst.addr}"]')
set_key(a.config, "smtp.outbound", "https_port", str(b.port("https")))
set_key(a.config, "smtp.outbound", "ca_file", f'"{b.ca_file()}"')
set_key(a.config, "smtp.queue", "first_retry", "1")
set_key(a.config, "smtp.queue", "max_retry", "2")
set_key(a.config, "smtp.queue", "delay_warning", "1")
a.cli(["config", "check"])
b.cli(["config", "check"])
b.start(wait_for="https")
a.start(wait_for="submission")

# 1. The MX is in the policy.
check(submit(a, "bob@b.test", "sts one") == {}, "A accepted mail for bob@b.test")
msg = wait_for(lambda: find(b, "bob@b.test", "Subject: sts one"))
check(msg is not None, "the message reached bob at B")
policy = log_lines(a, "smtp.out.sts_policy")
check(len(policy) == 1, "A fetched B's policy once")
if policy:
    check("mode=enforce" in policy[0] and f"id={sts_id}" in policy[0] and "mx=mail.b.test" in policy[0],
          "mode, id and mx logged: " + policy[0][:200])
check(not log_lines(a, "smtp.out.sts_fetch_failed"), "no fetch failure")
con = sqlite3.connect(os.path.join(a.dir, "data", "hearth.db"), timeout=10)
rows = con.execute("SELECT domain, id, mode FROM queue_sts_policies").fetchall()
con.close()
check(rows == [("b.test", sts_id, "enforce")], f"the policy is cached in the database: {rows}")

# A second message uses the cached policy (same TXT id): no second fetch.
check(submit(a, "bob@b.test", "sts two") == {}, "A accepted a second message")
check(wait_for(lambda: find(b, "bob@b.test", "Subject: sts two")) is not None, "which arrived too")
check(len(log_lines(a, "smtp.out.sts_policy")) == 1, "without fetching the policy again")

# 2. REQUIRETLS on submission.
def submit_requiretls(to, subject):
    ctx = ssl.create_default_context(cafile=a.ca_file())
    ctx.check_hostname = False
    msg = (f"From: <alice@a.test>\r\nTo: <{to}>\r\nSubject: {subject}\r\n\r\nSecret body of {subject}.\r\n")
    with smtplib.SMTP(a.addr, a.port("submission"), timeout=30) as s:
        s.starttls(context=ctx)
        s.ehlo("client.test")
        check(s.has_extn("requiretls"), "A's submission port advertises REQUIRETLS after STARTTLS")
        s.login(a.email, a.password)
        return s.sendmail("alice@a.test", [to], msg.encode(), mail_options=["REQUIRETLS"])


check(submit_requiretls("bob@b.test", "rt ok") == {}, "A accepted a REQUIRETLS message for b.test")
check(wait_for(lambda: find(b, "bob@b.test", "Subject: rt ok")) is not None, "it reached bob over verified TLS")
check(submit(a, "carol@c.test", "rt control") == {}, "A accepted a plain message for c.test")
check(wait_for(lambda: find(b, "carol@c.test", "Subject: rt control")) is not None, "which reached carol")
check(submit_requiretls("carol@c.test", "rt refused") == {}, "A accepted a REQUIRETLS message for c.test")
bounce = wait_for(lambda: find(a, "alice@a.test", "rt refused"))
check(bounce is not None, "it came back to alice")
if bounce:
    check(b"5.7.30" in bounce and b"REQUIRETLS" in bounce, "with 5.7.30 and the reason")
    check(b"Secret body of rt refused" not in bounce, "and without the message body")
check(find(b, "carol@c.test", "Subject: rt refused") is None, "it did not reach carol")

# 3. The MX changes to a host the policy does not list.
dns.update("b.test", b_zone(2, "mx2"))
time.sleep(3)  # the old MX record's TTL (1 s) runs out in A's resolver cache
check(submit(a, "bob@b.test", "sts mismatch") == {}, "A accepted a third message")
deferred = wait_for(lambda: [l for l in log_lines(a, "smtp.out") if "status=deferred" in l])
check(bool(deferred), "A deferred it")
if deferred:
    check("dsn=4.7.5" in deferred[0] and "MTA-STS policy of b.test (enforce" in deferred[0] and "mx2.b.test" in deferred[0],
          "with 4.7.5 and the reason: " + deferred[0][:260])


def queue_list_with(word):
    """`hearth queue list`, or "" while it lacks WORD: the smtp.out line is logged before
    the outcome is recorded, so the row may lag the log by a moment."""
    out = a.cli(["queue", "list"]).stdout
    return out if word in out else ""


listing = wait_for(lambda: queue_list_with("MTA-STS")) or ""
check("MTA-STS" in listing, "hearth queue list shows the reason")
dsn = wait_for(lambda: find(a, "alice@a.test", "sts mismatch"))
check(dsn is not None and b"MTA-STS policy of b.test" in dsn and b"4.7.5" in dsn, "the delay DSN carries the reason")
check(find(b, "bob@b.test", "Subject: sts mismatch") is None, "and the message did not reach B")
a.stop()
b.stop()
finish()
