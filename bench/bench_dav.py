#!/usr/bin/python3
"""CalDAV/CardDAV benchmark: hearth against Radicale on the same machine, same client.

usage: bench/bench_dav.py [--hearth build/hearth] [--events 10000] [--cards 5000] [--rounds 30] [--hearth-only]

Loads a calendar of N events (20% weekly recurring) and an address book of M cards into each
server (hearth: `hearth import`; Radicale: one PUT of the whole calendar/address book, which
Radicale splits by UID), then measures over one keep-alive HTTPS (hearth) / HTTP (Radicale)
connection: Depth 1 PROPFIND of the calendar, calendar-query with a one-month time-range,
calendar-multiget of 100, sync-collection after 10 changes, and PUT. Prints p50/p99 in ms,
each server's RSS, and the Radicale/hearth ratios. Never part of `make test`.
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
import http.client  # noqa: E402
from davlib import NS, Client  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--hearth", default="build/hearth")
ap.add_argument("--events", type=int, default=10000)
ap.add_argument("--cards", type=int, default=5000)
ap.add_argument("--rounds", type=int, default=30)
ap.add_argument("--hearth-only", action="store_true", help="skip Radicale (minutes to load): compare hearth builds")
a = ap.parse_args()
work = tempfile.mkdtemp(prefix="bench-dav-")
procs = []


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
    shutil.rmtree(work, True)


def calendar_text():
    out = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"]
    for i in range(a.events):
        day, month = 1 + i % 28, 1 + (i // 28) % 12
        year = 2030 + i // 336
        ev = (f"BEGIN:VEVENT\r\nUID:bench-{i}\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:{year}{month:02d}{day:02d}T{8 + i % 9:02d}0000Z\r\n"
              f"DTEND:{year}{month:02d}{day:02d}T{9 + i % 9:02d}0000Z\r\nSUMMARY:Bench event {i}\r\n")
        if i % 5 == 0:
            ev += "RRULE:FREQ=WEEKLY;COUNT=20\r\n"
        out.append(ev + "END:VEVENT\r\n")
    out.append("END:VCALENDAR\r\n")
    return "".join(out)


def cards_text():
    return "".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bench-c{i}\r\nFN:Bench Contact {i}\r\nN:Contact {i};Bench;;;\r\n"
                   f"EMAIL:c{i}@example.org\r\nEND:VCARD\r\n" for i in range(a.cards))


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Plain:
    """Radicale over plain HTTP on loopback (its TLS would only add the same cost to both)."""

    def __init__(self, port, user):
        self.port, self.user = port, user
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.conn.connect()
        import socket
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def request(self, method, path, body=None, headers=None):
        import base64
        h = {"Authorization": "Basic " + base64.b64encode(f"{self.user}:x".encode()).decode()}
        if body is not None:
            h["Content-Type"] = "application/xml; charset=utf-8"
        h.update(headers or {})
        self.conn.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, data


def measure(name, fn, rounds):
    print(f"  {name} x{rounds}", flush=True)
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        status = fn()
        times.append((time.perf_counter() - t) * 1000)
        if status not in (200, 201, 204, 207):
            raise RuntimeError(f"{name}: status {status}")
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


def run_suite(req, cal, book, label, slow_rounds=None):
    res = {}
    slow = slow_rounds or max(5, a.rounds // 3)
    hrefs = [f"{cal}bench-{i}.ics" for i in range(0, 100)]
    propfind = ('<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:getcontenttype/></d:prop></d:propfind>')
    query = (f'<c:calendar-query xmlns:d="DAV:" xmlns:c="{NS["c"]}"><d:prop><d:getetag/></d:prop><c:filter>'
             '<c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="20300301T000000Z" '
             'end="20300401T000000Z"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>')
    multiget = (f'<c:calendar-multiget xmlns:d="DAV:" xmlns:c="{NS["c"]}"><d:prop><d:getetag/><c:calendar-data/></d:prop>'
                + "".join(f"<d:href>{h}</d:href>" for h in hrefs) + "</c:calendar-multiget>")
    res["PROPFIND Depth 1 (calendar)"] = measure("propfind", lambda: req("PROPFIND", cal, propfind, {"Depth": "1"})[0], slow)
    res["calendar-query 1 month"] = measure("query", lambda: req("REPORT", cal, query, {"Depth": "1"})[0], slow)
    res["calendar-multiget 100"] = measure("multiget", lambda: req("REPORT", cal, multiget, {"Depth": "1"})[0], a.rounds)
    sync0 = '<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>'
    st, body = req("REPORT", cal, sync0, {"Depth": "1"})
    import xml.etree.ElementTree as ET
    token = ET.fromstring(body).find("d:sync-token", NS).text
    ev = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:chg-{i}\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300601T100000Z\r\nDTEND:20300601T110000Z\r\nSUMMARY:change\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    for i in range(10):
        req("PUT", f"{cal}chg-{i}.ics", ev.format(i=i), {"Content-Type": "text/calendar"})
    sync = f'<d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>'
    res["sync-collection 10 changes"] = measure("sync", lambda: req("REPORT", cal, sync, {"Depth": "1"})[0], a.rounds)
    n = [0]

    def put():
        n[0] += 1
        return req("PUT", f"{cal}put-{n[0]}.ics", ev.format(i=f"p{n[0]}"), {"Content-Type": "text/calendar"})[0]
    res["PUT"] = measure("put", put, a.rounds)
    res["PROPFIND Depth 1 (address book)"] = measure("propfind-ab", lambda: req("PROPFIND", book, propfind, {"Depth": "1"})[0], slow)
    return res


try:
    ics, vcf = calendar_text(), cards_text()
    # ---- hearth ----
    hdir = os.path.join(work, "hearth")
    user = "bench@example.test"
    cp = subprocess.run([a.hearth, "quickstart", "--dev", user, "--dir", hdir, "--listen", "127.0.0.1",
                         "--port-offset", "31000"], capture_output=True, text=True, check=True)
    pw = next(l.split(":", 1)[1].strip() for l in cp.stdout.splitlines() if l.strip().lower().startswith("password:"))
    cfg = os.path.join(hdir, "hearth.toml")
    for kind, path, flag in (("ics", "cal.ics", "--calendar"), ("vcf", "cards.vcf", "--addressbook")):
        with open(os.path.join(work, path), "w") as f:
            f.write(ics if kind == "ics" else vcf)
        t = time.perf_counter()
        subprocess.run([a.hearth, "--config", cfg, "import", kind, os.path.join(work, path), "--user", user, flag, "bench"],
                       check=True, capture_output=True)
        print(f"hearth import {kind}: {time.perf_counter() - t:.1f} s", flush=True)
    hp = subprocess.Popen([a.hearth, "--config", cfg, "serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(hp)
    time.sleep(1.5)
    hc = Client("127.0.0.1", 31443, "mail.example.test", os.path.join(hdir, "data", "tls", "ca.crt"), user, pw)

    def hreq(m, p, b=None, h=None):
        r = hc.request(m, p, b, h)
        return r.status, r.body
    hres = run_suite(hreq, f"/dav/calendars/{user}/bench/", f"/dav/addressbooks/{user}/bench/", "hearth")
    hrss = rss_kb(hp.pid)
    for k, v in hres.items():
        print(f"hearth   {k:34} p50 {v[0]:8.1f} ms  p99 {v[1]:8.1f} ms", flush=True)
    print(f"hearth   RSS {hrss / 1024:.1f} MiB", flush=True)
    if a.hearth_only:
        sys.exit(0)

    # ---- Radicale ----
    rdir = os.path.join(work, "radicale")
    os.makedirs(rdir)
    rp = subprocess.Popen(["radicale", "--storage-filesystem-folder", rdir, "--server-hosts", "127.0.0.1:31999",
                           "--auth-type", "none", "--rights-type", "owner_only"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(rp)
    time.sleep(2)
    rc = Plain(31999, "bench")
    rc.request("MKCALENDAR", "/bench/cal/")
    t = time.perf_counter()
    st, _ = rc.request("PUT", "/bench/cal/", ics, {"Content-Type": "text/calendar"})
    print(f"radicale PUT whole calendar: {st} {time.perf_counter() - t:.1f} s", flush=True)
    rc.request("MKCOL", "/bench/ab/", '<d:mkcol xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:set><d:prop>'
               '<d:resourcetype><d:collection/><card:addressbook/></d:resourcetype></d:prop></d:set></d:mkcol>')
    st, _ = rc.request("PUT", "/bench/ab/", vcf, {"Content-Type": "text/vcard"})
    # Radicale needs seconds per Depth 1 PROPFIND of 10 000 items: fewer rounds for the slow ones.
    rres = run_suite(rc.request, "/bench/cal/", "/bench/ab/", "radicale", slow_rounds=3)
    rrss = rss_kb(rp.pid)

    print(f"\n{'operation':34} {'hearth p50/p99 ms':>20} {'radicale p50/p99 ms':>22} {'ratio p50':>10}")
    for k in hres:
        h, r = hres[k], rres[k]
        print(f"{k:34} {h[0]:9.1f} /{h[1]:8.1f} {r[0]:10.1f} /{r[1]:9.1f} {r[0] / h[0]:9.1f}x")
    print(f"{'RSS (MiB)':34} {hrss / 1024:20.1f} {rrss / 1024:22.1f}")
    print(f"({a.events} events, 20% recurring; {a.cards} cards; hearth over TLS, Radicale over plain HTTP)")
finally:
    cleanup()
