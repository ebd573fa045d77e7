#!/usr/bin/python3
"""python3-caldav (Debian) against hearth: discover, create a calendar, save a recurring event
with exceptions and a VTIMEZONE, search by time range (recurrence instances found, also
expanded), todos, free-busy, delete."""
import datetime
import urllib.parse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import caldav

import hearth_test as ht
from hearth_test import NET, check, finish

USER = "demo@example.test"
inst = ht.Instance(USER, extra=["--ip4", f"{NET}.1"])
inst.start(wait_for="https")
# The certificate names mail.example.test: map it to our address for requests (no DNS here).
import urllib3.util.connection as uconn

_orig = uconn.create_connection


def _create(address, *a, **kw):
    host, port = address
    if host == inst.hostname:
        host = inst.addr
    return _orig((host, port), *a, **kw)


uconn.create_connection = _create
url = f"https://{inst.hostname}:{inst.port('https')}/.well-known/caldav"
client = caldav.DAVClient(url=url, username=USER, password=inst.password, ssl_verify_cert=inst.ca_file(), timeout=20)
principal = client.principal()
check(str(principal.url).endswith(f"/dav/principals/{USER}/"), f"principal {principal.url}")
names = [c.name for c in principal.calendars()]
check("Personal" in names, f"default calendar listed: {names}")
cal = principal.make_calendar(name="Work", cal_id="work")
check(urllib.parse.unquote(str(cal.url)).endswith(f"/dav/calendars/{USER}/work/"), f"MKCALENDAR {cal.url}")
check("Work" in [c.name for c in principal.calendars()], "new calendar listed with its displayname")

RECUR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//e2e//caldav//EN
BEGIN:VTIMEZONE
TZID:Europe/Paris
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:standup@e2e
DTSTAMP:20300101T000000Z
DTSTART;TZID=Europe/Paris:20300107T100000
DTEND;TZID=Europe/Paris:20300107T103000
RRULE:FREQ=WEEKLY;BYDAY=MO
EXDATE;TZID=Europe/Paris:20300114T100000
SUMMARY:Standup
END:VEVENT
BEGIN:VEVENT
UID:standup@e2e
DTSTAMP:20300101T000000Z
RECURRENCE-ID;TZID=Europe/Paris:20300121T100000
DTSTART;TZID=Europe/Paris:20300122T150000
DTEND;TZID=Europe/Paris:20300122T153000
SUMMARY:Standup (moved)
END:VEVENT
END:VCALENDAR
"""
ev = cal.save_event(RECUR)
check(ev is not None, "save recurring event with exception and VTIMEZONE")
ONE = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//e2e//caldav//EN
BEGIN:VEVENT
UID:lunch@e2e
DTSTAMP:20300101T000000Z
DTSTART:20300305T120000Z
DTEND:20300305T130000Z
SUMMARY:Lunch
END:VEVENT
END:VCALENDAR
"""
cal.save_event(ONE)


def d(*a):
    return datetime.datetime(*a, tzinfo=datetime.timezone.utc)


hits = cal.date_search(start=d(2030, 1, 14), end=d(2030, 1, 15), compfilter="VEVENT", expand=False)
check(len(hits) == 0, f"EXDATE instance not found ({len(hits)})")
hits = cal.date_search(start=d(2030, 6, 3), end=d(2030, 6, 4), compfilter="VEVENT", expand=False)
check(len(hits) == 1 and "Standup" in hits[0].data, "a later weekly instance is found by time range")
hits = cal.date_search(start=d(2030, 1, 21), end=d(2030, 1, 22), compfilter="VEVENT", expand=False)
check(len(hits) == 0, "the overridden instance is not at its original time")
hits = cal.date_search(start=d(2030, 1, 22), end=d(2030, 1, 23), compfilter="VEVENT", expand=False)
check(len(hits) == 1, "the override is found at its new time")
hits = cal.date_search(start=d(2030, 3, 4), end=d(2030, 3, 6), compfilter="VEVENT", expand=False)
check(len(hits) == 2, f"range with an instance and a single event: {len(hits)}")
exp = cal.date_search(start=d(2030, 1, 1), end=d(2030, 2, 1), compfilter="VEVENT", expand=True)
summaries = sorted(str(v.summary.value) for e in exp for v in e.vobject_instance.vevent_list)
rrules = [e for e in exp if "RRULE" in e.data]
# Mondays 7, 14, 21, 28: the 14th is excluded, the 21st moved to the 22nd.
check(not rrules and summaries.count("Standup") == 2 and summaries.count("Standup (moved)") == 1,
      f"expand: January has 2 regular instances and the moved one: {summaries}")
