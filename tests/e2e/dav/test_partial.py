#!/usr/bin/python3
"""curl, exact bodies: calendar-data with comp/prop selection, expand, limit-recurrence-set and
limit-freebusy-set (RFC 4791 §9.6), address-data with prop (RFC 6352 §10.4), calendar-timezone
validated and applied to floating times in calendar-query and free-busy-query (RFC 4791 §5.2.2,
§9.9), and CALDAV:timezone in a calendar-query (§9.8)."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import hearth_test as ht
from hearth_test import NET, check, finish
from curllib import DECL, ERR, NF, OK, ROOT, TC, TV, XML, Curl, esc, etag, exact

USER = "demo@example.test"
inst = ht.Instance(USER, extra=["--ip4", f"{NET}.1"])
inst.start(wait_for="https")
curl = Curl(inst, USER)

PARIS = ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//e2e//EN\nBEGIN:VTIMEZONE\nTZID:Europe/Paris\n"
         "BEGIN:STANDARD\nDTSTART:19701025T030000\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nTZOFFSETFROM:+0200\n"
         "TZOFFSETTO:+0100\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:19700329T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\n"
         "TZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nEND:DAYLIGHT\nEND:VTIMEZONE\nEND:VCALENDAR\n")
UTC = ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//e2e//EN\nBEGIN:VTIMEZONE\nTZID:Etc/UTC\nBEGIN:STANDARD\n"
       "DTSTART:19700101T000000\nTZOFFSETFROM:+0000\nTZOFFSETTO:+0000\nEND:STANDARD\nEND:VTIMEZONE\nEND:VCALENDAR\n")
C = 'xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"'
cal = f"/dav/calendars/{USER}/tz/"

# RFC 4791 §5.2.3: a calendar made without supported-calendar-component-set takes journals too.
code, _, _ = curl("MKCALENDAR", f"/dav/calendars/{USER}/plain/")
check(code == 201, "MKCALENDAR without a body")
code, out, _ = curl("PROPFIND", f"/dav/calendars/{USER}/plain/", f'<d:propfind {C}><d:prop><c:supported-calendar-component-set/>'
                    '</d:prop></d:propfind>', XML + ["Depth: 0"])
exact((code, out), (207, DECL + ROOT + f"<d:response><d:href>/dav/calendars/{USER}/plain/</d:href><d:propstat><d:prop>"
                    '<c:supported-calendar-component-set><c:comp name="VEVENT"/><c:comp name="VTODO"/><c:comp name="VJOURNAL"/>'
                    f"</c:supported-calendar-component-set></d:prop>{OK}</d:propstat></d:response></d:multistatus>"),
      "supported-calendar-component-set defaults to VEVENT, VTODO, VJOURNAL")
JOURNAL = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VJOURNAL\r\nUID:j@e2e\r\nDTSTAMP:20300101T000000Z\r\n"
           "DTSTART;VALUE=DATE:20300101\r\nSUMMARY:note\r\nEND:VJOURNAL\r\nEND:VCALENDAR\r\n")
check(curl("PUT", f"/dav/calendars/{USER}/plain/j.ics", JOURNAL, TC)[0] == 201, "PUT a VJOURNAL")

# calendar-timezone must be one VTIMEZONE: MKCALENDAR with an event instead fails as a whole.
EV_TZ = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:x\nDTSTAMP:20300101T000000Z\nEND:VEVENT\nEND:VCALENDAR\n"
code, out, _ = curl("MKCALENDAR", cal, f'<c:mkcalendar {C}><d:set><d:prop><d:displayname>TZ</d:displayname>'
                    f'<c:calendar-timezone>{EV_TZ}</c:calendar-timezone></d:prop></d:set></c:mkcalendar>', XML)
exact((code, out), (403, DECL + ROOT.replace("d:multistatus", "c:mkcalendar-response") + "<d:propstat><d:prop>"
                    "<c:calendar-timezone/></d:prop><d:status>HTTP/1.1 403 Forbidden</d:status><d:error>"
                    "<c:valid-calendar-data/></d:error></d:propstat><d:propstat><d:prop><d:displayname/></d:prop>"
                    "<d:status>HTTP/1.1 424 Failed Dependency</d:status></d:propstat></c:mkcalendar-response>"),
      "MKCALENDAR with a calendar-timezone that is not a VTIMEZONE: valid-calendar-data, nothing made")
code, out, _ = curl("MKCALENDAR", cal, f'<c:mkcalendar {C}><d:set><d:prop><d:displayname>TZ</d:displayname>'
                    f'<c:calendar-timezone>{esc(PARIS)}</c:calendar-timezone><c:supported-calendar-component-set>'
                    '<c:comp name="VEVENT"/><c:comp name="VFREEBUSY"/></c:supported-calendar-component-set>'
                    '</d:prop></d:set></c:mkcalendar>', XML)
check(code == 201, f"MKCALENDAR with calendar-timezone Europe/Paris: {code}")
code, out, _ = curl("PROPFIND", cal, f'<d:propfind {C}><d:prop><c:calendar-timezone/></d:prop></d:propfind>',
                    XML + ["Depth: 0"])
exact((code, out), (207, DECL + ROOT + f"<d:response><d:href>{cal}</d:href><d:propstat><d:prop><c:calendar-timezone>"
                    f"{esc(PARIS)}</c:calendar-timezone></d:prop>{OK}</d:propstat></d:response></d:multistatus>"),
      "PROPFIND returns calendar-timezone")
code, out, _ = curl("PROPPATCH", cal, f'<d:propertyupdate {C}><d:set><d:prop><c:calendar-timezone>not ical'
                    '</c:calendar-timezone></d:prop></d:set></d:propertyupdate>', XML)
exact((code, out), (207, DECL + ROOT + f"<d:response><d:href>{cal}</d:href><d:propstat><d:prop><c:calendar-timezone/>"
                    "</d:prop><d:status>HTTP/1.1 403 Forbidden</d:status><d:error><c:valid-calendar-data/></d:error>"
                    "</d:propstat></d:response></d:multistatus>"), "PROPPATCH calendar-timezone garbage: 403 valid-calendar-data")

REC = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\n"
       "BEGIN:VEVENT\r\nUID:rec@e2e\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300107T090000Z\r\nDTEND:20300107T093000Z\r\n"
       "RRULE:FREQ=WEEKLY;COUNT=6\r\nSUMMARY:Weekly\r\nATTACH:https://example.test/agenda\r\nEND:VEVENT\r\n")
OVR_JAN = ("BEGIN:VEVENT\r\nUID:rec@e2e\r\nDTSTAMP:20300101T000000Z\r\nRECURRENCE-ID:20300121T090000Z\r\n"
           "DTSTART:20300122T140000Z\r\nDTEND:20300122T143000Z\r\nSUMMARY:Moved\r\nEND:VEVENT\r\n")
OVR_FEB = ("BEGIN:VEVENT\r\nUID:rec@e2e\r\nDTSTAMP:20300101T000000Z\r\nRECURRENCE-ID:20300204T090000Z\r\n"
           "DTSTART:20300204T090000Z\r\nDTEND:20300204T093000Z\r\nSUMMARY:Renamed\r\nEND:VEVENT\r\n")
REC_ALL = REC + OVR_JAN + OVR_FEB + "END:VCALENDAR\r\n"
FLOAT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:float@e2e\r\n"
         "DTSTAMP:20300101T000000Z\r\nDTSTART:20300301T100000\r\nDTEND:20300301T110000\r\nSUMMARY:Floating\r\n"
         "END:VEVENT\r\nEND:VCALENDAR\r\n")
FB = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VFREEBUSY\r\nUID:fb@e2e\r\n"
      "DTSTAMP:20300101T000000Z\r\nDTSTART:20300101T000000Z\r\nDTEND:20300201T000000Z\r\n"
      "FREEBUSY:20300101T100000Z/20300101T110000Z,20300115T100000Z/PT1H\r\n"
      "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20300120T100000Z/PT2H\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n")
for name, data in (("rec.ics", REC_ALL), ("float.ics", FLOAT), ("fb.ics", FB)):
    code, _, _ = curl("PUT", cal + name, data, TC)
    check(code == 201, f"PUT {name}: {code}")


def multiget(name, calendar_data):
    return curl("REPORT", cal, f'<c:calendar-multiget {C}><d:prop><d:getetag/>{calendar_data}</d:prop>'
                f'<d:href>{cal}{name}</d:href></c:calendar-multiget>', XML)


def one(name, data, body):
    return DECL + ROOT + (f"<d:response><d:href>{cal}{name}</d:href><d:propstat><d:prop><d:getetag>{etag(data)}</d:getetag>"
                          f"<c:calendar-data>{esc(body)}</c:calendar-data></d:prop>{OK}</d:propstat></d:response>"
                          "</d:multistatus>")


# RFC 4791 §9.6.6: the master plus the overrides bearing on February (the Jan 21 one does not).
code, out, _ = multiget("rec.ics", '<c:calendar-data><c:limit-recurrence-set start="20300201T000000Z" '
                        'end="20300301T000000Z"/></c:calendar-data>')
exact((code, out), (207, one("rec.ics", REC_ALL, REC + OVR_FEB + "END:VCALENDAR\r\n")), "limit-recurrence-set: February")
code, out, _ = multiget("rec.ics", '<c:calendar-data><c:limit-recurrence-set start="20300301T000000Z" '
                        'end="20300401T000000Z"/></c:calendar-data>')
exact((code, out), (207, one("rec.ics", REC_ALL, REC + "END:VCALENDAR\r\n")), "limit-recurrence-set: March, master only")

# RFC 4791 §9.6.5: expand into UTC instances with RECURRENCE-ID, no RRULE.
code, out, _ = multiget("rec.ics", '<c:calendar-data><c:expand start="20300120T000000Z" end="20300130T000000Z"/>'
                        '</c:calendar-data>')
EXPANDED = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\n"
            "BEGIN:VEVENT\r\nUID:rec@e2e\r\nDTSTAMP:20300101T000000Z\r\nSUMMARY:Moved\r\nDTSTART:20300122T140000Z\r\n"
            "DTEND:20300122T143000Z\r\nRECURRENCE-ID:20300121T090000Z\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:rec@e2e\r\nDTSTAMP:20300101T000000Z\r\nSUMMARY:Weekly\r\n"
            "ATTACH:https://example.test/agenda\r\nDTSTART:20300128T090000Z\r\nDTEND:20300128T093000Z\r\n"
            "RECURRENCE-ID:20300128T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
exact((code, out), (207, one("rec.ics", REC_ALL, EXPANDED)), "expand: the moved instance and Jan 28, in UTC")

# RFC 4791 §9.6.1-§9.6.4: comp/prop selection, novalue.
code, out, _ = multiget("rec.ics", '<c:calendar-data><c:comp name="VCALENDAR"><c:prop name="VERSION"/>'
                        '<c:comp name="VEVENT"><c:prop name="SUMMARY"/><c:prop name="UID"/>'
                        '<c:prop name="ATTACH" novalue="yes"/></c:comp></c:comp></c:calendar-data>')
SELECTED = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:rec@e2e\r\nSUMMARY:Weekly\r\nATTACH:\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:rec@e2e\r\nSUMMARY:Moved\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:rec@e2e\r\nSUMMARY:Renamed\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
exact((code, out), (207, one("rec.ics", REC_ALL, SELECTED)), "calendar-data comp/prop selection with novalue")
code, out, _ = multiget("rec.ics", '<c:calendar-data><c:comp name="VCALENDAR"><c:allprop/><c:allcomp/></c:comp>'
                        '</c:calendar-data>')
exact((code, out), (207, one("rec.ics", REC_ALL, REC_ALL)), "calendar-data allprop/allcomp: everything")
code, out, _ = multiget("rec.ics", '<c:calendar-data content-type="application/calendar+json"/>')
exact((code, out), (403, DECL + ERR + "<c:supported-calendar-data/></d:error>"), "calendar-data as JSON: supported-calendar-data")

code, out, _ = curl("PUT", cal + "json.ics", '{"not": "ical"}', ["Content-Type: application/calendar+json"])
exact((code, out), (403, DECL + ERR + "<c:supported-calendar-data/></d:error>"), "PUT as JSON: supported-calendar-data")

code, out, _ = curl("PROPFIND", cal, f'<d:propfind {C}><d:prop><c:calendar-data/></d:prop></d:propfind>', XML + ["Depth: 1"])
check(code == 207 and esc(REC_ALL) in out and esc(FLOAT) in out, "calendar-data in a Depth 1 PROPFIND")

# RFC 4791 §9.6.7: FREEBUSY periods outside the range are dropped.
code, out, _ = multiget("fb.ics", '<c:calendar-data><c:limit-freebusy-set start="20300115T000000Z" '
                        'end="20300116T000000Z"/></c:calendar-data>')
FB_LIMITED = FB.replace("20300101T100000Z/20300101T110000Z,", "").replace(
    "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20300120T100000Z/PT2H\r\n", "")
exact((code, out), (207, one("fb.ics", FB, FB_LIMITED)), "limit-freebusy-set keeps only the Jan 15 period")


def query(start, end, tz=""):
    return curl("REPORT", cal, f'<c:calendar-query {C}><d:prop><d:getetag/></d:prop><c:filter>'
                f'<c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="{start}" end="{end}"/>'
                f'</c:comp-filter></c:comp-filter></c:filter>{tz}</c:calendar-query>', XML)


FOUND = (DECL + ROOT + f"<d:response><d:href>{cal}float.ics</d:href><d:propstat><d:prop><d:getetag>{etag(FLOAT)}"
         f"</d:getetag></d:prop>{OK}</d:propstat></d:response></d:multistatus>")
EMPTY = DECL + ROOT + "</d:multistatus>"
# Floating 10:00 in Europe/Paris in March is 09:00Z.
code, out, _ = query("20300301T090000Z", "20300301T093000Z")
exact((code, out), (207, FOUND), "calendar-query: a floating event found at 09:00Z (calendar-timezone Paris)")
code, out, _ = query("20300301T103000Z", "20300301T113000Z")
exact((code, out), (207, EMPTY), "calendar-query: not at 10:00Z-11:00Z (where UTC would put it)")
code, out, _ = query("20300301T103000Z", "20300301T113000Z", f"<c:timezone>{esc(UTC)}</c:timezone>")
exact((code, out), (207, FOUND), "calendar-query with CALDAV:timezone UTC: found at 10:00Z")
code, out, _ = query("20300301T103000Z", "20300301T113000Z", "<c:timezone>nonsense</c:timezone>")
exact((code, out), (403, DECL + ERR + "<c:valid-calendar-data/></d:error>"), "calendar-query with a bad CALDAV:timezone")
# RFC 4791 §9.9: a VALARM matches by its trigger time.
ALARM = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:alarm@e2e\r\n"
         "DTSTAMP:20300101T000000Z\r\nDTSTART:20300501T090000Z\r\nDTEND:20300501T100000Z\r\nSUMMARY:alarm\r\n"
         "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:soon\r\nTRIGGER:-PT30M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
check(curl("PUT", cal + "alarm.ics", ALARM, TC)[0] == 201, "PUT an event with an alarm")


def alarm_query(start, end):
    return curl("REPORT", cal, f'<c:calendar-query {C}><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR">'
                f'<c:comp-filter name="VEVENT"><c:comp-filter name="VALARM"><c:time-range start="{start}" end="{end}"/>'
                '</c:comp-filter></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>', XML)[:2]


exact(alarm_query("20300501T082500Z", "20300501T083500Z"), (207, FOUND.replace("float.ics", "alarm.ics").replace(
    etag(FLOAT), etag(ALARM))), "calendar-query on VALARM: found by its trigger (08:30Z)")
exact(alarm_query("20300501T090000Z", "20300501T100000Z"), (207, EMPTY), "calendar-query on VALARM: not during the event")

# RFC 4791 §7.10: free-busy from events (TRANSP, STATUS) and VFREEBUSY objects, merged.
EVX = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20300101T000000Z\r\n"
       "DTSTART:{s}\r\nDTEND:{e}\r\n{extra}SUMMARY:{uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
for uid, st, en, extra in (("overlap", "20300301T093000Z", "20300301T103000Z", ""),
                           ("tentative", "20300301T120000Z", "20300301T130000Z", "STATUS:TENTATIVE\r\n"),
                           ("transparent", "20300301T140000Z", "20300301T150000Z", "TRANSP:TRANSPARENT\r\n"),
                           ("cancelled", "20300301T160000Z", "20300301T170000Z", "STATUS:CANCELLED\r\n")):
    check(curl("PUT", f"{cal}{uid}.ics", EVX.format(uid=uid, s=st, e=en, extra=extra), TC)[0] == 201, f"PUT {uid}.ics")
FBQ = '<c:free-busy-query {C}><c:time-range start="{s}" end="{e}"/></c:free-busy-query>'
code, out, hdr = curl("REPORT", cal, FBQ.format(C=C, s="20300301T000000Z", e="20300302T000000Z"), XML)
exact((code, re.sub(r"DTSTAMP:\d{8}T\d{6}Z", "DTSTAMP:x", out)),
      (200, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hearth//CalDAV//EN\r\nBEGIN:VFREEBUSY\r\nDTSTAMP:x\r\n"
            "DTSTART:20300301T000000Z\r\nDTEND:20300302T000000Z\r\n"
            "FREEBUSY:20300301T090000Z/20300301T103000Z\r\n"
            "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20300301T120000Z/20300301T130000Z\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"),
      "free-busy-query: the floating event (09:00Z in Paris) merged with 09:30-10:30, tentative apart, "
      "transparent and cancelled left out")
code, out, hdr = curl("REPORT", cal, FBQ.format(C=C, s="20300114T000000Z", e="20300121T000000Z"), XML)
exact((code, re.sub(r"DTSTAMP:\d{8}T\d{6}Z", "DTSTAMP:x", out)),
      (200, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hearth//CalDAV//EN\r\nBEGIN:VFREEBUSY\r\nDTSTAMP:x\r\n"
            "DTSTART:20300114T000000Z\r\nDTEND:20300121T000000Z\r\n"
            "FREEBUSY:20300114T090000Z/20300114T093000Z\r\nFREEBUSY:20300115T100000Z/20300115T110000Z\r\n"
            "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20300120T100000Z/20300120T120000Z\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"),
      "free-busy-query: a weekly instance plus the VFREEBUSY object's periods")

# RFC 6352 §10.4: address-data with prop.
book = f"/dav/addressbooks/{USER}/contacts/"
CARD = ("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:ann@e2e\r\nFN:Ann Example\r\nitem1.EMAIL;TYPE=work:ann@example.test\r\n"
        "TEL:+1 555 0100\r\nNOTE:a long note that is folded over\r\n  two lines\r\nEND:VCARD\r\n")
check(curl("PUT", book + "ann.vcf", CARD, TV)[0] == 201, "PUT a vCard")
R = 'xmlns:d="DAV:" xmlns:r="urn:ietf:params:xml:ns:carddav"'
PARTIAL = "BEGIN:VCARD\r\nFN:Ann Example\r\nitem1.EMAIL;TYPE=work:ann@example.test\r\nNOTE:a long note that is folded over\r\n  two lines\r\nEND:VCARD\r\n"
WANT = (DECL + ROOT + f"<d:response><d:href>{book}ann.vcf</d:href><d:propstat><d:prop><card:address-data>{esc(PARTIAL)}"
        f"</card:address-data></d:prop>{OK}</d:propstat></d:response></d:multistatus>")
code, out, _ = curl("REPORT", book, f'<r:addressbook-multiget {R}><d:prop><r:address-data><r:prop name="FN"/>'
                    f'<r:prop name="EMAIL"/><r:prop name="NOTE"/></r:address-data></d:prop><d:href>{book}ann.vcf</d:href>'
                    '</r:addressbook-multiget>', XML)
exact((code, out), (207, WANT), "addressbook-multiget with address-data props (group and fold kept)")
code, out, _ = curl("REPORT", book, f'<r:addressbook-query {R}><d:prop><r:address-data><r:prop name="FN"/>'
                    '<r:prop name="EMAIL"/><r:prop name="NOTE"/></r:address-data></d:prop><r:filter><r:prop-filter name="FN">'
                    '<r:text-match>ann</r:text-match></r:prop-filter></r:filter></r:addressbook-query>', XML)
exact((code, out), (207, WANT), "addressbook-query with address-data props")
code, out, _ = curl("REPORT", book, f'<r:addressbook-multiget {R}><d:prop><r:address-data><r:allprop/></r:address-data>'
                    f'</d:prop><d:href>{book}ann.vcf</d:href></r:addressbook-multiget>', XML)
exact((code, out), (207, WANT.replace(esc(PARTIAL), esc(CARD))), "address-data allprop: the card as stored")
# RFC 6352 §10.4: an explicit version converts (the card is stored as 4.0, asked as 3.0: TYPE=pref,
# the N that 3.0 requires); the stored card is unchanged and 4.0 gives it back as stored.
V3 = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann@e2e\r\nFN:Ann Example\r\nitem1.EMAIL;TYPE=work:ann@example.test\r\n"
      "TEL:+1 555 0100\r\nNOTE:a long note that is folded over two lines\r\nN:Ann Example;;;;\r\nEND:VCARD\r\n")
code, out, _ = curl("REPORT", book, f'<r:addressbook-multiget {R}><d:prop><r:address-data content-type="text/vcard" version="3.0"/>'
                    f'</d:prop><d:href>{book}ann.vcf</d:href></r:addressbook-multiget>', XML)
exact((code, out), (207, WANT.replace(esc(PARTIAL), esc(V3))), "address-data version=3.0 converts a 4.0 card")
code, out, _ = curl("REPORT", book, f'<r:addressbook-multiget {R}><d:prop><r:address-data version="4.0"/>'
                    f'</d:prop><d:href>{book}ann.vcf</d:href></r:addressbook-multiget>', XML)
exact((code, out), (207, WANT.replace(esc(PARTIAL), esc(CARD))), "address-data version=4.0: the 4.0 card as stored")
code, out, _ = curl("REPORT", book, f'<r:addressbook-multiget {R}><d:prop><r:address-data content-type="application/vcard+json"/>'
                    f'</d:prop><d:href>{book}ann.vcf</d:href></r:addressbook-multiget>', XML)
exact((code, out), (403, DECL + ERR + "<card:supported-address-data/></d:error>"), "address-data as JSON: supported-address-data")
code, out, _ = curl("MKCOL", f"/dav/addressbooks/{USER}/bad/", f'<d:mkcol {R}><d:set><d:prop><d:resourcetype><d:collection/>'
                    '<r:addressbook/></d:resourcetype><d:getetag>"x"</d:getetag></d:prop></d:set></d:mkcol>', XML)
exact((code, out), (403, DECL + ROOT.replace("d:multistatus", "d:mkcol-response") + "<d:propstat><d:prop><d:getetag/>"
                    "</d:prop><d:status>HTTP/1.1 403 Forbidden</d:status></d:propstat><d:propstat><d:prop><d:resourcetype/>"
                    "</d:prop><d:status>HTTP/1.1 424 Failed Dependency</d:status></d:propstat></d:mkcol-response>"),
      "extended MKCOL with a protected property: mkcol-response (RFC 5689 §3.4), nothing made")
code, out, _ = curl("PUT", book + "json.vcf", '["vcard"]', ["Content-Type: application/vcard+json"])
exact((code, out), (403, DECL + ERR + "<card:supported-address-data/></d:error>"), "PUT as jCard: supported-address-data")
inst.stop()
finish()
