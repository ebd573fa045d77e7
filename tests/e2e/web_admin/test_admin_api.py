#!/usr/bin/python3
"""The web console's admin API (/api/v1/admin/) driven with curl, as a script would.

One instance (demo@example.test on NET.2) resolves through knotd on NET.1:5353, which serves
the zone `hearth dns zone example.test` prints, without the _imaps._tcp SRV record, and
remote.test, whose MX points at NET.9 where nothing listens (so outbound mail waits in the
queue). The test covers: refusals (no credentials 401, an unknown token 401, a revoked token
401, bad JSON 400, an unknown path 404, a wrong method 405), every answer in the error shape;
`hearth token create|list|revoke`; accounts added over the API log in over IMAP; a domain, an
account in it and an alias added over the API receive mail over SMTP; the DNS report lists the
missing SRV record as a FAIL with its fix, next to the record to publish; the queue shows a
deferred message with its last reply, retry makes it due at once (a second attempt), delete
removes it; the status lists listeners and the certificate's expiry.
"""
import os
import smtplib
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "mail"))
from hearth_test import NET, Instance, check, finish, set_key  # noqa: E402
from knot import Knot  # noqa: E402
from queue_lib import submit, wait_for  # noqa: E402
from admin_lib import Api, TokenApi, error_code, imap_find, imap_login  # noqa: E402

DOMAIN = "example.test"
inst = Instance(f"demo@{DOMAIN}", host=2, extra=["--ip4", f"{NET}.2"], greylist=True)
set_key(inst.config, "dns", "servers", f'["{NET}.1:5353"]')
PASSTIME = 2
set_key(inst.config, "filter.greylist", "passtime", str(PASSTIME))

zone = inst.cli(["dns", "zone", DOMAIN]).stdout
check("_imaps._tcp" in zone, "dns zone prints the IMAPS SRV record")
# The zone text sets its own $ORIGIN; the SOA and NS knot needs come after it.
published = "\n".join(l for l in zone.splitlines() if not l.startswith("_imaps._tcp")) + (
    f"\n$ORIGIN {DOMAIN}.\n@ IN SOA ns.{DOMAIN}. hostmaster.{DOMAIN}. 1 3600 600 86400 300\n"
    f"@ IN NS ns.{DOMAIN}.\nns IN A 127.0.0.1\n")
knot = Knot(f"{NET}.1", 5353, {DOMAIN: published, "remote.test": f"@ MX 10 nowhere\nnowhere A {NET}.9\n"})
knot.start()
inst.start(wait_for="https")

web = Api(inst)
status, _, body = web.request("GET", "/api/v1/admin/accounts")
check(status == 401 and error_code(body) == "unauthenticated", "no session, no token: 401 unauthenticated")
status, body = TokenApi(inst, "hearth_" + "0" * 64).call("GET", "/api/v1/admin/accounts")
check(status == 401 and error_code(body) == "unauthenticated", "an unknown token: 401")
status, body = TokenApi(inst, "x" * 4000).call("GET", "/api/v1/admin/accounts")
check(status == 401, "an overlong token: 401")

cp = inst.cli(["token", "create", inst.email, "e2e script"], check_rc=False)
check(cp.returncode == 1 and "not an admin" in cp.stderr, "token create refuses an account that is not an admin")
inst.cli(["user", "admin", inst.email, "on"])
out = inst.cli(["token", "create", inst.email, "e2e script"]).stdout
token = out.strip().splitlines()[-1]
check(token.startswith("hearth_") and len(token) == 71, "hearth token create prints the token once")
listing = inst.cli(["token", "list"]).stdout
check(inst.email in listing and "e2e script" in listing and token not in listing, "token list shows it, not the secret")
api = TokenApi(inst, token)

