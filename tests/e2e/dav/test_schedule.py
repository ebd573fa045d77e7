#!/usr/bin/python3
"""CalDAV scheduling (RFC 6638) between local users, with raw HTTP shaped after RFC 6638's
Appendix B and with python3-caldav: discovery of inbox, outbox and calendar-user-address-set
(with an alias); the organizer's PUT delivers REQUESTs to the attendees' inboxes and
calendars and marks SCHEDULE-STATUS per attendee (delivered, unknown local user, remote sent,
SCHEDULE-AGENT=CLIENT left alone); an attendee accepts by PUT with PARTSTAT (raw, with
If-Schedule-Tag-Match) or through python-caldav's accept_invite, another declines by DELETE;
the organizer's copy shows each PARTSTAT and keeps its Schedule-Tag; a stale
If-Schedule-Tag-Match gets 412; free-busy POSTed to the outbox answers per attendee; a change
of time reaches the attendees; a DELETE by the organizer cancels and removes the attendees'
copies. Bad input: 10 000 attendees, an endless SECONDLY RRULE, writes into inbox/outbox."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import hearth_test as ht
from hearth_test import NET, check, finish
from davlib import NS, Client, tag

ORG = "demo@example.test"
inst = ht.Instance(ORG, extra=["--ip4", f"{NET}.1"])
PW = {"anna@example.test": "anna-password-123", "bert@example.test": "bert-password-123"}
for u, pw in PW.items():
    inst.cli(["user", "add", u, "--password-stdin"], input=pw + "\n")
inst.cli(["alias", "add", "boss@example.test", ORG])
inst.start(wait_for="https")
PW[ORG] = inst.password


def client(user):
    return Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), user, PW[user])


org, anna, bert = client(ORG), client("anna@example.test"), client("bert@example.test")
TC = {"Content-Type": "text/calendar; charset=utf-8"}

# --- discovery (RFC 6638 §2.1-2.4, §9) ---
r = org.propfind(f"/dav/principals/{ORG}/", ["<c:schedule-inbox-URL/>", "<c:schedule-outbox-URL/>",
                                               "<c:calendar-user-address-set/>"])
props = next(iter(r.responses().values()), {})
inbox_url = props.get(tag("c", "schedule-inbox-URL"))
outbox_url = props.get(tag("c", "schedule-outbox-URL"))
inbox = inbox_url.find("d:href", NS).text if inbox_url is not None else ""
outbox = outbox_url.find("d:href", NS).text if outbox_url is not None else ""
check(inbox == f"/dav/calendars/{ORG}/schedule-inbox/" and outbox == f"/dav/calendars/{ORG}/schedule-outbox/",
      f"principal names the inbox and outbox: {inbox} {outbox}")
cuas = props.get(tag("c", "calendar-user-address-set"))
addrs = [h.text for h in cuas.findall("d:href", NS)] if cuas is not None else []
check("mailto:demo@example.test" in addrs and "mailto:boss@example.test" in addrs,
      f"calendar-user-address-set has the address and its alias: {addrs}")
r = org.propfind(inbox, ["<d:resourcetype/>", "<c:schedule-default-calendar-URL/>"])
p = next(iter(r.responses().values()), {})
rt = p.get(tag("d", "resourcetype"))
check(rt is not None and rt.find("c:schedule-inbox", NS) is not None, "the inbox is a schedule-inbox")
dflt = p.get(tag("c", "schedule-default-calendar-URL"))
check(dflt is not None and dflt.find("d:href", NS).text == f"/dav/calendars/{ORG}/personal/",
      "schedule-default-calendar-URL is the personal calendar")
r = org.propfind(f"/dav/calendars/{ORG}/personal/", ["<c:schedule-calendar-transp/>"])
p = next(iter(r.responses().values()), {})
tr = p.get(tag("c", "schedule-calendar-transp"))
check(tr is not None and tr.find("c:opaque", NS) is not None, "schedule-calendar-transp defaults to opaque")
r = org.request("OPTIONS", "/dav/", auth=False)
check("calendar-auto-schedule" in r.headers.get("dav", ""), f"DAV header: {r.headers.get('dav')}")

# --- the organizer invites (RFC 6638 B.1) ---
UID = "9263504FD3AD-e2e"
EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Corp.//CalDAV Client//EN\r\nBEGIN:VEVENT\r\n"
         f"UID:{UID}\r\nSEQUENCE:0\r\nDTSTAMP:20300602T185254Z\r\nDTSTART:{{start}}\r\nDTEND:{{end}}\r\n"
         "SUMMARY:Lunch\r\nORGANIZER;CN=\"Demo\":mailto:boss@example.test\r\n"
         "ATTENDEE;CN=\"Demo\";PARTSTAT=ACCEPTED:mailto:boss@example.test\r\n"
         "ATTENDEE;CN=\"Anna\";PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:anna@example.test\r\n"
         "ATTENDEE;CN=\"Bert\";PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:Bert@Example.test\r\n"
         "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:nobody@example.test\r\n"
         "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:carol@remote.invalid\r\n"
         "ATTENDEE;SCHEDULE-AGENT=CLIENT;PARTSTAT=NEEDS-ACTION:mailto:dave@example.test\r\n"
         "END:VEVENT\r\nEND:VCALENDAR\r\n")
ev_url = f"/dav/calendars/{ORG}/personal/lunch.ics"
r = org.request("PUT", ev_url, EVENT.format(start="20300602T160000Z", end="20300602T170000Z"), TC)
check(r.status == 201, f"organizer PUT: {r.status} {r.text[:200]}")
check("schedule-tag" in r.headers and "etag" not in r.headers,
      f"Schedule-Tag and no ETag (the server changed the body): {r.headers}")
r = org.request("GET", ev_url)
stored = r.text.replace("\r\n ", "")
tag0 = r.headers.get("schedule-tag")


def status_of(text, who):
    m = re.search(r"^ATTENDEE[^\r\n]*mailto:" + re.escape(who) + r"\r?$", text, re.M | re.I)
    line = m.group(0) if m else ""
    st = re.search(r'SCHEDULE-STATUS="?([0-9.]+)', line)
    ps = re.search(r'PARTSTAT="?([A-Z-]+)', line)
    return (st.group(1) if st else None, ps.group(1) if ps else None)


check(status_of(stored, "anna@example.test")[0] == "1.2", f"anna: delivered {status_of(stored, 'anna@example.test')}")
check(status_of(stored, "Bert@Example.test")[0] == "1.2", "bert (address in another case): delivered")
check(status_of(stored, "nobody@example.test")[0] == "3.7", "unknown local user: 3.7 invalid calendar user")
check(status_of(stored, "carol@remote.invalid")[0] == "1.1", "remote attendee: 1.1 sent by iMIP")
check(status_of(stored, "dave@example.test")[0] is None, "SCHEDULE-AGENT=CLIENT: left to the client")
check(tag0 is not None, "GET of a scheduling object carries Schedule-Tag")


def objects(c, path):
    r = c.propfind(path, ["<d:getetag/>"], depth="1")
    return [h for h in r.responses() if not h.endswith("/")]


def find_copy(c, user):
    for h in objects(c, f"/dav/calendars/{user}/personal/"):
        g = c.request("GET", h)
        if UID in g.text:
            return h, g
    return None, None


for c, user in ((anna, "anna@example.test"), (bert, "bert@example.test")):
    items = objects(c, f"/dav/calendars/{user}/schedule-inbox/")
    msgs = [c.request("GET", h).text for h in items]
    check(len(msgs) == 1 and "METHOD:REQUEST" in msgs[0] and UID in msgs[0], f"{user}: one REQUEST in the inbox")
    h, g = find_copy(c, user)
    check(h is not None and "METHOD" not in g.text, f"{user}: the event is in the default calendar")
    if g is not None:
        check(status_of(g.text.replace("\r\n ", ""), user)[1] == "NEEDS-ACTION", f"{user}: PARTSTAT NEEDS-ACTION")

# --- anna accepts by PUT with PARTSTAT and If-Schedule-Tag-Match (RFC 6638 B.3) ---
h, g = find_copy(anna, "anna@example.test")
anna_tag = g.headers.get("schedule-tag") if g else None
body = g.text.replace("\r\n ", "") if g else ""
accepted = re.sub(r"(ATTENDEE[^\r\n]*)PARTSTAT=NEEDS-ACTION([^\r\n]*mailto:anna@example.test)", r"\1PARTSTAT=ACCEPTED\2",
                  body, flags=re.I)
r = anna.request("PUT", h or "/x", accepted, dict(TC, **{"If-Schedule-Tag-Match": '"stale"'}))
check(r.status == 412, f"stale If-Schedule-Tag-Match: {r.status}")
r = anna.request("PUT", h or "/x", accepted, dict(TC, **{"If-Schedule-Tag-Match": anna_tag or '"x"'}))
check(r.status in (201, 204), f"anna accepts: {r.status} {r.text[:200]}")
g = org.request("GET", ev_url)
st = status_of(g.text.replace("\r\n ", ""), "anna@example.test")
check(st == ("2.0", "ACCEPTED"), f"organizer's copy: anna ACCEPTED, SCHEDULE-STATUS 2.0: {st}")
check(g.headers.get("schedule-tag") == tag0, "a reply does not change the organizer's Schedule-Tag")
replies = [org.request("GET", x).text for x in objects(org, inbox)]
check(any("METHOD:REPLY" in m and "anna@example.test" in m for m in replies), "the REPLY is in the organizer's inbox")

# --- bert declines by deleting his copy (RFC 6638 §3.2.2.2) ---
h, g = find_copy(bert, "bert@example.test")
r = bert.request("DELETE", h or "/x")
check(r.status == 204, f"bert deletes his copy: {r.status}")
g = org.request("GET", ev_url)
check(status_of(g.text.replace("\r\n ", ""), "Bert@Example.test")[1] == "DECLINED", "organizer's copy: bert DECLINED")

# --- free-busy by POST to the outbox (RFC 6638 B.5) ---
FB = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Corp.//CalDAV Client//EN\r\nMETHOD:REQUEST\r\n"
      "BEGIN:VFREEBUSY\r\nUID:4FD3AD926350\r\nDTSTAMP:20300602T190420Z\r\nDTSTART:20300602T000000Z\r\n"
      "DTEND:20300604T000000Z\r\nORGANIZER;CN=\"Demo\":mailto:{org}\r\n"
      "ATTENDEE:mailto:anna@example.test\r\nATTENDEE:mailto:nobody@example.test\r\n"
      "ATTENDEE:mailto:carol@remote.invalid\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n")
r = org.request("POST", outbox, FB.format(org=ORG), TC)
check(r.status == 200, f"free-busy POST: {r.status} {r.text[:200]}")
answers = {}
if r.status == 200:
    for resp in r.xml().findall("c:response", NS):
        who = resp.find("c:recipient/d:href", NS).text
        answers[who] = (resp.find("c:request-status", NS).text, (resp.find("c:calendar-data", NS).text or "")
                        if resp.find("c:calendar-data", NS) is not None else "")
a = answers.get("mailto:anna@example.test", ("", ""))
check(a[0].startswith("2.0") and "FREEBUSY:20300602T160000Z/20300602T170000Z" in a[1] and "METHOD:REPLY" in a[1],
      f"anna's busy time: {a}")
check(answers.get("mailto:nobody@example.test", ("",))[0].startswith("3.7"), "unknown local user: 3.7")
check(answers.get("mailto:carol@remote.invalid", ("",))[0].startswith("5.3"), "remote user: 5.3")
r = anna.request("POST", "/dav/calendars/anna@example.test/schedule-outbox/", FB.format(org=ORG), TC)
check(r.status == 403 and "organizer-allowed" in r.text, f"POST as someone else's organizer: {r.status}")

# --- python3-caldav: discovery, the inbox, accept_invite ---
import caldav  # noqa: E402  (Debian's python3-caldav)

url = f"https://{inst.hostname}:{inst.port('https')}/dav/"
# python-caldav connects by name: map the name to our address for this process.
import socket  # noqa: E402
_orig = socket.getaddrinfo
socket.getaddrinfo = lambda host, *a, **k: _orig(inst.addr if host == inst.hostname else host, *a, **k)
UID2 = "pycaldav-accept-e2e"
# bert's setting: invitations stay in his inbox (schedule-default-calendar-URL set empty).
binbox = "/dav/calendars/bert@example.test/schedule-inbox/"
r = bert.request("PROPPATCH", binbox, '<d:propertyupdate xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
                 '<d:set><d:prop><c:schedule-default-calendar-URL/></d:prop></d:set></d:propertyupdate>')
check(r.status == 207 and "200 OK" in r.text, f"bert empties schedule-default-calendar-URL: {r.status}")
r = org.request("PUT", f"/dav/calendars/{ORG}/personal/second.ics",
                EVENT.replace(UID, UID2).format(start="20300605T100000Z", end="20300605T110000Z"), TC)
check(r.status == 201, f"second invitation: {r.status}")
bmsgs = [bert.request("GET", x).text for x in objects(bert, binbox)]
check(any(UID2 in m and "METHOD:REQUEST" in m for m in bmsgs), "bert's inbox has the second invitation")
bcopy = [h for h in objects(bert, "/dav/calendars/bert@example.test/personal/")
         if UID2 in bert.request("GET", h).text]
check(bcopy == [], "but his calendar does not (his setting)")
try:
    dc = caldav.DAVClient(url, username="anna@example.test", password=PW["anna@example.test"],
                          ssl_verify_cert=inst.ca_file())
    principal = dc.principal()
    check("mailto:anna@example.test" in principal.calendar_user_address_set(), "python-caldav: address set")
    invites = [i for i in principal.schedule_inbox().get_items() if UID2 in i.data]
    check(len(invites) == 1 and invites[0].is_invite_request(), "python-caldav: the invitation in the inbox")
    if invites:
        invites[0].accept_invite(principal.calendars()[0])
    g = org.request("GET", f"/dav/calendars/{ORG}/personal/second.ics")
    check(status_of(g.text.replace("\r\n ", ""), "anna@example.test")[1] == "ACCEPTED",
          "python-caldav accept_invite: anna ACCEPTED in the organizer's copy")
except Exception as e:  # a client exception is a failure of this test, with its reason
    check(False, f"python-caldav: {e!r}")

# --- anna's answers in her free-busy: unanswered is BUSY-TENTATIVE, declined is free ---
UID3 = "unanswered-e2e"
r = org.request("PUT", f"/dav/calendars/{ORG}/personal/third.ics",
                EVENT.replace(UID, UID3).format(start="20300606T100000Z", end="20300606T110000Z"), TC)
check(r.status == 201, f"third invitation: {r.status}")


def anna_busy():
    r = org.request("POST", outbox, FB.format(org=ORG).replace("20300602T000000Z", "20300605T000000Z")
                    .replace("20300604T000000Z", "20300607T000000Z"), TC)
    for resp in (r.xml().findall("c:response", NS) if r.status == 200 else []):
        if resp.find("c:recipient/d:href", NS).text == "mailto:anna@example.test":
            return (resp.find("c:calendar-data", NS).text or "").replace("\r\n ", "")
    return ""


fb = anna_busy()
check("FREEBUSY:20300605T100000Z/20300605T110000Z" in fb, f"accepted (python-caldav): BUSY {fb!r}")
check("FREEBUSY;FBTYPE=BUSY-TENTATIVE:20300606T100000Z/20300606T110000Z" in fb, "unanswered: BUSY-TENTATIVE")
h, g = None, None
for x in objects(anna, "/dav/calendars/anna@example.test/personal/"):
    t = anna.request("GET", x).text.replace("\r\n ", "")
    if UID3 in t:
        h, g = x, t
declined = re.sub(r"(ATTENDEE[^\r\n]*)PARTSTAT=NEEDS-ACTION([^\r\n]*mailto:anna@example.test)", r"\1PARTSTAT=DECLINED\2",
                  g or "", flags=re.I)
check(anna.request("PUT", h or "/x", declined, TC).status == 204, "anna declines the third by PUT")
fb = anna_busy()
check("20300606T100000Z" not in fb and "20300605T100000Z" in fb, f"declined: free again {fb!r}")

# --- a new time reaches the attendees; then the organizer cancels ---
r = org.request("PUT", ev_url, EVENT.replace("SEQUENCE:0", "SEQUENCE:1").format(start="20300602T180000Z",
                                                                                   end="20300602T190000Z"), TC)
check(r.status == 204, f"organizer moves the meeting: {r.status}")
h, g = find_copy(anna, "anna@example.test")
check(g is not None and "DTSTART:20300602T180000Z" in g.text, "anna's copy has the new time")
r = org.request("DELETE", ev_url)
check(r.status == 204, f"organizer deletes: {r.status}")
h, g = find_copy(anna, "anna@example.test")
check(h is None, "the cancelled event left anna's calendar")
msgs = [anna.request("GET", x).text for x in objects(anna, "/dav/calendars/anna@example.test/schedule-inbox/")]
check(any("METHOD:CANCEL" in m and UID in m for m in msgs), "anna's inbox has the CANCEL")

# --- bad input ---
many = "".join(f"ATTENDEE:mailto:u{i}@example.test\r\n" for i in range(10000))
big = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:bomb\r\nDTSTAMP:20300101T000000Z\r\n"
       "DTSTART:20300101T100000Z\r\nORGANIZER:mailto:demo@example.test\r\n" + many + "END:VEVENT\r\nEND:VCALENDAR\r\n")
t0 = time.monotonic()
r = org.request("PUT", f"/dav/calendars/{ORG}/personal/bomb.ics", big, TC)
check(r.status == 403 and "max-attendees-per-instance" in r.text, f"10 000 attendees: {r.status} {r.text[:120]}")
check(org.request("GET", f"/dav/calendars/{ORG}/personal/bomb.ics").status == 404, "nothing stored")
endless = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:endless\r\n"
           "DTSTAMP:20300101T000000Z\r\nDTSTART:20300101T100000Z\r\nDURATION:PT1S\r\nRRULE:FREQ=SECONDLY\r\n"
           "ORGANIZER:mailto:demo@example.test\r\nATTENDEE:mailto:anna@example.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
r = org.request("PUT", f"/dav/calendars/{ORG}/personal/endless.ics", endless, TC)
check(r.status == 201, f"endless SECONDLY invitation stored: {r.status}")
r = org.request("POST", outbox, FB.format(org=ORG).replace("20300604T000000Z", "20310101T000000Z")
                .replace("20300602T000000Z", "20300101T000000Z"), TC)
check(r.status == 200 and "2.0;Success" in r.text, f"free-busy over the endless rule answers: {r.status}")
r = anna.request("PUT", "/dav/calendars/anna@example.test/schedule-inbox/x.ics", endless, TC)
check(r.status == 403, f"PUT into the inbox: {r.status}")
r = org.request("PUT", outbox + "x.ics", endless, TC)
check(r.status == 403, f"PUT into the outbox: {r.status}")
check(org.request("DELETE", inbox).status == 403, "the inbox cannot be deleted")
r = org.request("POST", outbox, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", TC)
check(r.status == 403 and "valid-scheduling-message" in r.text, f"POST of garbage: {r.status}")
finish()
