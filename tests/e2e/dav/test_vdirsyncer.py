#!/usr/bin/python3
"""vdirsyncer (Debian) two-way sync of a calendar and an address book with local vdirs:
collections created on the server from the local side, uploads, a server-side edit pulled,
a local edit pushed, deletions both ways, and a second run that changes nothing."""
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import hearth_test as ht
from davlib import NS, Client, tag
from hearth_test import NET, check, finish

USER = "demo@example.test"
inst = ht.Instance(USER, extra=["--ip4", f"{NET}.1"])
inst.start(wait_for="https")
W = os.path.join(inst.dir, "vds")
fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", inst.cert_file()],
                    capture_output=True, text=True, check=True).stdout.split("=", 1)[1].strip()
url = f"https://{inst.addr}:{inst.port('https')}/"
os.makedirs(f"{W}/status")
os.makedirs(f"{W}/cal/team")
os.makedirs(f"{W}/card/friends")
with open(f"{W}/config", "w") as f:
    for kind, ext, dav in (("cal", ".ics", "caldav"), ("card", ".vcf", "carddav")):
        f.write(f"""
[pair {kind}]
a = "{kind}_local"
b = "{kind}_remote"
collections = ["from a"]
conflict_resolution = "b wins"

[storage {kind}_local]
type = "filesystem"
path = "{W}/{kind}/"
fileext = "{ext}"

[storage {kind}_remote]
type = "{dav}"
url = "{url}"
username = "{USER}"
password = "{inst.password}"
verify_fingerprint = "{fp}"
""")
    f.write(f'[general]\nstatus_path = "{W}/status/"\n')


def write(path, text):
    with open(path, "w", newline="") as f:
        f.write(text)


EV = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//vdirsyncer//EN\r\nBEGIN:VEVENT\r\nUID:vds-ev1\r\n"
      "DTSTAMP:20300101T000000Z\r\nDTSTART:20300701T090000Z\r\nDTEND:20300701T100000Z\r\nSUMMARY:{s}\r\n"
      "END:VEVENT\r\nEND:VCALENDAR\r\n")
write(f"{W}/cal/team/vds-ev1.ics", EV.format(s="planning"))
for n in ("c1", "c2"):
    write(f"{W}/card/friends/{n}.vcf", f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:vds-{n}\r\nFN:Friend {n}\r\nN:{n};Friend;;;\r\n"
                                        f"EMAIL:{n}@example.test\r\nEND:VCARD\r\n")


def vds(*args, stdin=None):
    cp = subprocess.run(["vdirsyncer", "-c", f"{W}/config", *args], input=stdin, capture_output=True, text=True, timeout=120)
    out = cp.stdout + cp.stderr
    if cp.returncode != 0:
        print(out)
    return cp.returncode, out


rc, out = vds("discover", stdin="y\n" * 10)
check(rc == 0, "vdirsyncer discover (creates the collections on the server)")
rc, out = vds("sync")
check(rc == 0, "sync 1 (push)")
c = Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), USER, inst.password)
cal = f"/dav/calendars/{USER}/team/"
book = f"/dav/addressbooks/{USER}/friends/"
r = c.propfind(cal, ["<d:getetag/>"], depth="1")
ev_hrefs = [h for h in r.responses() if h.endswith(".ics")] if r.status == 207 else []
check(len(ev_hrefs) == 1, f"server has the event: {ev_hrefs}")
r = c.propfind(book, ["<d:getetag/>"], depth="1")
check(r.status == 207 and len([h for h in r.responses() if h.endswith(".vcf")]) == 2, "server has both contacts")

# Server-side edit (another client) arrives locally.
if ev_hrefs:
    r = c.request("PUT", ev_hrefs[0], EV.format(s="planning EDITED ON SERVER"), {"Content-Type": "text/calendar"})
    check(r.status == 204, "server-side edit")
rc, out = vds("sync")
local = "".join(open(p).read() for p in glob.glob(f"{W}/cal/team/*.ics"))
check(rc == 0 and "EDITED ON SERVER" in local, "sync 2 pulls the server edit")

# Local edit and local delete arrive on the server.
for p in glob.glob(f"{W}/cal/team/*.ics"):
    write(p, EV.format(s="planning EDITED LOCALLY"))
os.remove(f"{W}/card/friends/c1.vcf")
rc, out = vds("sync")
check(rc == 0, "sync 3 (push edit and delete)")
r = c.request("GET", ev_hrefs[0]) if ev_hrefs else None
check(r is not None and "EDITED LOCALLY" in r.text, "local edit on the server")
r = c.propfind(book, ["<d:getetag/>"], depth="1")
check(r.status == 207 and len([h for h in r.responses() if h.endswith(".vcf")]) == 1, "local delete propagated")

# Server-side delete arrives locally.
r = c.propfind(book, ["<d:getetag/>"], depth="1")
left = [h for h in r.responses() if h.endswith(".vcf")]
c.request("PUT", book + "c3.vcf", "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:vds-c3\r\nFN:Friend c3\r\nEND:VCARD\r\n",
          {"Content-Type": "text/vcard"})
if left:
    check(c.request("DELETE", left[0]).status == 204, "server-side delete")
rc, out = vds("sync")
names = sorted(re.search(r"UID:(\S+)", open(p).read()).group(1) for p in glob.glob(f"{W}/card/friends/*.vcf"))
check(rc == 0 and names == ["vds-c3"], f"server delete and add pulled: {names}")


def snapshot():
    r = c.propfind(cal, ["<d:sync-token/>"])
    r2 = c.propfind(book, ["<d:sync-token/>"])
    files = {p: open(p).read() for p in glob.glob(f"{W}/cal/*/*") + glob.glob(f"{W}/card/*/*")}
    return (r.responses()[cal][tag("d", "sync-token")].text, r2.responses()[book][tag("d", "sync-token")].text, files)


before = snapshot()
rc, out = vds("sync")
check(rc == 0 and snapshot() == before, "a second run changes nothing on either side")
inst.stop()
finish()
