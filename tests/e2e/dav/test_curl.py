#!/usr/bin/python3
"""curl against the DAV tree: exact Multi-Status and error bodies for each method and
precondition, XML with unusual prefixes and a default namespace, an XML bomb and a 100 MB body
(both refused cleanly), path traversal and another user's home (nothing leaked)."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import hearth_test as ht
from hearth_test import NET, check, finish

USER = "demo@example.test"
OTHER = "other@example.test"
inst = ht.Instance(USER, extra=["--ip4", f"{NET}.1"])
cp = inst.cli(["user", "add", OTHER, "--password-stdin"], input="other-secret-password\n", check_rc=False)
check(cp.returncode == 0, "second account added")
inst.start(wait_for="https")
BASE = f"https://{inst.hostname}:{inst.port('https')}"
RESOLVE = f"{inst.hostname}:{inst.port('https')}:{inst.addr}"
W = inst.dir


def curl(method, path, body=None, headers=(), user=USER, password=None, extra=()):
    password = password or inst.password
    args = ["curl", "-sS", "--max-time", "60", "--resolve", RESOLVE, "--cacert", inst.ca_file(), "-u", f"{user}:{password}",
            "-X", method, "-o", f"{W}/out", "-D", f"{W}/hdr", "-w", "%{http_code}", *extra]
    for h in headers:
        args += ["-H", h]
    if body is not None:
        if isinstance(body, str) and body.startswith("@"):
            args += ["--data-binary", body]
        else:
            with open(f"{W}/body", "wb") as f:
                f.write(body.encode() if isinstance(body, str) else body)
            args += ["--data-binary", f"@{W}/body"]
    cp = subprocess.run(args + [BASE + path], capture_output=True, text=True, timeout=90)
    code = int(cp.stdout.strip() or 0)
    out = open(f"{W}/out", "rb").read().decode("utf-8", "replace") if os.path.exists(f"{W}/out") else ""
    hdr = open(f"{W}/hdr").read() if os.path.exists(f"{W}/hdr") else ""
    for p in (f"{W}/out", f"{W}/hdr"):
        if os.path.exists(p):
            os.remove(p)
    return code, out, hdr


XML = ["Content-Type: application/xml; charset=utf-8"]
DECL = '<?xml version="1.0" encoding="utf-8"?>\n'
ROOT = ('<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav"'
        ' xmlns:cs="http://calendarserver.org/ns/" xmlns:ical="http://apple.com/ns/ical/">')
ERR = ('<d:error xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav"'
       ' xmlns:cs="http://calendarserver.org/ns/" xmlns:ical="http://apple.com/ns/ical/">')
OK = "<d:status>HTTP/1.1 200 OK</d:status>"
NF = "<d:status>HTTP/1.1 404 Not Found</d:status>"


def exact(got, want, what):
    if got != want:
        print(f"--- got:\n{got}\n--- want:\n{want}")
    return check(got == want, what)


home = f"/dav/calendars/{USER}/"
cal = home + "curl/"
abook = f"/dav/addressbooks/{USER}/curl-ab/"

code, out, hdr = curl("OPTIONS", "/dav/")
check(code == 200 and "DAV: 1, 3, access-control, calendar-access, addressbook, extended-mkcol" in hdr, "OPTIONS: DAV header")

# MKCALENDAR with a default namespace for CalDAV and an odd prefix for DAV:.
code, out, _ = curl("MKCALENDAR", cal, '<mkcalendar xmlns="urn:ietf:params:xml:ns:caldav" xmlns:Z="DAV:"><Z:set><Z:prop>'
                    '<Z:displayname>Curl &amp; co</Z:displayname><supported-calendar-component-set><comp name="VEVENT"/>'
                    '</supported-calendar-component-set></Z:prop></Z:set></mkcalendar>', XML)
check(code == 201, f"MKCALENDAR (default namespace, prefix Z for DAV:): {code}")
code, out, _ = curl("MKCALENDAR", cal, None)
exact((code, out), (405, DECL + ERR + "<d:resource-must-be-null/></d:error>"), "MKCALENDAR again: 405 resource-must-be-null")

code, out, _ = curl("PROPFIND", cal, '<?xml version="1.0"?><A:propfind xmlns:A="DAV:"><A:prop xmlns:B="urn:ietf:params:xml:ns:caldav">'
                    '<A:displayname/><B:supported-calendar-component-set/><A:resourcetype/><nope xmlns="urn:x-unknown"/>'
                    '</A:prop></A:propfind>', XML + ["Depth: 0"])
exact((code, out), (207, DECL + ROOT + f"<d:response><d:href>{cal}</d:href><d:propstat><d:prop>"
                    "<d:displayname>Curl &amp; co</d:displayname><c:supported-calendar-component-set><c:comp name=\"VEVENT\"/>"
                    "</c:supported-calendar-component-set><d:resourcetype><d:collection/><c:calendar/></d:resourcetype>"
                    f"</d:prop>{OK}</d:propstat><d:propstat><d:prop><x:nope xmlns:x=\"urn:x-unknown\"/></d:prop>{NF}"
                    "</d:propstat></d:response></d:multistatus>"),
      "PROPFIND Depth 0: exact body, unknown property 404, escaping")

code, out, _ = curl("PROPPATCH", cal, '<D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/"><D:set><D:prop>'
                    '<I:calendar-color>#FF0000FF</I:calendar-color><D:displayname>Renamed</D:displayname>'
                    '<x:mine xmlns:x="urn:x-test">kept <x:b>bold</x:b></x:mine></D:prop></D:set></D:propertyupdate>', XML)
exact((code, out), (207, DECL + ROOT + f"<d:response><d:href>{cal}</d:href><d:propstat><d:prop><ical:calendar-color/>"
                    f"<d:displayname/><x:mine xmlns:x=\"urn:x-test\"/></d:prop>{OK}</d:propstat></d:response></d:multistatus>"),
      "PROPPATCH: color, displayname and a dead property set")
code, out, _ = curl("PROPPATCH", cal, '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>X</D:displayname>'
                    '<D:getetag>"x"</D:getetag></D:prop></D:set></D:propertyupdate>', XML)
exact((code, out), (207, DECL + ROOT + f"<d:response><d:href>{cal}</d:href><d:propstat><d:prop><d:getetag/></d:prop>"
                    "<d:status>HTTP/1.1 403 Forbidden</d:status></d:propstat><d:propstat><d:prop><d:displayname/></d:prop>"
                    "<d:status>HTTP/1.1 424 Failed Dependency</d:status></d:propstat></d:response></d:multistatus>"),
      "PROPPATCH of a protected property: 403, the rest 424, nothing applied")
code, out, _ = curl("PROPFIND", cal, '<propfind xmlns="DAV:"><prop><displayname/><color xmlns="http://apple.com/ns/ical/"/>'
                    '<mine xmlns="urn:x-test"/></prop></propfind>', XML + ["Depth: 0"])
exact((code, out), (207, DECL + ROOT + f"<d:response><d:href>{cal}</d:href><d:propstat><d:prop><d:displayname>Renamed"
                    "</d:displayname><x:mine xmlns:x=\"urn:x-test\">kept <x:b>bold</x:b></x:mine></d:prop>"
                    f"{OK}</d:propstat><d:propstat><d:prop><ical:color/></d:prop>{NF}"
                    "</d:propstat></d:response></d:multistatus>"),
      "PROPFIND after PROPPATCH: dead property returned as stored")

EV = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//curl//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20300101T000000Z\r\n"
      "DTSTART:20300601T090000Z\r\nDTEND:20300601T100000Z\r\nSUMMARY:curl <event> & co\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
TC = ["Content-Type: text/calendar; charset=utf-8"]
code, out, hdr = curl("PUT", cal + "ev1.ics", EV.format(uid="ev1@curl"), TC + ["If-None-Match: *"])
etag = re.search(r"(?im)^etag: (\S+)", hdr)
etag = etag.group(1) if etag else None
check(code == 201 and etag, f"PUT new event: 201, ETag {etag}")
code, out, _ = curl("PUT", cal + "ev1.ics", EV.format(uid="ev1@curl"), TC + ["If-None-Match: *"])
check(code == 412, "PUT If-None-Match: * on an existing object: 412")
code, out, _ = curl("PUT", cal + "ev1.ics", EV.format(uid="ev1@curl"), TC + ['If-Match: "nope"'])
check(code == 412, "PUT with a wrong If-Match: 412")
code, out, _ = curl("PUT", cal + "ev2.ics", EV.format(uid="ev1@curl"), TC)
exact((code, out), (403, DECL + ERR + f"<c:no-uid-conflict><d:href>{cal}ev1.ics</d:href></c:no-uid-conflict></d:error>"),
      "PUT with a UID used by another object: no-uid-conflict with its href")
code, out, _ = curl("PUT", cal + "bad.ics", "BEGIN:VCALENDAR\r\nthis is not ical\r\n", TC)
exact((code, out), (403, DECL + ERR + "<c:valid-calendar-data/></d:error>"), "PUT garbage: valid-calendar-data")
code, out, _ = curl("PUT", cal + "todo.ics", EV.format(uid="t@curl").replace("VEVENT", "VTODO"), TC)
exact((code, out), (403, DECL + ERR + "<c:supported-calendar-component/></d:error>"),
      "PUT VTODO into a VEVENT-only calendar: supported-calendar-component")
big = EV.format(uid="big@curl").replace("SUMMARY:", "DESCRIPTION:" + "x" * (11 * 1024 * 1024) + "\r\nSUMMARY:")
code, out, _ = curl("PUT", cal + "big.ics", big, TC)
exact((code, out), (403, DECL + ERR + "<c:max-resource-size/></d:error>"), "PUT over max-resource-size")
code, out, _ = curl("GET", cal + "ev1.ics")
check(code == 200 and out == EV.format(uid="ev1@curl"), "GET returns the object as sent")
code, out, hdr = curl("HEAD", cal + "ev1.ics", extra=["-I"])
check(code == 200 and re.search(r"(?im)^content-length: %d\s*$" % len(EV.format(uid="ev1@curl").encode()), hdr) is not None
      and re.search(r"(?im)^etag: ", hdr) is not None, "HEAD: the GET's Content-Length and ETag, no body")
code, out, _ = curl("GET", cal + "ev1.ics", headers=[f"If-None-Match: {etag}"])
check(code == 304, "GET If-None-Match with the current ETag: 304")

code, out, _ = curl("REPORT", cal, f'<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>'
                    f'<D:getetag/></D:prop><D:href>{cal}ev1.ics</D:href><D:href>{cal}none.ics</D:href>'
                    f'<D:href>/dav/calendars/{OTHER}/personal/x.ics</D:href></C:calendar-multiget>', XML)
exact((code, out), (207, DECL + ROOT + f"<d:response><d:href>{cal}ev1.ics</d:href><d:propstat><d:prop><d:getetag>"
                    f"{etag.replace(chr(34), '&quot;')}</d:getetag></d:prop>{OK}</d:propstat></d:response>"
                    f"<d:response><d:href>{cal}none.ics</d:href>{NF}</d:response>"
                    f"<d:response><d:href>/dav/calendars/{OTHER}/personal/x.ics</d:href>{NF}</d:response></d:multistatus>"),
      "calendar-multiget: found, missing, and another user's href (404)")
code, out, _ = curl("REPORT", cal, '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/>'
                    '</d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:prop-filter name="SUMMARY">'
                    '<c:text-match collation="i;klingon">x</c:text-match></c:prop-filter></c:comp-filter></c:comp-filter>'
                    '</c:filter></c:calendar-query>', XML)
exact((code, out), (403, DECL + ERR + "<c:supported-collation/></d:error>"), "calendar-query with an unknown collation")
code, out, _ = curl("REPORT", cal, '<d:sync-collection xmlns:d="DAV:"><d:sync-token>http://example.com/x</d:sync-token>'
                    '<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>', XML)
exact((code, out), (403, DECL + ERR + "<d:valid-sync-token/></d:error>"), "sync-collection with a foreign token")
code, out, _ = curl("REPORT", cal, '<d:expand-property xmlns:d="DAV:"/>', XML)
exact((code, out), (403, DECL + ERR + "<d:supported-report/></d:error>"), "an unsupported report")

code, out, _ = curl("COPY", cal + "ev1.ics", headers=[f"Destination: {BASE}{home}personal/copy.ics"])
check(code == 201, "COPY into another calendar of the same home: 201")
code, out, _ = curl("MOVE", cal + "ev1.ics", headers=[f"Destination: {BASE}{cal}moved.ics", "Overwrite: F"])
check(code == 201 and curl("GET", cal + "moved.ics")[0] == 200 and curl("GET", cal + "ev1.ics")[0] == 404, "MOVE renames")
code, out, _ = curl("MOVE", cal + "moved.ics", headers=[f"Destination: {BASE}/dav/calendars/{OTHER}/personal/m.ics"])
check(code == 403, "MOVE into another user's home: 403")

# Extended MKCOL (RFC 5689) for an address book; a calendar resourcetype in the address book home is refused.
code, out, _ = curl("MKCOL", abook, '<D:mkcol xmlns:D="DAV:" xmlns:E="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype>'
                    '<D:collection/><E:addressbook/></D:resourcetype><D:displayname>Book</D:displayname>'
                    '<E:addressbook-description>Mine</E:addressbook-description></D:prop></D:set></D:mkcol>', XML)
check(code == 201, "extended MKCOL address book: 201")
code, out, _ = curl("MKCOL", f"/dav/addressbooks/{USER}/wrong/", '<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
                    '<D:set><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype></D:prop></D:set></D:mkcol>', XML)
exact((code, out), (403, DECL + ERR + "<d:valid-resourcetype/></d:error>"), "MKCOL with a calendar resourcetype in the address book home")
VC = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{fn}\r\nEND:VCARD\r\n"
TV = ["Content-Type: text/vcard; charset=utf-8"]
check(curl("PUT", abook + "a.vcf", VC.format(uid="a", fn="Ängström Ölaf"), TV)[0] == 201, "PUT vCard 3.0")
check(curl("PUT", abook + "b.vcf", VC.format(uid="b", fn="Bob").replace("3.0", "4.0"), TV)[0] == 201, "PUT vCard 4.0")
code, out, _ = curl("PUT", abook + "c.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c\r\nEND:VCARD\r\n", TV)
exact((code, out), (403, DECL + ERR + "<card:valid-address-data/></d:error>"), "PUT vCard without FN: valid-address-data")
code, out, _ = curl("REPORT", abook, '<q:addressbook-query xmlns:d="DAV:" xmlns:q="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/>'
                    '</d:prop><q:filter><q:prop-filter name="FN"><q:text-match collation="i;unicode-casemap" match-type="starts-with">'
                    'ängström</q:text-match></q:prop-filter></q:filter></q:addressbook-query>', XML)
check(code == 207 and f"<d:href>{abook}a.vcf</d:href>" in out and "b.vcf" not in out, "addressbook-query i;unicode-casemap")

# Refused cleanly: XML bomb, 100 MB body, path traversal, another user's data.
bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><d:propfind xmlns:d="DAV:"><d:prop>'
        '<d:displayname>&lol2;</d:displayname></d:prop></d:propfind>')
code, out, _ = curl("PROPFIND", cal, bomb, XML + ["Depth: 0"])
check(code == 400 and "lollol" not in out, f"XML bomb refused: {code}")
with open(f"{W}/huge", "wb") as f:
    f.truncate(100 * 1024 * 1024)
code, out, _ = curl("PUT", cal + "huge.ics", f"@{W}/huge", TC)
check(code == 413, f"100 MB body refused: {code}")
os.remove(f"{W}/huge")
code, out, _ = curl("OPTIONS", "/dav/")
check(code == 200, "server still fine afterwards")
for path in (f"{home}../../addressbooks/{OTHER}/contacts/", f"{home}%2e%2e/{OTHER}/personal/",
             f"/dav/calendars/{OTHER}/personal/", f"/dav/principals/{OTHER}/", f"/dav/calendars/{OTHER}/"):
    code, out, _ = curl("PROPFIND", path, None, ["Depth: 1"], extra=["--path-as-is"])
    check(code in (400, 403, 404) and OTHER not in out and "Personal" not in out, f"PROPFIND {path}: {code}, nothing leaked")
code, out, _ = curl("GET", f"/dav/calendars/{OTHER}/personal/x.ics")
check(code == 404, "GET in another user's calendar: 404")
code, out, _ = curl("DELETE", abook)
check(code == 204, "DELETE address book")
code, out, _ = curl("DELETE", cal)
check(code == 204 and curl("PROPFIND", cal, None, ["Depth: 0"])[0] == 404, "DELETE calendar")
inst.stop()
finish()
