#!/usr/bin/python3
"""Scheduling fan-out and how answers show (RFC 6638, RFC 4791 §7.10), raw HTTP.

One organizer invites 40 local attendees with one PUT: every attendee gets the REQUEST in the
schedule inbox and the event in the default calendar, and an incremental sync-collection of
each calendar reports exactly that new object (the fan-out is committed for all attendees at
once, each collection's change log and token still per collection). A new invitation shows as
STATUS:TENTATIVE until answered; an attendee who set invitation-status "as-sent" on their inbox
gets the organizer's STATUS; accepting by PUT brings the organizer's STATUS back (busy, not
tentative). free-busy-query REPORT on the attendee's calendar and the outbox free-busy POST
agree: accepted is BUSY, unanswered BUSY-TENTATIVE, declined and TRANSP:TRANSPARENT free."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import hearth_test as ht  # noqa: E402
from hearth_test import NET, check, finish  # noqa: E402
from davlib import NS, Client  # noqa: E402

ORG = "demo@example.test"
N = 40
inst = ht.Instance(ORG, extra=["--ip4", f"{NET}.1"])
USERS = [f"att{i:02d}@example.test" for i in range(N)]
PW = "attendee-password-1"
for u in USERS:
    inst.cli(["user", "add", u, "--password-stdin"], input=PW + "\n")
inst.start(wait_for="https")
TC = {"Content-Type": "text/calendar; charset=utf-8"}


def client(user, pw=PW):
    return Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), user, pw)


org = client(ORG, inst.password)
att = {u: client(u) for u in USERS}
SYNC = ('<d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>'
        '<d:prop><d:getetag/></d:prop></d:sync-collection>')


def sync(c, path, token=""):
    r = c.report(path, SYNC.format(token=token))
    x = r.xml() if r.status == 207 else None
    tok = x.find("d:sync-token", NS).text if x is not None else ""
    hrefs = [h.text for h in x.findall("d:response/d:href", NS)] if x is not None else []
    return tok, hrefs


# Each attendee's client has synced its calendar once (this also makes the inbox).
tokens = {u: sync(att[u], f"/dav/calendars/{u}/personal/")[0] for u in USERS}


def event(uid, start, end, attendees, extra=""):
    lines = "".join(f"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{a}\r\n" for a in attendees)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nSEQUENCE:0\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\n"
            f"SUMMARY:{uid}\r\nSTATUS:CONFIRMED\r\n{extra}ORGANIZER:mailto:{ORG}\r\n"
            f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{ORG}\r\n{lines}END:VEVENT\r\nEND:VCALENDAR\r\n")


def unfold(t):
    return t.replace("\r\n ", "")


def statuses(t):
    return re.findall(r"^STATUS[^\r\n]*", t, re.M)


def copy_of(user, uid):
    c = att[user]
    r = c.propfind(f"/dav/calendars/{user}/personal/", ["<d:getetag/>"], depth="1")
    for h in r.responses():
        if h.endswith("/"):
            continue
        g = c.request("GET", h)
        if f"UID:{uid}" in g.text:
            return h, unfold(g.text)
    return None, ""


# --- one PUT, 40 attendees ---
r = org.request("PUT", f"/dav/calendars/{ORG}/personal/all-hands.ics",
                event("all-hands", "20300301T100000Z", "20300301T110000Z", USERS), TC)
check(r.status == 201, f"organizer's PUT with {N} attendees: {r.status} {r.text[:200]}")
stored = unfold(org.request("GET", f"/dav/calendars/{ORG}/personal/all-hands.ics").text)
delivered = len(re.findall(r'SCHEDULE-STATUS="?1\.2', stored))
check(delivered == N, f"SCHEDULE-STATUS 1.2 for all {N}: {delivered}")
in_inbox = synced = 0
for u in USERS:
    _, items = sync(att[u], f"/dav/calendars/{u}/schedule-inbox/")
    msgs = [att[u].request("GET", h).text for h in items if not h.endswith("/")]
    in_inbox += sum(1 for m in msgs if "METHOD:REQUEST" in m and "UID:all-hands" in m) == 1
    tok, changed = sync(att[u], f"/dav/calendars/{u}/personal/", tokens[u])
    synced += len(changed) == 1 and changed[0].endswith("/all-hands.ics") and tok != tokens[u]
check(in_inbox == N, f"every attendee's inbox has the one REQUEST: {in_inbox}/{N}")
check(synced == N, f"every attendee's calendar reports exactly the new event since its last sync: {synced}/{N}")

# --- tentative until answered, or as sent (the attendee's setting) ---
A, B, C = USERS[0], USERS[1], USERS[2]
h, text = copy_of(A, "all-hands")
check(re.search(r"^STATUS[^:\r\n]*:TENTATIVE", text, re.M) and "STATUS:CONFIRMED" not in text,
      f"a new invitation shows as STATUS:TENTATIVE: {statuses(text)}")
r = att[B].request("PROPPATCH", f"/dav/calendars/{B}/schedule-inbox/",
                   '<d:propertyupdate xmlns:d="DAV:" xmlns:h="http://hearth.invalid/ns/"><d:set><d:prop>'
                   '<h:invitation-status>as-sent</h:invitation-status></d:prop></d:set></d:propertyupdate>')
check(r.status == 207 and "200 OK" in r.text, f"{B} sets invitation-status as-sent: {r.status}")
r = org.request("PUT", f"/dav/calendars/{ORG}/personal/review.ics",
                event("review", "20300302T100000Z", "20300302T110000Z", [A, B, C]), TC)
check(r.status == 201, f"second invitation: {r.status}")
_, tb = copy_of(B, "review")
check("STATUS:CONFIRMED" in tb and "TENTATIVE" not in tb, "with as-sent, the organizer's STATUS:CONFIRMED")
_, ta = copy_of(A, "review")
check(re.search(r"^STATUS[^:\r\n]*:TENTATIVE", ta, re.M) is not None, "without the setting, tentative")

# A accepts all-hands by PUT: the organizer's STATUS comes back.
accepted = re.sub(r"(ATTENDEE[^\r\n]*)PARTSTAT=NEEDS-ACTION([^\r\n]*mailto:" + re.escape(A) + ")",
                  r"\1PARTSTAT=ACCEPTED\2", text, flags=re.I)
r = att[A].request("PUT", h or "/x", accepted, TC)
check(r.status == 204, f"{A} accepts all-hands: {r.status} {r.text[:200]}")
_, after = copy_of(A, "all-hands")
check("STATUS:CONFIRMED" in after and "TENTATIVE" not in after,
      f"accepted: STATUS:CONFIRMED again: {statuses(after)}")
g = unfold(org.request("GET", f"/dav/calendars/{ORG}/personal/all-hands.ics").text)
check(re.search(r"PARTSTAT=ACCEPTED[^\r\n]*mailto:" + re.escape(A), g, re.I) is not None,
      "the organizer's copy shows the acceptance")

# A declines a third meeting, leaves "review" unanswered, and has a transparent event of her own.
r = org.request("PUT", f"/dav/calendars/{ORG}/personal/dentist.ics",
                event("skip-me", "20300303T100000Z", "20300303T110000Z", [A]), TC)
check(r.status == 201, f"third invitation: {r.status}")
h3, t3 = copy_of(A, "skip-me")
declined = re.sub(r"(ATTENDEE[^\r\n]*)PARTSTAT=NEEDS-ACTION([^\r\n]*mailto:" + re.escape(A) + ")",
                  r"\1PARTSTAT=DECLINED\2", t3, flags=re.I)
check(att[A].request("PUT", h3 or "/x", declined, TC).status == 204, f"{A} declines the third")
own = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:free-time\r\n"
       "DTSTAMP:20300101T000000Z\r\nDTSTART:20300304T100000Z\r\nDTEND:20300304T110000Z\r\nSUMMARY:reading\r\n"
       "TRANSP:TRANSPARENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
check(att[A].request("PUT", f"/dav/calendars/{A}/personal/free.ics", own, TC).status == 201, "a transparent event")

FBQ = ('<c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav">'
       '<c:time-range start="20300301T000000Z" end="20300305T000000Z"/></c:free-busy-query>')
r = att[A].report(f"/dav/calendars/{A}/personal/", FBQ)
fb = unfold(r.text) if r.status == 200 else ""
check(r.status == 200, f"free-busy-query REPORT: {r.status}")
check("FREEBUSY:20300301T100000Z/20300301T110000Z" in fb, f"accepted: BUSY {fb!r}")
check("FREEBUSY;FBTYPE=BUSY-TENTATIVE:20300302T100000Z/20300302T110000Z" in fb, "unanswered: BUSY-TENTATIVE")
check("20300303T100000Z" not in fb, "declined: free")
check("20300304T100000Z" not in fb, "TRANSP:TRANSPARENT: free")

OUT = (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\n"
       f"UID:fb-1\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300301T000000Z\r\nDTEND:20300305T000000Z\r\n"
       f"ORGANIZER:mailto:{ORG}\r\nATTENDEE:mailto:{A}\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n")
r = org.request("POST", f"/dav/calendars/{ORG}/schedule-outbox/", OUT, TC)
data = ""
if r.status == 200:
    for resp in r.xml().findall("c:response", NS):
        cd = resp.find("c:calendar-data", NS)
        data = unfold(cd.text or "") if cd is not None else ""
periods = sorted(re.findall(r"^FREEBUSY[^\r\n]*", data, re.M))
report_periods = sorted(re.findall(r"^FREEBUSY[^\r\n]*", fb, re.M))
check(r.status == 200 and periods == report_periods and len(periods) == 2,
      f"the outbox free-busy POST agrees with the REPORT: {periods} vs {report_periods}")
finish()
