#!/usr/bin/python3
"""The read-only birthday calendar: a contact with BDAY (and X-ANNIVERSARY) put over CardDAV
appears as a yearly all-day event that a calendar-query for next year's date finds; editing
the contact moves it, deleting the contact removes it, `hearth import vcf` feeds it too;
clients cannot write to it (RFC 3744 need-privileges) and its privilege set says so."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import hearth_test as ht
from hearth_test import NET, check, finish
from curllib import TV, XML, Curl

USER = "demo@example.test"
inst = ht.Instance(USER, extra=["--ip4", f"{NET}.1"])
inst.start(wait_for="https")
curl = Curl(inst, USER)
C = 'xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"'
book = f"/dav/addressbooks/{USER}/contacts/"
bcal = f"/dav/calendars/{USER}/contact-birthdays/"


def card(bday, extra=""):
    return ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:anna@e2e\r\nFN:Anna Muster\r\nN:Muster;Anna;;;\r\n"
            f"BDAY:{bday}\r\n{extra}END:VCARD\r\n")


def hits(start, end):
    """Hrefs a calendar-query with a time-range finds in the birthday calendar."""
    code, out, _ = curl("REPORT", bcal, f'<c:calendar-query {C}><d:prop><d:getetag/></d:prop><c:filter>'
                        '<c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
                        f'<c:time-range start="{start}" end="{end}"/></c:comp-filter></c:comp-filter></c:filter>'
                        '</c:calendar-query>', XML + ["Depth: 1"])
    check(code == 207, f"calendar-query on the birthday calendar: {code}")
    return re.findall(r"<d:href>([^<]+)</d:href>", out)


def sync_token():
    code, out, _ = curl("PROPFIND", bcal, '<d:propfind xmlns:d="DAV:"><d:prop><d:sync-token/></d:prop></d:propfind>',
                        XML + ["Depth: 0"])
    m = re.search(r"<d:sync-token>([^<]+)</d:sync-token>", out)
    return m.group(1) if m else None


code, out, _ = curl("PROPFIND", f"/dav/calendars/{USER}/", '<d:propfind xmlns:d="DAV:"><d:prop><d:displayname/>'
                    '</d:prop></d:propfind>', XML + ["Depth: 1"])
check("contact-birthdays" not in out, "no birthday calendar before any contact has a birthday")
check(curl("PUT", book + "anna.vcf", card("1985-04-30", "X-ANNIVERSARY:2010-06-15\r\n"), TV)[0] == 201, "PUT a contact with BDAY")
code, out, _ = curl("PROPFIND", f"/dav/calendars/{USER}/", '<d:propfind xmlns:d="DAV:"><d:prop><d:displayname/>'
                    '</d:prop></d:propfind>', XML + ["Depth: 1"])
check(f"<d:href>{bcal}</d:href>" in out and "<d:displayname>Birthdays</d:displayname>" in out,
      "the calendar home lists the Birthdays calendar")
april = hits("20270430T000000Z", "20270501T000000Z")
check(len(april) == 1, f"next year's birthday is found by a time-range query: {april}")
check(len(hits("20270615T000000Z", "20270616T000000Z")) == 1, "the anniversary too")
check(hits("20270510T000000Z", "20270511T000000Z") == [], "nothing on another day")
code, out, _ = curl("GET", april[0] if april else bcal)
check(code == 200 and "SUMMARY:Birthday: Anna Muster" in out and "RRULE:FREQ=YEARLY" in out and
      "DTSTART;VALUE=DATE:19850430" in out, f"the event: {out[:300]!r}")

# Editing the contact moves the event and the sync token; an unchanged contact does not.
t1 = sync_token()
check(curl("PUT", book + "anna.vcf", card("1985-04-30", "X-ANNIVERSARY:2010-06-15\r\nNOTE:same dates\r\n"), TV)[0] == 204,
      "PUT the contact again with the same dates")
check(sync_token() == t1, "same dates: the birthday calendar's sync token stays")
check(curl("PUT", book + "anna.vcf", card("1985-05-10"), TV)[0] == 204, "PUT the contact with a new BDAY, no anniversary")
check(sync_token() != t1, "the sync token moved")
check(hits("20270430T000000Z", "20270501T000000Z") == [], "the old date is gone")
check(len(hits("20270510T000000Z", "20270511T000000Z")) == 1, "the new date is there")
check(hits("20270615T000000Z", "20270616T000000Z") == [], "the anniversary is gone with it")

# Read-only for clients.
EV = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:x@e2e\r\nDTSTAMP:20300101T000000Z\r\n"
      "DTSTART:20300101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
code, out, _ = curl("PUT", bcal + "x.ics", EV, ["Content-Type: text/calendar"])
check(code == 403 and "need-privileges" in out, f"PUT into the birthday calendar: {code}")
may = hits("20270510T000000Z", "20270511T000000Z")
check(curl("DELETE", may[0] if may else bcal)[0] == 403, "DELETE of a birthday event is refused")
check(curl("DELETE", bcal)[0] == 403, "DELETE of the birthday calendar is refused")
code, out, _ = curl("PROPFIND", bcal, '<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-privilege-set/></d:prop>'
                    '</d:propfind>', XML + ["Depth: 0"])
check("<d:read/>" in out and "<d:write/>" not in out and "<d:bind/>" not in out,
      "current-user-privilege-set: read only")

# Deleting the contact removes its event.
check(curl("DELETE", book + "anna.vcf")[0] == 204, "DELETE the contact")
check(hits("20270510T000000Z", "20270511T000000Z") == [], "its birthday is gone")

# `hearth import vcf` writes without the DAV handlers: the calendar follows too.
vcf = os.path.join(inst.dir, "import.vcf")
with open(vcf, "w") as f:
    f.write("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:bob@e2e\r\nFN:Bob\r\nBDAY:--0229\r\nEND:VCARD\r\n")
cp = inst.cli(["import", "vcf", vcf, "--user", USER], check_rc=False, timeout=60)
check(cp.returncode == 0, f"hearth import vcf: {cp.stderr}")
check(len(hits("20280229T000000Z", "20280301T000000Z")) == 1, "an imported year-less 29 February birthday, in 2028")
check(len(hits("20270228T000000Z", "20270301T000000Z")) == 1, "and on 28 February in a common year")
inst.stop()
finish()
