#!/usr/bin/python3
"""Shared calendars and address books in DAVx5's request order, over raw HTTP.

alice shares her calendar read-write with bob by CalendarServer's POST (CS:share), her address
book read-only by the ACL method (RFC 3744 §8.1), and a second calendar through the CLI. bob,
discovering as DAVx5 does (current-user-principal, home sets, Depth 1 PROPFIND of each home),
finds them in his own homes with the privileges DAVx5 reads; his writes reach alice with a new
sync token and hers reach him; the read-only book refuses PUT and DELETE with 403. The leak
checks: bob cannot re-share, change properties, reach alice's other collections or paths, and
carol (no share) sees nothing of alice's; the ACL and the sharee list are alice's to read."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import hearth_test as ht
from davlib import NS, Client, href_in, tag
from hearth_test import NET, check, finish

ALICE, BOB, CAROL = "alice@example.test", "bob@example.test", "carol@example.test"
inst = ht.Instance(ALICE, extra=["--ip4", f"{NET}.1"])
PW = {ALICE: inst.password, BOB: "bob-password-123", CAROL: "carol-password-123"}
for u in (BOB, CAROL):
    inst.cli(["user", "add", u, "--password-stdin"], input=PW[u] + "\n")
inst.start(wait_for="https")


def client(u):
    return Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), u, PW[u])


alice, bob, carol = client(ALICE), client(BOB), client(CAROL)
A_CAL, A_BOOK = f"/dav/calendars/{ALICE}/personal/", f"/dav/addressbooks/{ALICE}/contacts/"
B_CAL, B_BOOK = f"/dav/calendars/{BOB}/{ALICE}~personal/", f"/dav/addressbooks/{BOB}/{ALICE}~contacts/"
XML = {"Content-Type": "application/xml; charset=utf-8"}
TC, TV = {"Content-Type": "text/calendar; charset=utf-8"}, {"Content-Type": "text/vcard; charset=utf-8"}
D = 'xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"'

# --- alice shares -----------------------------------------------------------------------------
r = alice.request("OPTIONS", A_CAL)
check("calendarserver-sharing" in r.headers.get("dav", ""), "OPTIONS: DAV header announces calendarserver-sharing")
r = alice.propfind(A_CAL, ["<cs:allowed-sharing-modes/>", "<d:share-access/>"])
p = r.responses().get(A_CAL, {})
check(p.get(tag("cs", "allowed-sharing-modes")) is not None and p[tag("cs", "allowed-sharing-modes")].find("cs:can-be-shared", NS)
      is not None, "owner's calendar: CS:allowed-sharing-modes can-be-shared")
check(p.get(tag("d", "share-access")) is not None and p[tag("d", "share-access")].find("d:not-shared", NS) is not None,
      "before sharing: DAV:share-access not-shared")
r = alice.request("POST", A_CAL, f'<CS:share {D}><CS:set><D:href>mailto:{BOB}</D:href><CS:summary>family</CS:summary>'
                  '<CS:read-write/></CS:set></CS:share>', XML)
check(r.status == 200, f"POST CS:share read-write to bob: {r.status}")
# A client's share is an invitation (CalendarServer's flow): bob accepts it, as DAVx5 and Apple
# Calendar do, from his notification collection.
check(bob.propfind(B_CAL, ["<d:displayname/>"]).status == 404, "until bob accepts, the calendar is not in his home")
r = bob.propfind(f"/dav/principals/{BOB}/", ["<cs:notification-URL/>"])
notif = href_in(r.responses().get(f"/dav/principals/{BOB}/", {}).get(tag("cs", "notification-URL")))
r = bob.propfind(notif or "/x", ["<d:resourcetype/>", "<cs:notificationtype/>"], depth="1")
items = [h for h, p in r.responses().items() if not h.endswith("/")]
check(r.status == 207 and len(items) == 1, f"bob's notification collection has the invitation: {r.status} {items}")
g = bob.request("GET", items[0] if items else "/x")
x = g.xml() if g.status == 200 else None
uid = x.find(".//cs:invite-notification/cs:uid", NS).text if x is not None else ""
check(x is not None and href_in(x.find(".//cs:hosturl", NS)) == A_CAL and x.find(".//cs:read-write", NS) is not None,
      f"the invite-notification names alice's calendar, read-write: {g.status}")
r = bob.request("POST", f"/dav/calendars/{BOB}/", f'<CS:invite-reply {D}><D:href>mailto:{BOB}</D:href><CS:invite-accepted/>'
                f'<CS:hosturl><D:href>{A_CAL}</D:href></CS:hosturl><CS:in-reply-to>{uid}</CS:in-reply-to></CS:invite-reply>', XML)
check(r.status == 200 and href_in(r.xml()) == B_CAL, f"bob accepts (invite-reply): shared-as {r.status} {r.text[:200]}")
check(bob.propfind(notif or "/x", ["<d:resourcetype/>"], depth="1").text.count(".xml") == 0,
      "the answered invitation left his notifications")
r = alice.request("POST", A_CAL, f'<CS:share {D}><CS:set><D:href>mailto:nobody@example.test</D:href><CS:read/></CS:set>'
                  '</CS:share>', XML)
check(r.status == 403 and b"recognized-principal" in r.body, "sharing with an unknown account: 403 recognized-principal")
r = alice.request("POST", A_CAL, f'<CS:share {D}><CS:set><D:href>mailto:{BOB}</D:href></CS:set></CS:share>', XML)
check(r.status == 400, "CS:share without an access level: 400")
ACL = (f'<D:acl xmlns:D="DAV:"><D:ace><D:principal><D:href>/dav/principals/{BOB}/</D:href></D:principal>'
       '<D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace></D:acl>')
r = alice.request("ACL", A_BOOK, ACL, XML)
check(r.status == 200, f"ACL grants bob read on the address book: {r.status}")
r = alice.request("ACL", A_BOOK, '<D:acl xmlns:D="DAV:"><D:ace><D:principal><D:all/></D:principal><D:grant><D:privilege>'
                  '<D:read/></D:privilege></D:grant></D:ace></D:acl>', XML)
check(r.status == 403 and b"allowed-principal" in r.body, "ACL to DAV:all: 403 allowed-principal")
r = alice.request("ACL", A_BOOK, f'<D:acl xmlns:D="DAV:"><D:ace><D:principal><D:href>mailto:{BOB}</D:href></D:principal>'
                  '<D:deny><D:privilege><D:read/></D:privilege></D:deny></D:ace></D:acl>', XML)
check(r.status == 403 and b"grant-only" in r.body, "ACL deny: 403 grant-only")
r = alice.propfind(A_BOOK, ["<d:acl/>", "<cs:invite/>"])
p = r.responses().get(A_BOOK, {})
aces = p.get(tag("d", "acl"))
principals = [href_in(a.find("d:principal", NS)) for a in aces] if aces is not None else []
check(principals == [f"/dav/principals/{ALICE}/", f"/dav/principals/{BOB}/"], f"acl property for the owner: {principals}")
bob_ace = aces[1] if aces is not None and len(aces) > 1 else None
check(bob_ace is not None and [x[0].tag for x in bob_ace.find("d:grant", NS)] == [tag("d", "read")], "bob's ACE grants read only")
users = [href_in(u) for u in p[tag("cs", "invite")].findall("cs:user", NS)] if tag("cs", "invite") in p else []
check(users == [f"mailto:{BOB}"], f"CS:invite lists bob: {users}")
inst.cli(["user", "add", "dave@example.test", "--password-stdin"], input="dave-password-123\n")
r = alice.request("MKCALENDAR", f"/dav/calendars/{ALICE}/work/")
check(r.status == 201, "alice makes a second calendar")
cp = inst.cli(["share", "calendar", f"{ALICE}/work", BOB, "read"], check_rc=False)
check(cp.returncode == 0 and f"as {ALICE}~work" in cp.stdout, f"CLI: share calendar read: {cp.stdout.strip()}")
cp = inst.cli(["share", "calendar", f"{ALICE}/nonesuch", BOB, "read"], check_rc=False)
check(cp.returncode == 1 and "no such calendar" in cp.stderr, "CLI: unknown collection refused")
cp = inst.cli(["share", "calendar", f"{ALICE}/work", "ghost@example.test", "read"], check_rc=False)
check(cp.returncode == 1 and "no such account" in cp.stderr, "CLI: unknown sharee refused")
cp = inst.cli(["share", "list", ALICE])
want = {f"calendar {ALICE}/personal {BOB} write as {ALICE}~personal", f"calendar {ALICE}/work {BOB} read as {ALICE}~work",
        f"addressbook {ALICE}/contacts {BOB} read as {ALICE}~contacts"}
check(set(cp.stdout.strip().splitlines()) == want, f"CLI: share list\n{cp.stdout}")

# --- bob discovers as DAVx5 does ---------------------------------------------------------------
r = bob.propfind("/.well-known/caldav", ["<d:current-user-principal/>"])
principal = next((href_in(v.get(tag("d", "current-user-principal"))) for v in r.responses().values()), None)
check(principal == f"/dav/principals/{BOB}/", f"bob's current-user-principal {principal}")
r = bob.propfind(principal, ["<c:calendar-home-set/>", "<card:addressbook-home-set/>"])
pr = r.responses().get(principal, {})
cal_home, ab_home = href_in(pr.get(tag("c", "calendar-home-set"))), href_in(pr.get(tag("card", "addressbook-home-set")))
check(cal_home == f"/dav/calendars/{BOB}/" and ab_home == f"/dav/addressbooks/{BOB}/", "bob's home sets are his own")
CAL_PROPS = ["<d:resourcetype/>", "<d:displayname/>", "<d:current-user-privilege-set/>", "<d:owner/>",
             "<ical:calendar-color/>", "<c:supported-calendar-component-set/>", "<d:supported-report-set/>",
             "<cs:getctag/>", "<d:sync-token/>", "<d:share-access/>", "<cs:invite/>"]


def privs(p):
    return {x[0].tag.split("}")[1] for x in p.get(tag("d", "current-user-privilege-set"), [])}


r = bob.propfind(cal_home, CAL_PROPS, depth="1")
cals = {h: p for h, p in r.responses().items() if p.get(tag("d", "resourcetype")) is not None
        and p[tag("d", "resourcetype")].find("c:calendar", NS) is not None}
B_WORK = f"/dav/calendars/{BOB}/{ALICE}~work/"
check(sorted(cals) == sorted([f"/dav/calendars/{BOB}/personal/", B_CAL, B_WORK]), f"bob's calendar home: {sorted(cals)}")
sp = cals.get(B_CAL, {})
check({"read", "write-content", "bind", "unbind"} <= privs(sp) and "all" not in privs(sp) and "write-properties" not in privs(sp),
      f"read-write share: privileges {sorted(privs(sp))}")
check(privs(cals.get(B_WORK, {})) == {"read", "read-current-user-privilege-set"},
      f"read share: privileges {sorted(privs(cals.get(B_WORK, {})))}")
check(href_in(sp.get(tag("d", "owner"))) == f"/dav/principals/{ALICE}/", "shared calendar: owner is alice")
check(sp.get(tag("d", "displayname")) is not None and sp[tag("d", "displayname")].text == "Personal", "shared calendar: displayname")
check(sp.get(tag("d", "share-access")) is not None and sp[tag("d", "share-access")].find("d:read-write", NS) is not None,
      "shared calendar: DAV:share-access read-write")
inv = sp.get(tag("cs", "invite"))
check(inv is not None and [href_in(u) for u in inv.findall("cs:user", NS)] == [f"mailto:{BOB}"],
      "the sharee's CS:invite shows only their own entry")
check(privs(cals.get(f"/dav/calendars/{BOB}/personal/", {})) >= {"all", "write"}, "bob's own calendar: all privileges")
r = bob.propfind(ab_home, ["<d:resourcetype/>", "<d:current-user-privilege-set/>", "<d:sync-token/>"], depth="1")
books = r.responses()
check(B_BOOK in books and privs(books[B_BOOK]) == {"read", "read-current-user-privilege-set"},
      f"shared address book in bob's home, read-only: {sorted(books)}")
r = bob.propfind(B_BOOK, ["<d:acl/>"])
check(tag("d", "acl") in r.responses().get(B_BOOK, {}).get("missing", []), "the sharee cannot read the ACL")

# --- writes both ways ---------------------------------------------------------------------------
EV = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//share//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20300101T000000Z\r\n"
      "DTSTART:20300601T090000Z\r\nDTEND:20300601T100000Z\r\n{extra}SUMMARY:{s}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def token(c, path):
    r = c.propfind(path, ["<d:sync-token/>"])
    t = r.responses().get(path, {}).get(tag("d", "sync-token"))
    return t.text if t is not None else None


def sync(c, path, tok):
    r = c.report(path, f'<d:sync-collection xmlns:d="DAV:"><d:sync-token>{tok}</d:sync-token><d:sync-level>1</d:sync-level>'
                       '<d:prop><d:getetag/></d:prop></d:sync-collection>')
    return r.status, sorted(r.responses()) if r.status == 207 else []


a_tok, b_tok = token(alice, A_CAL), token(bob, B_CAL)
check(a_tok is not None and a_tok == b_tok, "owner and sharee see one sync token")
r = bob.request("PUT", B_CAL + "from-bob.ics", EV.format(uid="from-bob", s="by bob", extra=""), {**TC, "If-None-Match": "*"})
check(r.status == 201, f"bob PUTs into the read-write share: {r.status}")
st, changed = sync(alice, A_CAL, a_tok)
check(st == 207 and changed == [A_CAL + "from-bob.ics"], f"alice's sync-collection shows bob's event: {changed}")
r = alice.request("GET", A_CAL + "from-bob.ics")
check(r.status == 200 and "by bob" in r.text, "alice reads bob's event")
r = alice.request("PUT", A_CAL + "from-alice.ics", EV.format(uid="from-alice", s="by alice", extra=""), TC)
check(r.status == 201, "alice adds an event")
st, changed = sync(bob, B_CAL, b_tok)
check(st == 207 and changed == sorted([B_CAL + "from-bob.ics", B_CAL + "from-alice.ics"]),
      f"bob's sync-collection shows both, under his own URLs: {changed}")
r = bob.request("DELETE", B_CAL + "from-alice.ics")
check(r.status == 204 and alice.request("GET", A_CAL + "from-alice.ics").status == 404, "bob deletes in the read-write share")

# RFC 4791 §9.6.6 on a shared calendar: limit-recurrence-set keeps the master and the overrides in range.
REC = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//share//EN\r\nBEGIN:VEVENT\r\nUID:rec\r\nDTSTAMP:20300101T000000Z\r\n"
       "DTSTART:20300107T090000Z\r\nDTEND:20300107T100000Z\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\nSUMMARY:weekly\r\nEND:VEVENT\r\n"
       "BEGIN:VEVENT\r\nUID:rec\r\nDTSTAMP:20300101T000000Z\r\nRECURRENCE-ID:20300114T090000Z\r\nDTSTART:20300114T120000Z\r\n"
       "DTEND:20300114T130000Z\r\nSUMMARY:moved jan\r\nEND:VEVENT\r\n"
       "BEGIN:VEVENT\r\nUID:rec\r\nDTSTAMP:20300101T000000Z\r\nRECURRENCE-ID:20300304T090000Z\r\nDTSTART:20300304T120000Z\r\n"
       "DTEND:20300304T130000Z\r\nSUMMARY:moved mar\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
check(alice.request("PUT", A_CAL + "rec.ics", REC, TC).status == 201, "alice adds a recurring event with two overrides")
r = bob.report(B_CAL, f'<c:calendar-multiget xmlns:d="DAV:" xmlns:c="{NS["c"]}"><d:prop><c:calendar-data>'
                      '<c:limit-recurrence-set start="20300301T000000Z" end="20300401T000000Z"/></c:calendar-data></d:prop>'
                      f'<d:href>{B_CAL}rec.ics</d:href></c:calendar-multiget>')
data = r.responses().get(B_CAL + "rec.ics", {}).get(tag("c", "calendar-data"))
text = data.text if data is not None else ""
check("moved mar" in text and "weekly" in text and "moved jan" not in text,
      "limit-recurrence-set through the share: the master and March's override only")

CARD = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:{fn}\r\nBDAY:19800704\r\nEND:VCARD\r\n"
check(alice.request("PUT", A_BOOK + "ann.vcf", CARD.format(uid="ann", fn="Ann"), TV).status == 201, "alice adds a contact")
r = bob.request("GET", B_BOOK + "ann.vcf")
check(r.status == 200 and "FN:Ann" in r.text, "bob reads the shared contact")
r = bob.request("PUT", B_BOOK + "bob.vcf", CARD.format(uid="bobs", fn="Bob's"), TV)
check(r.status == 403 and b"need-privileges" in r.body, f"read-only share: PUT 403 need-privileges ({r.status})")
r = bob.request("PUT", B_BOOK + "ann.vcf", CARD.format(uid="ann", fn="Changed"), TV)
check(r.status == 403, "read-only share: PUT over an existing contact 403")
check(bob.request("DELETE", B_BOOK + "ann.vcf").status == 403, "read-only share: DELETE 403")
check(alice.request("GET", A_BOOK + "ann.vcf").text.find("FN:Ann") >= 0, "alice's contact unchanged")
r = bob.request("PUT", B_WORK + "x.ics", EV.format(uid="x", s="x", extra=""), TC)
check(r.status == 403, "read-only calendar share: PUT 403")
# The birthday calendars: bob's are made from his own contacts, not from shared ones.
r = bob.propfind(f"/dav/calendars/{BOB}/contact-birthdays/", ["<d:getetag/>"], depth="1")
check(r.status == 404 or not [h for h in r.responses() if h.endswith(".ics")], "bob's birthday calendar has no shared contacts")
r = alice.propfind(f"/dav/calendars/{ALICE}/contact-birthdays/", ["<d:getetag/>"], depth="1")
check(r.status == 207 and len([h for h in r.responses() if h.endswith(".ics")]) == 1, "alice's birthday calendar has Ann")

# --- what a sharee must not do ------------------------------------------------------------------
r = bob.request("POST", B_CAL, f'<CS:share {D}><CS:set><D:href>mailto:{CAROL}</D:href><CS:read/></CS:set></CS:share>', XML)
check(r.status == 403, f"bob cannot re-share by POST: {r.status}")
r = bob.request("ACL", B_CAL, ACL.replace(BOB, CAROL), XML)
check(r.status == 403, f"bob cannot re-share by ACL: {r.status}")
r = bob.request("PROPPATCH", B_CAL, '<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>Mine</d:displayname>'
                '</d:prop></d:set></d:propertyupdate>', XML)
check(r.status == 403, "bob cannot change the shared calendar's properties")
r = bob.request("MOVE", B_CAL, headers={"Destination": f"/dav/calendars/{BOB}/stolen/"})
check(r.status == 403, "bob cannot move the shared calendar into his own")
bob.request("PUT", f"/dav/calendars/{BOB}/personal/own.ics", EV.format(uid="own", s="own", extra=""), TC)
r = bob.request("COPY", f"/dav/calendars/{BOB}/personal/own.ics", headers={"Destination": B_WORK + "own.ics"})
check(r.status == 403 and alice.request("GET", f"/dav/calendars/{ALICE}/work/own.ics").status == 404,
      "COPY into a read-only share: 403")
for path in (f"/dav/calendars/{ALICE}/personal/", f"/dav/calendars/{ALICE}/personal/from-bob.ics", f"/dav/calendars/{ALICE}/",
             f"/dav/principals/{ALICE}/", f"/dav/calendars/{BOB}/{ALICE}~contact-birthdays/",
             f"/dav/addressbooks/{BOB}/{ALICE}~personal/", f"/dav/calendars/{BOB}/{ALICE}~contacts/"):
    r = bob.propfind(path, ["<d:displayname/>"])
    check(r.status == 404, f"bob: {path} is 404")
for c, who in ((carol, CAROL),):
    r = c.propfind(f"/dav/calendars/{who}/", ["<d:displayname/>"], depth="1")
    check(r.status == 207 and ALICE not in r.text, "carol's home shows nothing of alice's")
    for path in (f"/dav/calendars/{who}/{ALICE}~personal/", A_CAL):
        check(c.propfind(path, ["<d:displayname/>"]).status == 404, f"carol: {path} is 404")
check(bob.request("MKCALENDAR", B_CAL).status == 403, "MKCALENDAR over a shared collection: 403")

# --- changes of access --------------------------------------------------------------------------
r = alice.request("POST", A_CAL, f'<D:share-resource {D}><D:sharee><D:href>/dav/principals/{BOB}/</D:href><D:share-access>'
                  '<D:read/></D:share-access></D:sharee></D:share-resource>', XML)
check(r.status == 200, "DAV:share-resource downgrades bob to read")
r = bob.request("PUT", B_CAL + "late.ics", EV.format(uid="late", s="late", extra=""), TC)
check(r.status == 403, "after the downgrade bob's PUT is 403")
check(alice.request("ACL", A_BOOK, '<D:acl xmlns:D="DAV:"/>', XML).status == 200, "an empty ACL revokes the book share")
check(bob.propfind(B_BOOK, ["<d:displayname/>"]).status == 404, "revoked: the book is gone from bob's home")
check(bob.request("DELETE", B_WORK).status == 204, "bob removes the work calendar from his home (leaves the share)")
check(alice.propfind(f"/dav/calendars/{ALICE}/work/", ["<d:displayname/>"]).status == 207, "alice's work calendar stays")
cp = inst.cli(["share", "list", BOB])
check(cp.stdout.strip() == f"calendar {ALICE}/personal {BOB} read as {ALICE}~personal", f"CLI list after changes: {cp.stdout}")
cp = inst.cli(["share", "calendar", f"{ALICE}/personal", BOB, "none"])
check(bob.propfind(B_CAL, ["<d:displayname/>"]).status == 404, "CLI none: the calendar is gone from bob's home")
check(alice.request("DELETE", f"/dav/calendars/{ALICE}/work/").status == 204, "alice deletes her work calendar")
inst.cli(["share", "calendar", f"{ALICE}/personal", CAROL, "read"])
check(alice.request("DELETE", A_CAL).status == 204 and alice.request("MKCALENDAR", A_CAL).status == 201,
      "alice deletes and remakes 'personal'")
check(carol.propfind(f"/dav/calendars/{CAROL}/{ALICE}~personal/", ["<d:displayname/>"]).status == 404,
      "a share does not follow the name to a new collection")
inst.stop()
finish()
