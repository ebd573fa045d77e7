"""Sharing a calendar the CalendarServer way, then Thunderbird (headless) on it.

alice shares her "family" calendar with bob by CS:share (raw HTTP from caldav-sharing.txt, as
Apple Calendar sends it): an invitation. bob finds it through his principal's
CS:notification-URL (an invite-notification resource naming alice's calendar); until he
answers it is not in his home. An answer to another invitation id is refused; a decline (by
invite-reply, or by deleting the notification) keeps it out and alice's CS:invite says so; a
new invitation has a new id; bob accepts with invite-reply and gets the URL it is shared as.
bob's Thunderbird, subscribed to that URL, shows alice's event, is not read-only (it read the
sharee's privileges), and its add, modify and delete reach alice's calendar, each with a new
sync token for her; a second calendar, shared read-only with `hearth share`, is read-only in
Thunderbird while the first is not. No 4xx/5xx (other than Basic auth's first 401) in Thunderbird's HTTP log,
so every request its CalDAV provider makes on the shared calendar is answered."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dav"))
from davlib import NS, Client  # noqa: E402
from hearth_test import Instance, check, finish  # noqa: E402
from tblib import Thunderbird, show_on_failure, wait_for  # noqa: E402

BOB, ALICE = "bob@example.test", "alice@example.test"
inst = Instance(BOB)
inst.cli(["user", "add", ALICE, "--password-stdin"], input="alice-password-123\n")
inst.start(wait_for="https")
alice = Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), ALICE, "alice-password-123")
bob = Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), BOB, inst.password)
TC = {"Content-Type": "text/calendar; charset=utf-8"}
A_CAL = f"/dav/calendars/{ALICE}/family/"
r = alice.request("MKCALENDAR", A_CAL, '<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
                  '<d:set><d:prop><d:displayname>Family</d:displayname></d:prop></d:set></c:mkcalendar>')
check(r.status == 201, f"alice makes her family calendar: {r.status}")
bob.propfind(f"/dav/calendars/{BOB}/", ["<d:displayname/>"], depth="1")  # bob's home exists
MOUNT = f"/dav/calendars/{BOB}/{ALICE}~family/"
XML = {"Content-Type": "application/xml; charset=utf-8"}
D = 'xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"'
SHARE = (f'<CS:share {D}><CS:set><D:href>mailto:{BOB}</D:href><CS:summary>Family</CS:summary><CS:read-write/></CS:set>'
         '</CS:share>')


def invite_state():
    r = alice.propfind(A_CAL, ["<cs:invite/>"])
    for u in r.xml().iter(f"{{{NS['cs']}}}user") if r.status == 207 else []:
        return [c.tag.split("}")[1] for c in u if c.tag.split("}")[1].startswith("invite-")]
    return []


def notifications():
    r = bob.propfind(f"/dav/principals/{BOB}/", ["<cs:notification-URL/>"])
    n = r.xml().find(".//cs:notification-URL/d:href", NS) if r.status == 207 else None
    url = n.text if n is not None else "/dav/none/"
    r = bob.propfind(url, ["<d:resourcetype/>", "<cs:notificationtype/>"], depth="1")
    out = {}
    for resp in r.xml().findall("d:response", NS) if r.status == 207 else []:
        h = resp.find("d:href", NS).text
        if not h.endswith("/"):
            out[h] = resp.find(".//cs:notificationtype/cs:invite-notification", NS) is not None
    return url, out


def reply(uid, accept):
    return bob.request("POST", f"/dav/calendars/{BOB}/",
                       f'<CS:invite-reply {D}><D:href>mailto:{BOB}</D:href>'
                       f'{"<CS:invite-accepted/>" if accept else "<CS:invite-declined/>"}'
                       f'<CS:hosturl><D:href>{A_CAL}</D:href></CS:hosturl><CS:in-reply-to>{uid}</CS:in-reply-to>'
                       '<CS:summary>Family</CS:summary></CS:invite-reply>', XML)


def pending_uid():
    _, items = notifications()
    for h in items:
        g = bob.request("GET", h)
        if g.status == 200:
            u = g.xml().find(".//cs:invite-notification/cs:uid", NS)
            host = g.xml().find(".//cs:hosturl/d:href", NS)
            if u is not None and host is not None and host.text == A_CAL:
                return h, u.text
    return None, None


r = alice.request("POST", A_CAL, SHARE, XML)
check(r.status == 200, f"alice shares by CS:share: {r.status}")
check(invite_state() == ["invite-noresponse"], f"alice's CS:invite: bob has not answered: {invite_state()}")
check(bob.propfind(MOUNT, ["<d:resourcetype/>"]).status == 404, "not in bob's home before he answers")
url, items = notifications()
check(url == f"/dav/calendars/{BOB}/notifications/" and list(items.values()) == [True],
      f"bob's notification collection has one invite-notification: {url} {items}")
h1, uid1 = pending_uid()
check(uid1 is not None, "the notification names alice's calendar and the invitation's uid")
r = reply("not-" + (uid1 or ""), True)
check(r.status == 403, f"an answer to another invitation: {r.status}")
r = reply(uid1, False)
check(r.status == 204, f"bob declines: {r.status}")
check(notifications()[1] == {} and bob.propfind(MOUNT, ["<d:resourcetype/>"]).status == 404,
      "declined: no notification left, nothing in his home")
check(invite_state() == ["invite-declined"], f"alice's CS:invite: declined {invite_state()}")
check(reply(uid1, True).status == 403, "an invitation declined cannot be accepted later by its old id")
check(alice.request("POST", A_CAL, SHARE, XML).status == 200, "alice invites again")
h2, uid2 = pending_uid()
check(uid2 is not None and uid2 != uid1, "a new invitation has a new id")
check(bob.request("DELETE", h2 or "/x").status == 204 and notifications()[1] == {}, "deleting the notification declines it")
check(alice.request("POST", A_CAL, SHARE, XML).status == 200, "alice invites a third time")
h3, uid3 = pending_uid()
r = reply(uid3, True)
got = r.xml().find("d:href", NS) if r.status == 200 else None
check(got is not None and got.text == MOUNT, f"bob accepts: shared-as {got.text if got is not None else r.status}")
check(invite_state() == ["invite-accepted"], f"alice's CS:invite: accepted {invite_state()}")
check(bob.propfind(MOUNT, ["<d:resourcetype/>"]).status == 207, f"the share is in bob's home at {MOUNT}")
now = time.strftime("%Y%m%dT%H0000Z", time.gmtime())


def vevent(uid, summary):
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{now}\r\nDURATION:PT1H\r\n"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\n")


def vcal(body):
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hearth-e2e//EN\r\n" + body + "END:VCALENDAR\r\n"


r = alice.request("PUT", A_CAL + "dinner.ics", vcal(vevent("shared-dinner", "Dinner at grandma's")), TC)
check(r.status == 201, f"alice's event: {r.status}")
SYNC = ('<d:sync-collection xmlns:d="DAV:"><d:sync-token>{}</d:sync-token><d:sync-level>1</d:sync-level>'
        '<d:prop><d:getetag/></d:prop></d:sync-collection>')


def alice_token():
    r = alice.report(A_CAL, SYNC.format(""))
    return r.xml().find("d:sync-token", NS).text if r.status == 207 else ""


def alice_summary(uid):
    body = ('<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-data/>'
            '</d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>')
    r = alice.report(A_CAL, body)
    for cd in (r.xml().iter(f"{{{NS['c']}}}calendar-data") if r.status == 207 else []):
        text = (cd.text or "").replace("\r\n ", "")
        if f"UID:{uid}" in text:
            for line in text.splitlines():
                if line.startswith("SUMMARY:"):
                    return line[8:]
            return ""
    return None


os.environ["TB_CAL_PATH"] = MOUNT
tb = Thunderbird(inst, "shared", caldav=True)
show_on_failure(tb, "shared")
tb.start()
PRELUDE = """
const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
const sleep = ms => new Promise(r => setTimeout(r, ms));
const calendar = cal.manager.getCalendars().find(c => c.type == "caldav");
"""
seen = tb.js(PRELUDE + """
for (let i = 0; i < 240; i++) {
  const item = await calendar.getItem(args[0]);
  if (item) return {title: item.title, readOnly: calendar.readOnly};
  if (i % 20 == 0) calendar.refresh();
  await sleep(250);
}
return null;
""", "shared-dinner", timeout=90)
check(seen is not None and seen.get("title") == "Dinner at grandma's", f"Thunderbird shows alice's event: {seen}")
check(seen is not None and seen.get("readOnly") is False, "and knows it may write there (read-write share)")

# Thunderbird adds an event: it lands in alice's calendar.
t1 = alice_token()
tb.js(PRELUDE + """
const { CalEvent } = ChromeUtils.importESModule("resource:///modules/CalEvent.sys.mjs");
const ev = new CalEvent();
ev.icalString = args[0];
await calendar.addItem(ev);
""", vevent("tb-shared-add", "Picnic (from bob's Thunderbird)"))
check(wait_for(lambda: alice_summary("tb-shared-add") == "Picnic (from bob's Thunderbird)", 20),
      "the event bob's Thunderbird added is in alice's calendar")
t2 = alice_token()
check(t2 != t1 and t2 != "", f"with a new sync token for alice: {t1} -> {t2}")

# Thunderbird changes alice's event, then deletes it.
tb.js(PRELUDE + """
const item = await calendar.getItem(args[0]);
const changed = item.clone();
changed.title = args[1];
await calendar.modifyItem(changed, item);
""", "shared-dinner", "Dinner moved to our place")
check(wait_for(lambda: alice_summary("shared-dinner") == "Dinner moved to our place", 20),
      "bob's change of alice's event reached her calendar")
tb.js(PRELUDE + """
const item = await calendar.getItem(args[0]);
await calendar.deleteItem(item);
""", "tb-shared-add")
check(wait_for(lambda: alice_summary("tb-shared-add") is None, 20), "bob's delete reached alice's calendar")
check(alice_token() not in (t2, ""), "each change gave alice a new sync token")

# A second calendar shared read-only by the admin (`hearth share`): Thunderbird, subscribed to it
# as well, reads the sharee's privileges and makes it read-only (while the family one stays
# writable), and still shows its events.
r = alice.request("MKCALENDAR", f"/dav/calendars/{ALICE}/work/")
check(r.status == 201, f"alice makes a work calendar: {r.status}")
check(alice.request("PUT", f"/dav/calendars/{ALICE}/work/standup.ics", vcal(vevent("work-standup", "Standup")),
                    TC).status == 201, "with an event")
inst.cli(["share", "calendar", f"{ALICE}/work", BOB, "read"])
ro = tb.js(PRELUDE + """
const url = Services.io.newURI(args[0]);
const work = cal.manager.createCalendar("caldav", url);
work.name = "work (read-only)";
work.setProperty("username", args[1]);
cal.manager.registerCalendar(work);
for (let i = 0; i < 120; i++) {
  const item = await work.getItem(args[2]);
  if (item && work.readOnly) return {title: item.title, readOnly: work.readOnly, family: calendar.readOnly};
  if (i % 20 == 0) work.refresh();
  await sleep(250);
}
return {readOnly: work.readOnly, family: calendar.readOnly};
""", f"https://{inst.addr}:{inst.port('https')}/dav/calendars/{BOB}/{ALICE}~work/", BOB, "work-standup", timeout=60)
check(ro.get("title") == "Standup" and ro.get("readOnly") is True and ro.get("family") is False,
      f"a read-only share is read-only in Thunderbird, the read-write one is not: {ro}")
tb.stop()
errors = tb.http_errors()
check(not errors, "no 4xx/5xx in Thunderbird's HTTP log" + "".join("\n  " + e for e in errors))
finish()
