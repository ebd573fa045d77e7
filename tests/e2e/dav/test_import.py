#!/usr/bin/python3
"""`hearth import` of Google-style exports: one .ics with 5 000 events (VTIMEZONE, 20% weekly
recurring, some with an override, a few exact duplicates, one broken event) and one .vcf with
2 000 contacts (Google writes no UID), then found by calendar-query, addressbook-query and
multiget over HTTPS; a second import changes nothing."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import hearth_test as ht
from davlib import NS, Client, tag
from hearth_test import NET, check, finish

USER = "demo@example.test"
inst = ht.Instance(USER, extra=["--ip4", f"{NET}.1"])

TZ = ("BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\n"
      "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nEND:STANDARD\r\n"
      "BEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nTZOFFSETFROM:-0500\r\n"
      "TZOFFSETTO:-0400\r\nTZNAME:EDT\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n")
parts = ["BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\n"
         "METHOD:PUBLISH\r\nX-WR-CALNAME:demo@example.test\r\nX-WR-TIMEZONE:America/New_York\r\n", TZ]
N = 5000
for i in range(N):
    day = 1 + i % 28
    month = 1 + (i // 28) % 12
    year = 2031 + i // (28 * 12)
    start = f"{year}{month:02d}{day:02d}T{9 + i % 8:02d}0000"
    end = f"{year}{month:02d}{day:02d}T{10 + i % 8:02d}0000"
    ev = (f"BEGIN:VEVENT\r\nDTSTART;TZID=America/New_York:{start}\r\nDTEND;TZID=America/New_York:{end}\r\n"
          f"DTSTAMP:20300101T000000Z\r\nUID:{i:05d}abcdef@google.com\r\nCREATED:20300101T000000Z\r\n"
          f"DESCRIPTION:\r\nLAST-MODIFIED:20300101T000000Z\r\nLOCATION:\r\nSEQUENCE:0\r\nSTATUS:CONFIRMED\r\n"
          f"SUMMARY:Imported event {i}\r\nTRANSP:OPAQUE\r\n")
    if i % 5 == 0:
        ev += "RRULE:FREQ=WEEKLY;COUNT=10\r\n"
    ev += "END:VEVENT\r\n"
    parts.append(ev)
    if i % 50 == 0:
        # An override of the first instance, moved by two hours.
        parts.append(f"BEGIN:VEVENT\r\nDTSTART;TZID=America/New_York:{start[:9]}{int(start[9:11]) + 2:02d}0000\r\n"
                     f"DTEND;TZID=America/New_York:{end[:9]}{int(end[9:11]) + 2:02d}0000\r\nDTSTAMP:20300101T000000Z\r\n"
                     f"UID:{i:05d}abcdef@google.com\r\nRECURRENCE-ID;TZID=America/New_York:{start}\r\n"
                     f"SUMMARY:Imported event {i} (moved)\r\nEND:VEVENT\r\n")
    if i % 1000 == 1:
        parts.append(ev)  # exact duplicate
parts.append("BEGIN:VEVENT\r\nDTSTART:20310101T000000Z\r\nSUMMARY:no uid\r\nEND:VEVENT\r\n")
parts.append("BEGIN:VEVENT\r\nUID:broken@google.com\r\nDTSTART;TZID=America/New_York:notadate\r\nEND:VEVENT\r\n")
parts.append("END:VCALENDAR\r\n")
ics = os.path.join(inst.dir, "google.ics")
with open(ics, "w", newline="") as f:
    f.write("".join(parts))

cards = []
for i in range(2000):
    cards.append(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Contact Number{i}\r\nN:Number{i};Contact;;;\r\n"
                 f"EMAIL;TYPE=INTERNET;TYPE=HOME:contact{i}@example.org\r\nTEL;TYPE=CELL:+33 6 00 00 {i:04d}\r\n"
                 f"NOTE:Zoë {i}\r\nEND:VCARD\r\n")
cards.append("BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Old format\r\nEND:VCARD\r\n")
vcf = os.path.join(inst.dir, "contacts.vcf")
with open(vcf, "w", newline="") as f:
    f.write("".join(cards))

cp = inst.cli(["import", "ics", ics, "--user", USER], check_rc=False, timeout=300)
print(cp.stdout, cp.stderr[-600:])
check(cp.returncode == 0 and f"imported {N} new" in cp.stdout, "ics import: 5000 new objects")
check("5 duplicates skipped" in cp.stdout, "ics import: the 5 exact duplicates skipped")
check("2 rejected" in cp.stdout and "no UID" in cp.stderr, "ics import: the broken and UID-less events rejected, with why")
cp = inst.cli(["import", "vcf", vcf, "--user", USER, "--addressbook", "google"], check_rc=False, timeout=300)
print(cp.stdout, cp.stderr[-300:])
check(cp.returncode == 0 and "imported 2000 new" in cp.stdout and "1 rejected" in cp.stdout, "vcf import: 2000 new, 1 rejected")
cp = inst.cli(["import", "vcf", vcf, "--user", USER, "--addressbook", "google"], check_rc=False, timeout=300)
check("0 new, 0 updated, 2000 unchanged" in cp.stdout, "second vcf import changes nothing")

inst.start(wait_for="https")
c = Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), USER, inst.password)
cal = f"/dav/calendars/{USER}/personal/"
book = f"/dav/addressbooks/{USER}/google/"


def query(start, end):
    body = (f'<c:calendar-query xmlns:d="DAV:" xmlns:c="{NS["c"]}"><d:prop><d:getetag/></d:prop><c:filter>'
            f'<c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="{start}" end="{end}"/>'
            f'</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>')
    r = c.report(cal, body)
    return sorted(r.responses()) if r.status == 207 else None


# Event 0 starts 2031-01-01 09:00 New York (14:00Z), weekly x10; its 1st instance moved +2h.
got = query("20310101T000000Z", "20310102T000000Z")
check(got is not None and cal + "00000abcdef@google.com.ics" in got, "event 0 found on its first day")
got = query("20310101T140000Z", "20310101T150000Z")
check(got is not None and cal + "00000abcdef@google.com.ics" not in got, "overridden instance not at its old time")
got = query("20310101T160000Z", "20310101T170000Z")
check(got is not None and cal + "00000abcdef@google.com.ics" in got, "override found at its new time")
got = query("20310305T000000Z", "20310306T000000Z")
check(got is not None and cal + "00000abcdef@google.com.ics" in got, "recurrence instance found 9 weeks later")
body = (f'<card:addressbook-query xmlns:d="DAV:" xmlns:card="{NS["card"]}"><d:prop><d:getetag/><card:address-data/></d:prop>'
        f'<card:filter><card:prop-filter name="EMAIL"><card:text-match collation="i;ascii-casemap" match-type="equals">'
        f'CONTACT1234@EXAMPLE.ORG</card:text-match></card:prop-filter></card:filter></card:addressbook-query>')
r = c.report(book, body)
resp = r.responses() if r.status == 207 else {}
check(len(resp) == 1 and "Number1234" in list(resp.values())[0][tag("card", "address-data")].text,
      "addressbook-query finds one imported contact by email")
body = (f'<card:addressbook-query xmlns:d="DAV:" xmlns:card="{NS["card"]}"><d:prop><d:getetag/></d:prop>'
        f'<card:filter><card:prop-filter name="NOTE"><card:text-match collation="i;unicode-casemap" match-type="starts-with">'
        f'ZOË 199</card:text-match></card:prop-filter></card:filter></card:addressbook-query>')
r = c.report(book, body)
check(r.status == 207 and len(r.responses()) == 11, f"unicode-casemap starts-with: {len(r.responses()) if r.status == 207 else r.status}")
r = c.propfind(book, ["<d:getetag/>"], depth="1")
check(r.status == 207 and len(r.responses()) == 2001, "Depth 1 PROPFIND lists 2000 cards")
inst.stop()
finish()
