#!/usr/bin/python3
"""Sharing benchmark: Depth 1 PROPFIND of a calendar home set holding N calendars shared with
the user (DAVx5's properties, privileges and owner included), against the same home holding N
calendars of the user's own.

usage: bench/bench_dav_share.py [--hearth build/hearth] [--shared 50] [--events 20] [--rounds 50]

Each calendar gets a few events (`hearth import`), the shares are made with `hearth share`;
measured over one keep-alive HTTPS connection. Prints p50/p99 in ms. Never part of `make test`.
The rest of the DAV figures come from bench/bench_dav.py (--hearth-only skips Radicale).
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e", "dav"))
from davlib import Client  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--hearth", default="build/hearth")
ap.add_argument("--shared", type=int, default=50)
ap.add_argument("--events", type=int, default=20)
ap.add_argument("--rounds", type=int, default=50)
a = ap.parse_args()
work = tempfile.mkdtemp(prefix="bench-dav-share-")
procs = []
PROPS = ("<d:resourcetype/><d:displayname/><d:current-user-privilege-set/><d:owner/><ical:calendar-color/>"
         "<c:supported-calendar-component-set/><d:supported-report-set/><cs:getctag/><d:sync-token/>")
BODY = ('<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/" '
        f'xmlns:ical="http://apple.com/ns/ical/"><d:prop>{PROPS}</d:prop></d:propfind>')


def measure(fn, rounds):
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        r = fn()
        times.append((time.perf_counter() - t) * 1000)
        if r.status != 207:
            raise RuntimeError(f"status {r.status}")
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


try:
    d = os.path.join(work, "h")
    user, owner = "bench@example.test", "owner@example.test"
    cp = subprocess.run([a.hearth, "quickstart", "--dev", user, "--dir", d, "--listen", "127.0.0.1", "--port-offset", "32000"],
                        capture_output=True, text=True, check=True)
    pw = next(l.split(":", 1)[1].strip() for l in cp.stdout.splitlines() if l.strip().lower().startswith("password:"))
    cfg = os.path.join(d, "hearth.toml")

    def cli(*args, stdin=None):
        subprocess.run([a.hearth, "--config", cfg, *args], input=stdin, capture_output=True, text=True, check=True)

    cli("user", "add", owner, "--password-stdin", stdin="owner-password-1\n")
    ics = os.path.join(work, "cal.ics")
    with open(ics, "w") as f:
        f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n" + "".join(
            f"BEGIN:VEVENT\r\nUID:ev-{i}\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:203003{1 + i % 28:02d}T090000Z\r\n"
            f"DTEND:203003{1 + i % 28:02d}T100000Z\r\nSUMMARY:event {i}\r\nEND:VEVENT\r\n" for i in range(a.events))
            + "END:VCALENDAR\r\n")
    t = time.perf_counter()
    for i in range(a.shared):
        cli("import", "ics", ics, "--user", owner, "--calendar", f"cal{i}")
        cli("share", "calendar", f"{owner}/cal{i}", user, "write" if i % 2 else "read")
        cli("import", "ics", ics, "--user", user, "--calendar", f"own{i}")
    print(f"set-up: {a.shared} shared and {a.shared} own calendars in {time.perf_counter() - t:.1f} s", flush=True)
    hp = subprocess.Popen([a.hearth, "--config", cfg, "serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(hp)
    time.sleep(1.5)
    c = Client("127.0.0.1", 32443, "mail.example.test", os.path.join(d, "data", "tls", "ca.crt"), user, pw)
    home = f"/dav/calendars/{user}/"
    r = c.request("PROPFIND", home, BODY, {"Depth": "1"})
    listed = r.text.count("<d:response>") - 1
    print(f"home lists {listed} calendars ({2 * a.shared + 1} expected: own, shared and personal)", flush=True)
    both = measure(lambda: c.request("PROPFIND", home, BODY, {"Depth": "1"}), a.rounds)
    # The same home without the shares: revoke them all and measure again.
    for i in range(a.shared):
        cli("share", "calendar", f"{owner}/cal{i}", user, "none")
    own = measure(lambda: c.request("PROPFIND", home, BODY, {"Depth": "1"}), a.rounds)
    print(f"\nPROPFIND Depth 1 of a calendar home ({a.rounds} rounds, DAVx5's properties):")
    print(f"  {a.shared} own + {a.shared} shared calendars  p50 {both[0]:7.2f} ms  p99 {both[1]:7.2f} ms")
    print(f"  {a.shared} own calendars only          p50 {own[0]:7.2f} ms  p99 {own[1]:7.2f} ms")
finally:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
    shutil.rmtree(work, True)
