"""BOSH overactivity (XEP-0124 §11) and the end of a session (§17.2), driven by hand over HTTPS.

A polling session (hold='0') whose empty polls are spaced by the announced `polling` interval
is served; an empty poll sent right after one answered empty ends the session with
policy-violation. A session with hold='1' that gets more requests than it may hold answers the
older ones (empty) instead of failing. A request for a session that has ended is 404
item-not-found at once, whatever its rid."""
import concurrent.futures
import http.client
import os
import re
import socket
import ssl
import sys
import time

from hearth_test import check, finish

sys.path.insert(0, os.path.dirname(__file__))
from xmpp_util import instance_with_users  # noqa: E402

inst, users = instance_with_users()
ctx = ssl.create_default_context(cafile=inst.ca_file())
NS = "xmlns='http://jabber.org/protocol/httpbind'"


def empty(out):
    """An answer with nothing in it (a <body/> with attributes only, not a terminate)."""
    return re.fullmatch(r"<body [^>]*/>", out) is not None and "type='terminate'" not in out


def post(body, timeout=30):
    """POSTs a body on a new connection; returns (status, text)."""
    c = http.client.HTTPSConnection(inst.addr, inst.port("https"), context=ctx, timeout=timeout)
    c.sock = ctx.wrap_socket(socket.create_connection((inst.addr, inst.port("https")), timeout=timeout),
                             server_hostname=inst.hostname)
    c.request("POST", "/http-bind", body=body.encode(),
              headers={"Host": inst.hostname, "Content-Type": "text/xml; charset=utf-8"})
    r = c.getresponse()
    out = (r.status, r.read().decode())
    c.close()
    return out


def create(hold, rid):
    st, body = post(f"<body {NS} xmlns:xmpp='urn:xmpp:xbosh' rid='{rid}' to='{inst.domain}' wait='10' "
                    f"hold='{hold}' ver='1.6' xmpp:version='1.0'/>")
    m = re.search(r"sid='([^']+)'", body)
    return st, body, (m.group(1) if m else None)


def req(sid, rid, extra="", payload=""):
    return post(f"<body {NS} rid='{rid}' sid='{sid}' {extra}>{payload}</body>")


# --- a polling session (hold='0') ---
st, body, sid = create(0, 5000)
check(st == 200 and sid and "hold='0'" in body and "polling='2'" in body and "requests='2'" in body,
      f"a polling session is created and told polling='2' and requests='2': {body[:300]}")
rid = 5000
answers = []
got_empty = False
for _ in range(6):  # spaced polls until one comes back empty (the features may come first)
    time.sleep(2.5)
    rid += 1
    st, out = req(sid, rid)
    answers.append((st, out))
    if empty(out):
        got_empty = True
        break
check(got_empty and all(s == 200 and "terminate" not in o for s, o in answers),
      f"empty polls spaced by the polling interval are answered: {answers}")
rid += 1
st, out = req(sid, rid)
check(st == 200 and "type='terminate'" in out and "condition='policy-violation'" in out,
      f"an empty poll right after one answered empty ends the session with policy-violation: {st} {out}")
st, out = req(sid, rid + 1)
check(st == 404 and "item-not-found" in out, f"and the session is gone at once (404): {st} {out}")
check("xmpp.bosh.overactive" in inst.log(), "the log names the overactive client")

# --- hold='1': more requests than it may hold ---
st, body, sid = create(1, 9000)
check(st == 200 and sid and "hold='1'" in body and "<stream:features" in body,
      "a session with hold='1' is created, its features in the first answer")
rid = 9000
with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
    first = pool.submit(req, sid, rid + 1)
    time.sleep(0.5)
    second = pool.submit(req, sid, rid + 2)
    st1, out1 = first.result(timeout=20)
    check(st1 == 200 and empty(out1) and not second.done(),
          f"a second request makes the server answer the held one (hold='1'), and holds the new one: {st1} {out1}")
    third = pool.submit(req, sid, rid + 3)
    st2, out2 = second.result(timeout=20)
    check(st2 == 200 and empty(out2), f"a third request answers the second, without any error: {st2} {out2}")
    st, out = req(sid, rid + 4, extra="type='terminate'")
    st3, out3 = third.result(timeout=20)
    check(st3 == 200 and "policy-violation" not in out3 + out, f"requests over hold are not a violation: {out3} {out}")
st, out = req(sid, rid + 5)
check(st == 404 and "item-not-found" in out, f"after terminate the session is gone (404): {st} {out}")

# A session ended while its stream is busy (a PLAIN login being checked with Argon2id): the
# next request is 404 at once, not processed by the ending session (it used to get a 200
# terminate until the stream noticed).
import base64  # noqa: E402
st, body, sid = create(1, 12000)
cred = base64.b64encode(f"\0{users['demo'][0]}\0{users['demo'][1]}".encode()).decode()
with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
    auth = pool.submit(req, sid, 12001, "",
                       f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{cred}</auth>")
    time.sleep(0.05)
    st1, out1 = req(sid, 12009)  # outside the window: the session ends
    st2, out2 = req(sid, 12002)
    auth.result(timeout=20)
check("item-not-found" in out1 and st2 == 404 and "item-not-found" in out2,
      f"a request right after the session ended is 404, even while its stream is busy: {st1} {out1} / {st2} {out2}")

inst.stop()
finish()
