#!/usr/bin/python3
"""The DAVx5 flow, as a script: from only user@domain and the password.

1. SRV _caldavs._tcp / _carddavs._tcp and TXT path= (RFC 6764 §6) against knotd serving the zone
   that `hearth dns zone` prints; A record of the SRV target.
2. PROPFIND current-user-principal at the TXT path (/.well-known/caldav) and at /.well-known/carddav.
3. OPTIONS on the principal URL: DAV header must list calendar-access and addressbook.
4. PROPFIND calendar-home-set / addressbook-home-set on the principal.
5. Depth 1 PROPFIND of both homes with the properties DAVx5 asks for; the default calendar and
   address book are there; sync-collection is in supported-report-set.
6. sync-collection (initial), multiget, PUT an event and a contact (If-None-Match: *), GET.
7. Another client (its own connection) changes the calendar; the next sync-collection with the
   old token reports exactly that change; a deletion is reported as 404.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import dns.resolver

import hearth_test as ht
from davlib import NS, Client, href_in, tag
from hearth_test import NET, check, finish
from knot import Knot

DOMAIN = "example.test"
USER = f"demo@{DOMAIN}"
IP4 = f"{NET}.1"
KNOT_ADDR, KNOT_PORT = f"{NET}.53", 5353

inst = ht.Instance(USER, extra=["--ip4", IP4])
SOA = (f"{DOMAIN}. 3600 IN SOA ns.{DOMAIN}. hostmaster.{DOMAIN}. 1 3600 600 86400 300\n"
       f"{DOMAIN}. 3600 IN NS ns.{DOMAIN}.\nns.{DOMAIN}. 3600 IN A {KNOT_ADDR}\n")
knot = Knot(KNOT_ADDR, KNOT_PORT, {DOMAIN: SOA + inst.cli(["dns", "zone", DOMAIN]).stdout})
knot.start()
inst.start(wait_for="https")

res = dns.resolver.Resolver(configure=False)
res.nameservers = [KNOT_ADDR]
res.port = KNOT_PORT


def discover(service):
    srv = sorted(res.resolve(f"_{service}._tcp.{DOMAIN}", "SRV"), key=lambda r: (r.priority, -r.weight))[0]
    txt = [b"".join(r.strings).decode() for r in res.resolve(f"_{service}._tcp.{DOMAIN}", "TXT")]
    path = next((t[5:] for t in txt if t.startswith("path=")), "/")
    host = str(srv.target).rstrip(".")
    addr = str(res.resolve(host, "A")[0])
    return host, addr, srv.port, path


host, addr, port, cal_path = discover("caldavs")
check(port == inst.port("https") and addr == IP4 and cal_path == "/.well-known/caldav",
      f"SRV/TXT/A discovery: {host} {addr}:{port} path={cal_path}")
_, _, _, card_path = discover("carddavs")
check(card_path == "/.well-known/carddav", "carddavs TXT path=/.well-known/carddav")

c = Client(addr, port, host, inst.ca_file(), USER, inst.password)
anon = Client(addr, port, host, inst.ca_file())
r = anon.propfind(cal_path, ["<d:current-user-principal/>"])
check(r.status == 401 and "Basic realm=" in r.headers.get("www-authenticate", ""), "no credentials: 401 with a Basic realm")
bad = Client(addr, port, host, inst.ca_file(), USER, "wrong password")
check(bad.propfind(cal_path, ["<d:current-user-principal/>"]).status == 401, "wrong password: 401")

principal = None
for path in (cal_path, card_path, "/dav/"):
    r = c.propfind(path, ["<d:current-user-principal/>"])
    got = r.responses() if r.status == 207 else {}
    p = next((href_in(v.get(tag("d", "current-user-principal"))) for v in got.values()), None)
    check(r.status == 207 and p == f"/dav/principals/{USER}/", f"PROPFIND {path}: current-user-principal {p}")
    principal = principal or p
r = c.request("GET", cal_path)
check(r.status == 301 and r.headers.get("location") == "/dav/", "GET /.well-known/caldav redirects to /dav/")

r = c.request("OPTIONS", principal)
dav = r.headers.get("dav", "")
check(r.status == 200 and "calendar-access" in dav and "addressbook" in dav, f"OPTIONS on the principal: DAV: {dav}")

r = c.propfind(principal, ["<c:calendar-home-set/>", "<card:addressbook-home-set/>", "<c:calendar-user-address-set/>",
                           "<d:displayname/>", "<d:resourcetype/>"])
pr = r.responses().get(principal, {})
cal_home = href_in(pr.get(tag("c", "calendar-home-set")))
ab_home = href_in(pr.get(tag("card", "addressbook-home-set")))
addrs = [h.text for h in pr.get(tag("c", "calendar-user-address-set"), [])]
check(cal_home == f"/dav/calendars/{USER}/" and ab_home == f"/dav/addressbooks/{USER}/", f"home sets {cal_home} {ab_home}")
check(f"mailto:{USER}" in addrs, "calendar-user-address-set has mailto:")

CAL_PROPS = ["<d:resourcetype/>", "<d:displayname/>", "<d:current-user-privilege-set/>", "<d:owner/>",
             "<ical:calendar-color/>", "<c:calendar-description/>", "<c:calendar-timezone/>",
             "<c:supported-calendar-component-set/>", "<c:max-resource-size/>", "<d:supported-report-set/>",
             "<cs:getctag/>", "<d:sync-token/>", "<cs:calendar-proxy-read-for/>", "<cs:calendar-proxy-write-for/>"]
r = c.propfind(cal_home, CAL_PROPS, depth="1")
check(r.status == 207, "Depth 1 PROPFIND of the calendar home: 207")
# Thunderbird counts a propstat only with exactly this status line.
check(b"<d:status>HTTP/1.1 200 OK</d:status>" in r.body, "propstat status line is exactly HTTP/1.1 200 OK")
cals = {h: p for h, p in r.responses().items() if p.get(tag("d", "resourcetype")) is not None
        and p[tag("d", "resourcetype")].find("c:calendar", NS) is not None}
check(list(cals) == [f"/dav/calendars/{USER}/personal/"], f"the default calendar is there: {list(cals)}")
cal = f"/dav/calendars/{USER}/personal/"
cp = cals.get(cal, {})
check(cp.get(tag("d", "displayname")) is not None and cp[tag("d", "displayname")].text == "Personal", "displayname Personal")
comps = [x.get("name") for x in cp.get(tag("c", "supported-calendar-component-set"), [])]
check(comps == ["VEVENT", "VTODO"], f"supported-calendar-component-set {comps}")
reports = [x[0][0].tag for x in cp.get(tag("d", "supported-report-set"), [])]
check(tag("d", "sync-collection") in reports and tag("c", "calendar-multiget") in reports, "supported-report-set lists sync-collection")
privs = [p[0].tag for p in cp.get(tag("d", "current-user-privilege-set"), [])]
check(tag("d", "write-content") in privs and tag("d", "read") in privs, "current-user-privilege-set has read and write-content")
check(href_in(cp.get(tag("d", "owner"))) == principal, "owner is the principal")
check(cp.get(tag("cs", "getctag")) is not None and cp.get(tag("d", "sync-token")) is not None, "getctag and sync-token")

r = c.propfind(ab_home, ["<d:resourcetype/>", "<d:displayname/>", "<card:supported-address-data/>",
                         "<d:current-user-privilege-set/>", "<d:supported-report-set/>", "<cs:getctag/>", "<d:sync-token/>"],
               depth="1")
books = {h: p for h, p in r.responses().items() if p.get(tag("d", "resourcetype")) is not None
         and p[tag("d", "resourcetype")].find("card:addressbook", NS) is not None}
book = f"/dav/addressbooks/{USER}/contacts/"
check(list(books) == [book], f"the default address book is there: {list(books)}")
types = [x.get("version") for x in books.get(book, {}).get(tag("card", "supported-address-data"), [])]
check("4.0" in types and "3.0" in types, f"supported-address-data advertises vCard {types}")


def sync(path, token=""):
    body = (f'<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token>'
            f'<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>')
    r = c.report(path, body)
    tok = r.xml().find("d:sync-token", NS).text if r.status == 207 else None
    return r, tok


r, cal_token = sync(cal)
check(r.status == 207 and cal_token and not r.responses(), "initial sync-collection: empty, with a token")
EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davx5-flow//EN\r\nBEGIN:VEVENT\r\nUID:davx5-ev1\r\n"
         "DTSTAMP:20300101T000000Z\r\nDTSTART:20300601T090000Z\r\nDTEND:20300601T100000Z\r\nSUMMARY:from DAVx5\r\n"
         "END:VEVENT\r\nEND:VCALENDAR\r\n")
r = c.request("PUT", cal + "davx5-ev1.ics", EVENT, {"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"})
etag = r.headers.get("etag")
check(r.status == 201 and etag and etag.startswith('"'), f"PUT event: 201 with a strong ETag {etag}")
CARD = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:davx5-c1\r\nFN:Dana DAVx5\r\nEMAIL:dana@example.test\r\nEND:VCARD\r\n"
r = c.request("PUT", book + "davx5-c1.vcf", CARD, {"Content-Type": "text/vcard; charset=utf-8", "If-None-Match": "*"})
check(r.status == 201, "PUT contact: 201")
r = c.request("GET", book + "davx5-c1.vcf")
check(r.status == 200 and r.text == CARD and r.headers.get("content-type", "").startswith("text/vcard"), "GET contact as sent")
r, cal_token2 = sync(cal, cal_token)
check(r.status == 207 and list(r.responses()) == [cal + "davx5-ev1.ics"] and cal_token2 != cal_token,
      "sync-collection reports our own upload")
mg = c.report(cal, f'<c:calendar-multiget xmlns:d="DAV:" xmlns:c="{NS["c"]}"><d:prop><d:getetag/><c:calendar-data/></d:prop>'
                   f'<d:href>{cal}davx5-ev1.ics</d:href><d:href>{cal}missing.ics</d:href></c:calendar-multiget>')
got = mg.responses()
check(got.get(cal + "davx5-ev1.ics", {}).get(tag("c", "calendar-data")) is not None
      and got[cal + "davx5-ev1.ics"][tag("c", "calendar-data")].text.replace("\n", "\r\n").replace("\r\r", "\r") == EVENT,
      "calendar-multiget returns the event as sent")
check(got.get(cal + "missing.ics", {}).get("status") == "HTTP/1.1 404 Not Found", "multiget: unknown href is 404")

# Another client (its own connection, a fresh credential check) edits and adds.
other = Client(addr, port, host, inst.ca_file(), USER, inst.password)
r = other.request("PUT", cal + "davx5-ev1.ics", EVENT.replace("from DAVx5", "edited elsewhere"),
                  {"Content-Type": "text/calendar", "If-Match": etag})
check(r.status == 204, "other client: PUT with If-Match: 204")
r = other.request("PUT", cal + "davx5-ev1.ics", EVENT, {"Content-Type": "text/calendar", "If-Match": etag})
check(r.status == 412, "stale If-Match: 412")
r = other.request("PUT", cal + "other.ics", EVENT.replace("davx5-ev1", "other-1"), {"Content-Type": "text/calendar"})
check(r.status == 201, "other client: new event")
r, cal_token3 = sync(cal, cal_token2)
check(r.status == 207 and sorted(r.responses()) == sorted([cal + "davx5-ev1.ics", cal + "other.ics"]),
      "next sync sees the other client's changes")
r = other.request("DELETE", cal + "other.ics")
check(r.status == 204, "other client: DELETE 204")
r, _ = sync(cal, cal_token3)
check(r.status == 207 and r.responses().get(cal + "other.ics", {}).get("status") == "HTTP/1.1 404 Not Found",
      "deletion reported by sync-collection as 404")
r = c.report(cal, '<d:sync-collection xmlns:d="DAV:"><d:sync-token>http://hearth.invalid/ns/sync/1-999</d:sync-token>'
                  '<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>')
check(r.status == 403 and b"valid-sync-token" in r.body, "unknown sync token: 403 valid-sync-token")
r = c.propfind(cal, ["<cs:getctag/>"])
check(r.status == 207, "getctag readable after changes")

ht_log = inst.log()
check("method=REPORT" in ht_log and "status=207" in ht_log, "access log has one line per request")
inst.stop()
finish()
