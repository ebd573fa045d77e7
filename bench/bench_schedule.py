#!/usr/bin/python3
"""CalDAV scheduling and iMIP benchmark.

usage: bench/bench_schedule.py [build/hearth] [--attendees 100] [--rounds 5] [--replies 200]

1. Invitation fan-out: the organizer PUTs one event with N local attendees; the PUT returns
   once every attendee has the REQUEST in their schedule inbox and the event in their calendar
   (delivery is synchronous), and the N-th attendee's inbox is then read to confirm. Prints the
   time from the PUT to the N-th attendee's inbox (p50 and max over the rounds).
2. iMIP over SMTP: R Thunderbird-format REPLY mails (SPF-aligned, so DMARC passes through knot)
   sent on one SMTP connection to the organizer; prints the rate at which the server applied
   them (from the first mail sent to the last `dav.imip.in ... result=applied` in its log).

Runs on loopback network 127.0.222 (knot on .1, hearth on .2, the mail sender on .20). Prints
figures, never asserts; not part of `make test`.
"""
import argparse
import os
import smtplib
import statistics
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("hearth", nargs="?", default="build/hearth")
ap.add_argument("--attendees", type=int, default=100)
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--replies", type=int, default=200)
args = ap.parse_args()
os.environ["HEARTH_BIN"] = os.path.abspath(args.hearth)
os.environ.setdefault("HEARTH_TEST_NET", "127.0.222")
sys.path.insert(0, os.path.join(here, "..", "tests", "e2e", "lib"))
sys.path.insert(0, os.path.join(here, "..", "tests", "e2e", "dav"))
import hearth_test as ht  # noqa: E402
from davlib import Client  # noqa: E402
from knot import Knot  # noqa: E402

NET = ht.NET
dns = Knot(addr=f"{NET}.1", port=5353,
           zones={"ext.test": f'@ TXT "v=spf1 ip4:{NET}.20 -all"\n_dmarc TXT "v=DMARC1; p=none"\n'}).start()
inst = ht.Instance("org@example.test", host=2)
ht.set_key(inst.config, "dns", "servers", f'["{NET}.1:5353"]')
users = [f"att{i:03d}@example.test" for i in range(args.attendees)]
for u in users:
    inst.cli(["user", "add", u, "--password-stdin"], input="attendee-password-1\n")
inst.start(wait_for="https")
org = Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), inst.email, inst.password)
last = Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), users[-1], "attendee-password-1")
TC = {"Content-Type": "text/calendar; charset=utf-8"}
# Every attendee logs in once first, as a client would (the inbox exists from then on).
for u in users:
    Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), u, "attendee-password-1").propfind(
        f"/dav/principals/{u}/", ["<d:displayname/>"])


def inbox_count():
    r = last.propfind(f"/dav/calendars/{users[-1]}/schedule-inbox/", ["<d:getetag/>"], depth="1")
    return len([h for h in r.responses() if not h.endswith("/")])


times = []
for rnd in range(args.rounds):
    att = "".join(f"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:{u}\r\n" for u in users)
    ev = (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:fanout-{rnd}\r\n"
          f"DTSTAMP:20300101T000000Z\r\nDTSTART:203002{rnd + 1:02d}T100000Z\r\nDTEND:203002{rnd + 1:02d}T110000Z\r\n"
          f"SUMMARY:All hands {rnd}\r\nORGANIZER:mailto:{inst.email}\r\n{att}END:VEVENT\r\nEND:VCALENDAR\r\n")
    before = inbox_count()
    t0 = time.monotonic()
    r = org.request("PUT", f"/dav/calendars/{inst.email}/personal/fanout-{rnd}.ics", ev, TC)
    while inbox_count() <= before and time.monotonic() - t0 < 60:
        time.sleep(0.005)
    times.append((time.monotonic() - t0) * 1000)
    if r.status != 201:
        print(f"PUT failed: {r.status} {r.text[:200]}")
print(f"fan-out, {args.attendees} local attendees: PUT to the last attendee's inbox "
      f"p50 {statistics.median(times):.0f} ms, max {max(times):.0f} ms ({args.rounds} rounds)")

# iMIP: the organizer invites an outside attendee; their Thunderbird replies R times.
ev = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:imip-bench\r\n"
      "DTSTAMP:20300101T000000Z\r\nDTSTART:20300301T100000Z\r\nDTEND:20300301T110000Z\r\nSUMMARY:Review\r\n"
      f"ORGANIZER:mailto:{inst.email}\r\nATTENDEE:mailto:tb@ext.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
org.request("PUT", f"/dav/calendars/{inst.email}/personal/imip-bench.ics", ev, TC)
tmpl = open(os.path.join(here, "..", "tests", "e2e", "dav", "data", "thunderbird_reply.eml"), newline="").read()
applied_before = inst.log().count("result=applied")
t0 = time.monotonic()
with smtplib.SMTP(inst.addr, inst.port("smtp"), timeout=60, local_hostname="tb.ext.test",
                  source_address=(f"{NET}.20", 0)) as s:
    for i in range(args.replies):
        msg = tmpl.format(msgid=f"bench-{i}", uid="imip-bench", summary="Review", organizer=inst.email, cn="Tessa",
                          partstat="ACCEPTED" if i % 2 else "TENTATIVE", attendee="tb@ext.test",
                          from_header="Tessa <tb@ext.test>")
        s.sendmail("tb@ext.test", [inst.email], msg.encode())
sent = time.monotonic() - t0
deadline = time.monotonic() + 120
while inst.log().count("result=applied") - applied_before < args.replies and time.monotonic() < deadline:
    time.sleep(0.05)
done = time.monotonic() - t0
n = inst.log().count("result=applied") - applied_before
print(f"iMIP REPLY over SMTP: {n}/{args.replies} applied in {done:.1f} s = {n / done:.0f}/s "
      f"(SMTP sending took {sent:.1f} s)")
inst.stop()
dns.stop()