# Sessions: a user who is not an admin gets 403; the admin's session needs the CSRF token.
inst.cli(["user", "add", "eve@example.test", "--password-stdin"], input="eve pw 1\n")
st, eve_cookie, _ = web.sign_in("eve@example.test", "eve pw 1")
status, _, body = web.request("GET", "/api/v1/admin/accounts", cookie=eve_cookie)
check(st == 200 and status == 403 and error_code(body) == "forbidden", "a signed-in user who is not an admin: 403")
st, admin_cookie, session = web.sign_in(inst.email, inst.password)
status, _, body = web.request("GET", "/api/v1/admin/queue", cookie=admin_cookie)
check(st == 200 and status == 200, "the admin's session reads the queue")
status, _, body = web.request("POST", "/api/v1/admin/domains", {"name": "csrf.test"}, cookie=admin_cookie)
check(status == 403 and error_code(body) == "csrf", "a change without X-CSRF-Token: 403 csrf")
status, _, body = web.request("POST", "/api/v1/admin/domains", raw="{", cookie=admin_cookie, csrf=session["csrf"])
check(status == 400 and error_code(body) == "bad_json", "bad JSON in a session request: 400 bad_json")

status, body = api.call("GET", "/api/v1/admin/accounts")
check(status == 200 and inst.email in [a["address"] for a in body["accounts"]], "GET accounts lists the accounts")
status, body = api.call("POST", "/api/v1/admin/accounts", {"address": "carol@example.test", "password": "carol's pw 1"})
check(status == 201 and body.get("address") == "carol@example.test", "POST accounts adds carol: 201")
check(imap_login(inst, "carol@example.test", "carol's pw 1"), "carol logs in over IMAP")
status, body = api.call("POST", "/api/v1/admin/accounts", {"address": "carol@example.test", "password": "x"})
check(status == 409 and error_code(body) == "exists", "adding her again: 409 exists")
status, body = api.call("POST", "/api/v1/admin/accounts", raw='{"address": "x@example.test", ')
check(status == 400 and error_code(body) == "bad_json", "bad JSON: 400 bad_json")
status, body = api.call("POST", "/api/v1/admin/accounts", {"address": "x@example.test"})
check(status == 400 and error_code(body) == "invalid", "no password: 400 invalid")
status, body = api.call("GET", "/api/v1/admin/nothing")
check(status == 404 and error_code(body) == "not_found", "unknown path: 404")
status, body = api.call("PUT", "/api/v1/admin/accounts")
check(status == 405 and error_code(body) == "method_not_allowed", "wrong method: 405")

status, _ = api.call("PATCH", "/api/v1/admin/accounts/carol@example.test", {"password": "carol's pw 2"})
check(status == 200, "PATCH resets carol's password")
check(imap_login(inst, "carol@example.test", "carol's pw 2") and not imap_login(inst, "carol@example.test", "carol's pw 1"),
      "IMAP takes the new password, not the old")
status, body = api.call("PATCH", "/api/v1/admin/accounts/carol@example.test", {"disabled": True})
check(status == 200 and body.get("disabled") is True and not imap_login(inst, "carol@example.test", "carol's pw 2"),
      "a disabled account cannot log in")
api.call("PATCH", "/api/v1/admin/accounts/carol@example.test", {"disabled": False})

# A new domain, an account in it and an alias to it: mail to the alias arrives over SMTP.
status, body = api.call("POST", "/api/v1/admin/domains", {"name": "other.test"})
check(status == 201 and any(k["record"]["name"].endswith("._domainkey.other.test") for k in body.get("dkim", [])),
      "POST domains adds other.test with its DKIM records")
status, _ = api.call("POST", "/api/v1/admin/accounts", {"address": "dan@other.test", "password": "dan pw"})
check(status == 201, "an account in the new domain")
status, body = api.call("POST", "/api/v1/admin/aliases", {"source": "info@other.test", "targets": ["dan@other.test"]})
check(status == 201 and body.get("targets") == ["dan@other.test"], "POST aliases adds info@other.test")


def send_to_alias():
    """One MX transaction to info@other.test; the RCPT reply code."""
    with smtplib.SMTP(inst.addr, inst.port("smtp"), timeout=30) as s:
        s.ehlo("client.elsewhere.test")
        s.mail("someone@elsewhere.test")
        code, _ = s.rcpt("info@other.test")
        if code == 250:
            s.data(b"From: someone@elsewhere.test\r\nTo: info@other.test\r\nSubject: via alias\r\n\r\nhello-alias\r\n")
        return code


def grey_entry():
    st, b = api.call("GET", "/api/v1/admin/greylist")
    return next((e for e in b["entries"] if e["rcpt"] == "info@other.test"), None) if st == 200 else None


