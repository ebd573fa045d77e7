#!/usr/bin/python3
"""curl, exact bodies: COPY and MOVE of whole calendars and address books inside one home
(RFC 4918 §9.8, §9.9): Depth infinity and 0, Overwrite T/F (201/204/412), members and
properties carried over, sync tokens of source and destination, another user's home 403."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import hearth_test as ht
from hearth_test import NET, check, finish
from curllib import DECL, ERR, OK, ROOT, TC, TV, XML, Curl, etag, exact

USER = "demo@example.test"
OTHER = "other@example.test"
inst = ht.Instance(USER, extra=["--ip4", f"{NET}.1"])
cp = inst.cli(["user", "add", OTHER, "--password-stdin"], input="other-secret-password\n", check_rc=False)
check(cp.returncode == 0, "second account added")
inst.start(wait_for="https")
curl = Curl(inst, USER)
B = curl.base
C = 'xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:i="http://apple.com/ns/ical/"'
home = f"/dav/calendars/{USER}/"
src, dst = home + "src/", home + "dst/"

EV = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20300101T000000Z\r\n"
      "DTSTART:20300601T090000Z\r\nDTEND:20300601T100000Z\r\nSUMMARY:{uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
code, _, _ = curl("MKCALENDAR", src, f'<c:mkcalendar {C}><d:set><d:prop><d:displayname>Source</d:displayname>'
                  '<i:calendar-color>#112233FF</i:calendar-color></d:prop></d:set></c:mkcalendar>', XML)
check(code == 201, "MKCALENDAR src")
for n in ("a", "b"):
    check(curl("PUT", f"{src}{n}.ics", EV.format(uid=n), TC)[0] == 201, f"PUT {n}.ics")


def sync(path, token=""):
    code, out, _ = curl("REPORT", path, f'<d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token>'
                        '<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>', XML)
    m = re.search(r"<d:sync-token>([^<]*)</d:sync-token>", out)
    return code, out, m.group(1) if m else None


NF = "<d:status>HTTP/1.1 404 Not Found</d:status>"


def listing(path, names):
    """The exact Depth 1 PROPFIND body of a calendar holding `names` (displayname Source, color)."""
    body = (f"<d:response><d:href>{path}</d:href><d:propstat><d:prop><d:displayname>Source</d:displayname>"
            f"<ical:calendar-color>#112233FF</ical:calendar-color></d:prop>{OK}</d:propstat>"
            f"<d:propstat><d:prop><d:getetag/></d:prop>{NF}</d:propstat></d:response>")
    for n in names:
        body += (f"<d:response><d:href>{path}{n}.ics</d:href><d:propstat><d:prop><d:getetag>{etag(EV.format(uid=n))}"
                 f"</d:getetag></d:prop>{OK}</d:propstat><d:propstat><d:prop><d:displayname/><ical:calendar-color/>"
                 f"</d:prop>{NF}</d:propstat></d:response>")
    return 207, DECL + ROOT + body + "</d:multistatus>"


def propfind(path):
    return curl("PROPFIND", path, f'<d:propfind {C}><d:prop><d:displayname/><i:calendar-color/><d:getetag/></d:prop>'
                '</d:propfind>', XML + ["Depth: 1"])[:2]


_, _, src_token = sync(src)
code, out, _ = curl("COPY", src, headers=[f"Destination: {B}{dst}"])
check(code == 201, f"COPY calendar (Depth infinity by default): {code}")
exact(propfind(dst), listing(dst, ["a", "b"]), "the copy has the members and the properties")
code, out, dst_token = sync(dst)
check(code == 207 and out.count("<d:response>") == 2 and dst_token and dst_token != src_token,
      f"initial sync of the copy lists both objects under its own token ({dst_token})")
# RFC 6578 §3.6: with a limit, a 507 for the collection and a token that continues.
code, out, _ = curl("REPORT", dst, '<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level>'
                    '<d:limit><d:nresults>1</d:nresults></d:limit><d:prop><d:getetag/></d:prop></d:sync-collection>', XML)
part_token = re.search(r"<d:sync-token>([^<]*)</d:sync-token>", out).group(1)
exact((code, out), (207, DECL + ROOT + f"<d:response><d:href>{dst}a.ics</d:href><d:propstat><d:prop><d:getetag>"
                    f"{etag(EV.format(uid='a'))}</d:getetag></d:prop>{OK}</d:propstat></d:response><d:response><d:href>"
                    f"{dst}</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status><d:error>"
                    "<d:number-of-matches-within-limits/></d:error></d:response>"
                    f"<d:sync-token>{part_token}</d:sync-token></d:multistatus>"), "sync-collection limit 1: truncated with 507")
code, out, rest_token = sync(dst, part_token)
check(code == 207 and out.count("<d:response>") == 1 and "b.ics" in out and rest_token == dst_token,
      "the next sync from the partial token returns the rest")
code, out, _ = sync(dst, src_token)
exact((code, out), (403, DECL + ERR + "<d:valid-sync-token/></d:error>"), "the source's token is not valid on the copy")
code, _, _ = curl("COPY", src, headers=[f"Destination: {B}{dst}", "Overwrite: F"])
check(code == 412, f"COPY onto an existing calendar with Overwrite: F: {code}")
check(curl("PUT", f"{src}c.ics", EV.format(uid="c"), TC)[0] == 201, "PUT c.ics into the source")
code, out, new_src_token = sync(src, src_token)
check(code == 207 and out.count("<d:response>") == 1 and "c.ics" in out, "the source's own sync sees only c.ics")
code, _, _ = curl("COPY", src, headers=[f"Destination: {B}{dst}", "Overwrite: T"])
check(code == 204, f"COPY over an existing calendar with Overwrite: T: {code}")
exact(propfind(dst), listing(dst, ["a", "b", "c"]), "the replaced copy has all three")
code, out, _ = sync(dst, dst_token)
exact((code, out), (403, DECL + ERR + "<d:valid-sync-token/></d:error>"),
      "the replaced calendar's old token is refused (the client resyncs)")
code, _, _ = curl("COPY", src, headers=[f"Destination: {B}{home}shallow/", "Depth: 0"])
check(code == 201, "COPY Depth 0: 201")
exact(propfind(home + "shallow/"), listing(home + "shallow/", []), "COPY Depth 0: properties, no members")
check(curl("COPY", src, headers=[f"Destination: {B}{home}x/", "Depth: 1"])[0] == 400, "COPY Depth 1 of a collection: 400")

# MOVE
check(curl("MOVE", src, headers=[f"Destination: {B}{home}moved/", "Depth: 0"])[0] == 400, "MOVE Depth 0: 400")
for dest in (f"/dav/calendars/{OTHER}/stolen/", f"/dav/addressbooks/{USER}/src/", f"{dst}inside/", home):
    code, out, _ = curl("MOVE", src, headers=[f"Destination: {B}{dest}"])
    check(code == 403 and OTHER not in out, f"MOVE to {dest}: 403")
code, _, _ = curl("MOVE", src, headers=[f"Destination: {B}{home}moved/"])
check(code == 201, f"MOVE calendar: {code}")
check(curl("PROPFIND", src, None, ["Depth: 0"])[0] == 404, "the source is gone")
code, out, _ = sync(src, new_src_token)
check(code == 404, f"sync-collection on the moved-away source: {code}")
code, out, _ = curl("GET", f"{home}moved/c.ics")
check(code == 200 and out == EV.format(uid="c"), "an object reads back at its new URL")
code, _, _ = curl("MOVE", home + "moved/", headers=[f"Destination: {B}{dst}", "Overwrite: F"])
check(code == 412, "MOVE onto an existing calendar with Overwrite: F: 412")
code, _, _ = curl("MOVE", home + "moved/", headers=[f"Destination: {B}{dst}"])
check(code == 204 and curl("PROPFIND", home + "moved/", None, ["Depth: 0"])[0] == 404, "MOVE with Overwrite: T: 204")

# An object COPY still checks the destination's component set (RFC 4791 §5.3.2.1).
code, _, _ = curl("MKCALENDAR", home + "evonly/", f'<c:mkcalendar {C}><d:set><d:prop><c:supported-calendar-component-set>'
                  '<c:comp name="VEVENT"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>', XML)
check(code == 201, "MKCALENDAR a VEVENT-only calendar")
TODO = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VTODO\r\nUID:t\r\nDTSTAMP:20300101T000000Z\r\n"
        "SUMMARY:todo\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")
check(curl("PUT", dst + "t.ics", TODO, TC)[0] == 201, "PUT a VTODO")
code, out, _ = curl("COPY", dst + "t.ics", headers=[f"Destination: {B}{home}evonly/t.ics"])
exact((code, out), (403, DECL + ERR + "<c:supported-calendar-component/></d:error>"),
      "COPY of a VTODO into a VEVENT-only calendar: supported-calendar-component")

# An address book, and the other user cannot touch ours.
book = f"/dav/addressbooks/{USER}/contacts/"
check(curl("PUT", book + "ann.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nFN:Ann\r\nEND:VCARD\r\n", TV)[0] == 201,
      "PUT a vCard")
code, _, _ = curl("COPY", book, headers=[f"Destination: {B}/dav/addressbooks/{USER}/backup/"])
check(code == 201 and curl("GET", f"/dav/addressbooks/{USER}/backup/ann.vcf")[0] == 200, "COPY address book")
code, _, _ = curl("MOVE", book, headers=[f"Destination: {B}/dav/addressbooks/{OTHER}/mine/"], user=OTHER,
                  password="other-secret-password")
check(code in (403, 404) and curl("GET", book + "ann.vcf")[0] == 200, f"another user cannot MOVE our book: {code}")

# Calendar and vCard data is UTF-8 (RFC 5545 §3.1.4, RFC 6350 §3.1): Latin-1 is refused with the
# precondition, on SQLite as on PostgreSQL (whose TEXT takes nothing else), and nothing is stored.
latin1 = EV.format(uid="l1").replace("END:VEVENT", "SUMMARY:caf\xe9\r\nEND:VEVENT").encode("latin-1")
code, out, _ = curl("PUT", dst + "l1.ics", latin1, TC)
exact((code, out), (403, DECL + ERR + "<c:valid-calendar-data/></d:error>"), "PUT of a Latin-1 event: valid-calendar-data")
check(curl("GET", dst + "l1.ics")[0] == 404, "the Latin-1 event was not stored")
code, out, _ = curl("PUT", book + "l1.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:l1\r\nFN:Jos\xe9\r\nEND:VCARD\r\n".encode("latin-1"), TV)
exact((code, out), (403, DECL + ERR + "<card:valid-address-data/></d:error>"),
      "PUT of a Latin-1 vCard: valid-address-data")
utf8 = EV.format(uid="u8").replace("END:VEVENT", "SUMMARY:caf\u00e9 \u20ac\r\nEND:VEVENT")
check(curl("PUT", dst + "u8.ics", utf8, TC)[0] == 201 and curl("GET", dst + "u8.ics")[1] == utf8,
      "a UTF-8 event is stored and read back as sent")
inst.stop()
finish()