found = cal.search(event=True, start=d(2030, 3, 5, 11), end=d(2030, 3, 5, 14))
check(len(found) == 1 and "Lunch" in found[0].data, "search(event, start, end)")

todo = cal.save_todo("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//e2e//caldav//EN
BEGIN:VTODO
UID:todo1@e2e
DTSTAMP:20300101T000000Z
DUE:20300520T120000Z
SUMMARY:File taxes
END:VTODO
END:VCALENDAR
""")
todos = cal.todos()
check(len(todos) == 1 and "File taxes" in todos[0].data, "todos() finds the todo")
todo.complete()
check(len(cal.todos()) == 0 and len(cal.todos(include_completed=True)) == 1, "completed todo filtered out")

fb = cal.freebusy_request(d(2030, 3, 5), d(2030, 3, 6))
check("20300305T120000Z" in str(fb.data), "free-busy-query reports the lunch")

got = cal.event_by_uid("lunch@e2e")
got.data = got.data.replace("Lunch", "Long lunch")
got.save()
check("Long lunch" in cal.event_by_uid("lunch@e2e").data, "modify and fetch by UID")
got.delete()
check(len(cal.events()) == 1, "delete event")
# calendar-timezone (RFC 4791 §5.2.2) set and read through the library; a floating event is then
# found at its Paris time (RFC 4791 §9.9), and a value that is not one VTIMEZONE is refused.
from caldav.elements import cdav
PARIS = RECUR[RECUR.index("BEGIN:VTIMEZONE"):RECUR.index("BEGIN:VEVENT")]
PARIS_CAL = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//e2e//caldav//EN\n" + PARIS + "END:VCALENDAR\n"
cal.set_properties([cdav.CalendarTimeZone(PARIS_CAL)])
got_tz = cal.get_properties([cdav.CalendarTimeZone()])
check(any("TZID:Europe/Paris" in str(v) for v in got_tz.values()), "calendar-timezone set and read back")
try:
    cal.set_properties([cdav.CalendarTimeZone("BEGIN:VCALENDAR\nEND:VCALENDAR\n")])
    refused = False
except Exception:
    refused = True
check(refused, "a calendar-timezone without a VTIMEZONE is refused")
cal.save_event("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//e2e//caldav//EN
BEGIN:VEVENT
UID:floating@e2e
DTSTAMP:20300101T000000Z
DTSTART:20300710T100000
DTEND:20300710T110000
SUMMARY:Floating
END:VEVENT
END:VCALENDAR
""")
# 10:00 floating in Paris in July is 08:00Z.
hits = cal.date_search(start=d(2030, 7, 10, 8), end=d(2030, 7, 10, 8, 30), compfilter="VEVENT", expand=False)
check(len(hits) == 1 and "Floating" in hits[0].data, "a floating event is found at 08:00Z (calendar-timezone Paris)")
hits = cal.date_search(start=d(2030, 7, 10, 10, 15), end=d(2030, 7, 10, 10, 45), compfilter="VEVENT", expand=False)
check(len(hits) == 0, "and not at 10:00Z, where UTC would put it")
cal.delete()
check("Work" not in [c.name for c in principal.calendars()], "delete calendar")
inst.stop()
finish()