check(send_to_alias() == 451, "the first try to the alias is greylisted (451)")
e = grey_entry()
check(e is not None and e["passed"] is False and e["sender"].endswith("@elsewhere.test"),
      "GET greylist shows the triplet waiting for its retry")
time.sleep(PASSTIME + 0.5)
check(send_to_alias() == 250, "the retry after passtime is accepted for the alias")
e = grey_entry()
check(e is not None and e["passed"] is True, "GET greylist shows it passed")
check(wait_for(lambda: imap_find(inst, "dan@other.test", "dan pw", "hello-alias"), timeout=20),
      "it arrives in dan's INBOX (IMAP)")
status, body = api.call("GET", "/api/v1/admin/aliases")
check(status == 200 and any(a["source"] == "info@other.test" for a in body["aliases"]), "GET aliases lists it")

# DNS: the missing SRV record is a FAIL with its fix, beside the records to publish.
status, body = api.call("GET", f"/api/v1/admin/dns/{DOMAIN}")
check(status == 200, "GET dns/example.test: 200")
if status == 200:
    check(any(r["name"] == "_imaps._tcp.example.test" and r["type"] == "SRV" for r in body["records"]),
          "the records to publish include the IMAPS SRV")
    fails = [c for c in body["checks"] if c["level"] == "fail"]
    srv = [c for c in fails if c["what"] == "SRV _imaps._tcp.example.test"]
    check(len(srv) == 1 and "publish" in srv[0]["fix"], "the missing SRV is a FAIL with its fix")
    check(any(c["level"] == "ok" and c["what"].startswith("MX example.test") for c in body["checks"]),
          "the published MX is OK")
    check(body["summary"]["failures"] == len(fails), "the summary counts the failures")
    check("_imaps._tcp" in body["zone"], "the zone text to copy is there")
status, body = api.call("GET", "/api/v1/admin/dns/unknown.test")
check(status == 404 and error_code(body) == "not_found", "dns of an unknown domain: 404")

# The queue: a deferred message, its last reply, retry now, delete.
check(submit(inst, "bob@remote.test", "to nowhere") == {}, "a message to remote.test is accepted")


def queued():
    st, b = api.call("GET", "/api/v1/admin/queue")
    if st != 200 or not b["messages"]:
        return None
    r = b["messages"][0]["recipients"][0]
    return b["messages"][0] if r["attempts"] >= 1 and r["last_reply"] else None


msg = wait_for(queued, timeout=30)
check(msg is not None and msg["recipients"][0]["address"] == "bob@remote.test", "GET queue shows the deferred message")
if msg:
    check(msg["recipients"][0]["last_reply"] != "" and msg["from"] == inst.email, "with its last reply and sender")
    status, body = api.call("POST", f"/api/v1/admin/queue/{msg['id']}/retry")
    check(status == 200 and body.get("recipients_due") == 1, "retry makes its recipient due now")

    def second_attempt():
        st, b = api.call("GET", "/api/v1/admin/queue")
        return st == 200 and b["messages"] and b["messages"][0]["recipients"][0]["attempts"] >= 2

    check(wait_for(second_attempt, timeout=30), "the queue tried again at once")
    status, body = api.call("DELETE", f"/api/v1/admin/queue/{msg['id']}")
    check(status == 200 and body.get("recipients_removed") == 1, "DELETE queue/ID removes it")
    status, body = api.call("GET", "/api/v1/admin/queue")
    check(status == 200 and body["messages"] == [], "the queue is empty")
status, body = api.call("POST", "/api/v1/admin/queue/0123456789ABCDEF/retry")
check(status == 404 and error_code(body) == "not_found", "retry of an unknown id: 404")

status, body = api.call("GET", "/api/v1/admin/status")
check(status == 200 and any(l["service"] == "https" and l["port"] == inst.port("https") for l in body["listeners"]),
      "status lists the HTTPS listener")
check(status == 200 and body["certificates"] and body["certificates"][0].get("not_after", 0) > time.time(),
      "status gives the certificate's expiry, in the future")

token_id = listing.split()[0]
check(inst.cli(["token", "revoke", token_id]).returncode == 0, "hearth token revoke")
status, body = api.call("GET", "/api/v1/admin/accounts")
check(status == 401, "a revoked token: 401")
finish()
