#!/usr/bin/python3
"""vdirsyncer (Debian) as a sharee: bob's discovery finds the calendar alice shares read-write and
the address book she shares read-only in his own homes; his local event reaches alice's calendar
with a new sync token, alice's edit comes back to him, and his local contact in the read-only
book is refused with 403 (vdirsyncer reports the error, alice's book is unchanged)."""
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import hearth_test as ht
from davlib import Client, tag
from hearth_test import NET, check, finish

ALICE, BOB = "alice@example.test", "bob@example.test"
BOB_PW = "bob-password-123"
inst = ht.Instance(ALICE, extra=["--ip4", f"{NET}.1"])
inst.cli(["user", "add", BOB, "--password-stdin"], input=BOB_PW + "\n")
inst.start(wait_for="https")
alice = Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), ALICE, inst.password)
A_CAL, A_BOOK = f"/dav/calendars/{ALICE}/personal/", f"/dav/addressbooks/{ALICE}/contacts/"
TC, TV = {"Content-Type": "text/calendar"}, {"Content-Type": "text/vcard"}
EV = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//vds//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20300101T000000Z\r\n"
      "DTSTART:20300801T090000Z\r\nDTEND:20300801T100000Z\r\nSUMMARY:{s}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
check(alice.request("PUT", A_CAL + "a1.ics", EV.format(uid="a1", s="alice's"), TC).status == 201, "alice's event")
check(alice.request("PUT", A_BOOK + "ann.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nFN:Ann\r\nN:Ann;;;;\r\nEND:VCARD\r\n",
                    TV).status == 201, "alice's contact")
inst.cli(["share", "calendar", f"{ALICE}/personal", BOB, "write"])
inst.cli(["share", "addressbook", f"{ALICE}/contacts", BOB, "read"])

W = os.path.join(inst.dir, "vds")
fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", inst.cert_file()],
                    capture_output=True, text=True, check=True).stdout.split("=", 1)[1].strip()
url = f"https://{inst.addr}:{inst.port('https')}/"
os.makedirs(f"{W}/status")
with open(f"{W}/config", "w") as f:
    for kind, ext, dav in (("cal", ".ics", "caldav"), ("card", ".vcf", "carddav")):
        os.makedirs(f"{W}/{kind}")
        f.write(f"""
[pair {kind}]
a = "{kind}_local"
b = "{kind}_remote"
collections = ["from b"]
conflict_resolution = "b wins"

[storage {kind}_local]
type = "filesystem"
path = "{W}/{kind}/"
fileext = "{ext}"

[storage {kind}_remote]
type = "{dav}"
url = "{url}"
username = "{BOB}"
password = "{BOB_PW}"
verify_fingerprint = "{fp}"
""")
    f.write(f'[general]\nstatus_path = "{W}/status/"\n')


def vds(*args, stdin=None):
    cp = subprocess.run(["vdirsyncer", "-c", f"{W}/config", *args], input=stdin, capture_output=True, text=True, timeout=120)
    return cp.returncode, cp.stdout + cp.stderr


def write(path, text):
    with open(path, "w", newline="") as f:
        f.write(text)


def token(path):
    r = alice.propfind(path, ["<d:sync-token/>"])
    return r.responses()[path][tag("d", "sync-token")].text


rc, out = vds("discover", stdin="y\n" * 10)
check(rc == 0, "vdirsyncer discover as bob")
rc, out = vds("sync")
check(rc == 0, "first sync as bob")
MCAL, MBOOK = f"{W}/cal/{ALICE}~personal", f"{W}/card/{ALICE}~contacts"
check(os.path.isdir(MCAL) and os.path.isdir(MBOOK), f"shared collections discovered: {sorted(os.listdir(W + '/cal'))} "
      f"{sorted(os.listdir(W + '/card'))}")
got = "".join(open(p).read() for p in glob.glob(f"{MCAL}/*.ics"))
check("alice's" in got, "alice's event pulled into bob's vdir")
check(any("FN:Ann" in open(p).read() for p in glob.glob(f"{MBOOK}/*.vcf")), "alice's contact pulled (read-only share)")

before = token(A_CAL)
write(f"{MCAL}/b1.ics", EV.format(uid="b1", s="bob's"))
rc, out = vds("sync", "cal")
check(rc == 0, "bob pushes a new event into the read-write share")
r = alice.propfind(A_CAL, ["<d:getetag/>"], depth="1")
texts = [alice.request("GET", h).text for h in r.responses() if h.endswith(".ics")]
check(any("bob's" in t for t in texts), "alice's calendar has bob's event")
check(token(A_CAL) != before, "alice's sync token moved")
ev = next((h for h in r.responses() if h.endswith(".ics") and "alice's" in alice.request("GET", h).text), None)
check(ev is not None and alice.request("PUT", ev, EV.format(uid="a1", s="alice EDITED"), TC).status == 204, "alice edits")
rc, out = vds("sync", "cal")
check(rc == 0 and any("alice EDITED" in open(p).read() for p in glob.glob(f"{MCAL}/*.ics")), "bob's next sync has the edit")

book_before = token(A_BOOK)
write(f"{MBOOK}/b2.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:b2\r\nFN:Bob's friend\r\nN:Friend;Bob's;;;\r\nEND:VCARD\r\n")
rc, out = vds("sync", "card")
check(rc != 0 and "403" in out, f"read-only share: vdirsyncer's upload refused with 403 (rc {rc})")
r = alice.propfind(A_BOOK, ["<d:getetag/>"], depth="1")
check(len([h for h in r.responses() if h.endswith(".vcf")]) == 1 and token(A_BOOK) == book_before,
      "alice's address book unchanged")
inst.stop()
finish()
