#!/usr/bin/python3
"""python3-caldav as a sharee: bob's principal lists the calendar alice shares with him among his
own; he reads her events, adds one in the read-write share (alice sees it), and his save in a
read-only share fails with 403. A third account never sees either."""
import datetime
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import hearth_test as ht
from hearth_test import NET, check, finish

warnings.filterwarnings("ignore")
import caldav  # noqa: E402
from caldav.lib import error as caldav_error  # noqa: E402

ALICE, BOB, CAROL = "alice@example.test", "bob@example.test", "carol@example.test"
PW = {BOB: "bob-password-123", CAROL: "carol-password-123"}
inst = ht.Instance(ALICE, extra=["--ip4", f"{NET}.1"])
for u in (BOB, CAROL):
    inst.cli(["user", "add", u, "--password-stdin"], input=PW[u] + "\n")
inst.start(wait_for="https")
PW[ALICE] = inst.password
URL = f"https://{inst.hostname}:{inst.port('https')}/dav/"


import urllib3.util.connection as uconn  # noqa: E402

_orig = uconn.create_connection


def _create(address, *a, **kw):
    # python-caldav connects by the host name, which the certificate names: send it to the instance.
    host, port = address
    return _orig((inst.addr if host == inst.hostname else host, port), *a, **kw)


uconn.create_connection = _create


def principal(u):
    return caldav.DAVClient(url=URL, username=u, password=PW[u], ssl_verify_cert=inst.ca_file(), timeout=20).principal()


def summary(e):
    return str(e.vobject_instance.vevent.summary.value)


EV = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//caldav//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20300101T000000Z\r\n"
      "DTSTART:20300901T090000Z\r\nDTEND:20300901T100000Z\r\nSUMMARY:{s}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
pa = principal(ALICE)
a_personal = next(c for c in pa.calendars() if str(c.url).rstrip("/").endswith("/personal"))
a_personal.save_event(EV.format(uid="a1", s="alice one"))
a_team = pa.make_calendar(name="Team", cal_id="team")
a_team.save_event(EV.format(uid="t1", s="team one"))
inst.cli(["share", "calendar", f"{ALICE}/personal", BOB, "write"])
inst.cli(["share", "calendar", f"{ALICE}/team", BOB, "read"])

pb = principal(BOB)
cals = {str(c.url).rstrip("/").rsplit("/", 1)[1].replace("%40", "@"): c for c in pb.calendars()}
check(sorted(cals) == sorted(["personal", f"{ALICE}~personal", f"{ALICE}~team"]), f"bob's calendars: {sorted(cals)}")
shared = cals.get(f"{ALICE}~personal")
team = cals.get(f"{ALICE}~team")
evs = shared.events() if shared else []
check([summary(e) for e in evs] == ["alice one"], "bob reads alice's event")
found = shared.search(start=datetime.datetime(2030, 9, 1), end=datetime.datetime(2030, 9, 2),
                      event=True, expand=False) if shared else []
check(len(found) == 1, "time-range search in the shared calendar")
if shared:
    shared.save_event(EV.format(uid="b1", s="bob adds"))
summaries = sorted(summary(e) for e in a_personal.events())
check(summaries == ["alice one", "bob adds"], f"alice sees bob's event: {summaries}")
refused = None
try:
    team.save_event(EV.format(uid="b2", s="bob tries"))
except caldav_error.DAVError as e:
    refused = e
# python-caldav raises AuthorizationError for 401 and 403; bob is logged in, so this is the 403.
check(isinstance(refused, caldav_error.AuthorizationError) and "Forbidden" in str(refused),
      f"read-only share: save refused with 403 Forbidden ({refused})")
check([summary(e) for e in a_team.events()] == ["team one"], "alice's team calendar unchanged")

pc = principal(CAROL)
names = [str(c.url) for c in pc.calendars()]
check(len(names) == 1 and ALICE.split("@")[0] not in "".join(names), f"carol sees only her own calendar: {names}")
inst.stop()
finish()
