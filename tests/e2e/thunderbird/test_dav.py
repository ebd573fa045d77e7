"""Thunderbird (headless) with Hearth's CalDAV and CardDAV: an event PUT by the test shows in its
cached calendar (and in calendar-data/cache.sqlite after exit); an event created through
Thunderbird's calendar API reaches the server; its CardDAV set-up finds the address book from
the server's address alone (/.well-known/carddav), syncs a vCard PUT by the test, then one PUT
later through a sync-collection; the cards are in its address book database after exit.
No 4xx/5xx (other than Basic auth's first 401) in Thunderbird's HTTP log."""
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dav"))
from davlib import Client  # noqa: E402
from hearth_test import Instance, check, finish  # noqa: E402
from tblib import Thunderbird, show_on_failure  # noqa: E402

inst = Instance()
inst.start(wait_for="https")
dav = Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), inst.email, inst.password)
cal_path = f"/dav/calendars/{inst.email}/personal/"
book_path = f"/dav/addressbooks/{inst.email}/contacts/"
dav.propfind(cal_path, ["<d:resourcetype/>"])  # the first login creates the default collections
tag = "%d" % time.time()
ev_uid = f"tb-server-{tag}@example.test"
now = time.strftime("%Y%m%dT%H0000Z", time.gmtime())


def vevent(uid, summary):
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{now}\r\nDURATION:PT1H\r\n"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\n")


def vcard(uid, name, mail):
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name.split()[-1]};{name.split()[0]};;;\r\n"
            f"EMAIL;TYPE=work:{mail}\r\nEND:VCARD\r\n")


r = dav.request("PUT", cal_path + ev_uid + ".ics",
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hearth-e2e//EN\r\n" + vevent(ev_uid, "From the server") +
                "END:VCALENDAR\r\n", {"Content-Type": "text/calendar; charset=utf-8"})
check(r.status in (201, 204), f"PUT event: {r.status}")
card1 = f"tb-card-1-{tag}"
r = dav.request("PUT", book_path + card1 + ".vcf", vcard(card1, "Ada Lovelace", "ada@example.test"),
                {"Content-Type": "text/vcard; charset=utf-8"})
check(r.status in (201, 204), f"PUT vCard: {r.status}")

tb = Thunderbird(inst, "dav", caldav=True)
show_on_failure(tb, "dav")
tb.start()

PRELUDE = """
const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
const sleep = ms => new Promise(r => setTimeout(r, ms));
const calendar = cal.manager.getCalendars().find(c => c.type == "caldav");
"""

# CalDAV, server -> Thunderbird.
t0 = time.monotonic()
title = tb.js(PRELUDE + """
for (let i = 0; i < 240; i++) {
  const item = await calendar.getItem(args[0]);
  if (item) return item.title;
  if (i % 20 == 0) calendar.refresh();
  await sleep(250);
}
return null;
""", ev_uid, timeout=90)
check(title == "From the server", f"the event PUT by the test is in Thunderbird's calendar ({time.monotonic() - t0:.1f} s): {title}")

# CalDAV, Thunderbird -> server.
tb_uid = f"tb-client-{tag}@example.test"
tb.js(PRELUDE + """
const { CalEvent } = ChromeUtils.importESModule("resource:///modules/CalEvent.sys.mjs");
const ev = new CalEvent();
ev.icalString = args[0];
await calendar.addItem(ev);
""", vevent(tb_uid, "From Thunderbird"))


def server_has(uid):
    body = ('<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            '<d:prop><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>')
    r = dav.report(cal_path, body)
    return r.status == 207 and uid in r.text


deadline = time.monotonic() + 20
while not server_has(tb_uid) and time.monotonic() < deadline:
    time.sleep(0.3)
check(server_has(tb_uid), "the event Thunderbird created is on the server")

# CardDAV: discovery from the server's address, first sync, then an incremental one.
found = tb.js("""
const { CardDAVUtils } = ChromeUtils.importESModule("resource:///modules/CardDAVUtils.sys.mjs");
const sleep = ms => new Promise(r => setTimeout(r, ms));
const books = await CardDAVUtils.detectAddressBooks(args[0], args[1], args[2], false, true);
const book = books.find(b => b.url.pathname.endsWith("/contacts/"));
if (!book) return {books: books.map(b => b.url.href)};
const dir = book.create();
for (let i = 0; i < 120; i++) {
  const card = dir.childCards.find(c => c.UID == args[3]);
  if (card) return {url: book.url.href, name: card.displayName, file: dir.fileName};
  await sleep(250);
}
return {url: book.url.href, cards: dir.childCards.length};
""", inst.email, inst.password, f"https://{inst.addr}:{inst.port('https')}/", card1)
check(found.get("name") == "Ada Lovelace",
      f"Thunderbird found the address book through /.well-known/carddav and synced the vCard: {found}")
card2 = f"tb-card-2-{tag}"
r = dav.request("PUT", book_path + card2 + ".vcf", vcard(card2, "Grace Hopper", "grace@example.test"),
                {"Content-Type": "text/vcard; charset=utf-8"})
synced = tb.js("""
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const { CardDAVDirectory } = ChromeUtils.importESModule("resource:///modules/CardDAVDirectory.sys.mjs");
const dir = CardDAVDirectory.forFile(args[0]);
await dir.syncWithServer();
const card = dir.childCards.find(c => c.UID == args[1]);
return card ? card.displayName : dir.childCards.map(c => c.UID);
""", found.get("file", ""), card2)
check(synced == "Grace Hopper", f"a vCard PUT later arrives with the next sync: {synced}")

tb.stop()
# Thunderbird's own databases, read after it exited.
db = os.path.join(tb.profile, "calendar-data", "cache.sqlite")
try:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    n = con.execute("SELECT count(*) FROM cal_events WHERE id IN (?, ?)", (ev_uid, tb_uid)).fetchone()[0]
    con.close()
except sqlite3.Error as e:
    n = str(e)
check(n == 2, f"both events are in Thunderbird's calendar cache: {n}")
abook = os.path.join(tb.profile, found.get("file") or "missing.sqlite")
try:
    con = sqlite3.connect(f"file:{abook}?mode=ro", uri=True)
    cards = {row[0] for row in con.execute("SELECT DISTINCT card FROM properties")}
    con.close()
except sqlite3.Error as e:
    cards = {str(e)}
check({card1, card2} <= cards, f"both vCards are in Thunderbird's address book database: {sorted(cards)}")
errors = tb.http_errors()
check(not errors, "no 4xx/5xx in Thunderbird's HTTP log" + "".join("\n  " + e for e in errors))
finish()
