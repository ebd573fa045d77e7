"""`hearth import takeout`: a Google Takeout-shaped .zip (written by the test with Python's
zipfile, deflated: Gmail itself cannot run here) with Mail/*.mbox carrying X-Gmail-Labels,
Calendar/*.ics (one calendar per file) and Contacts/*/*.vcf (Google's cards have no UID, and the
same person is in several group files) imported in one command, then compared over IMAP and
CalDAV/CardDAV. A second import adds nothing; a damaged archive is refused with a clear error.
"""
import hashlib
import os
import tempfile
import zipfile

from hearth_test import Instance, check, finish
from backup_lib import dav_client, dav_objects, imap_login, mailbox_names, read_mailbox

a = Instance("demo@example.test", host=1)
work = tempfile.mkdtemp(prefix="hearth-takeout-", dir=a.dir)
zpath = os.path.join(work, "takeout-20261206T000000Z-001.zip")

mbox = ""
expect = {}
for i, (labels, folders) in enumerate([("Inbox,Opened", ["INBOX"]), ("Sent,Opened", ["Sent"]),
                                       ("Archived,Unread", ["Archive"]), ("Inbox,Travel,Unread", ["INBOX", "Travel"])]):
    msg = (f"X-GM-THRID: {i}\nX-Gmail-Labels: {labels}\nFrom: friend@gmail.com\nTo: demo@example.test\n"
           f"Subject: takeout {i}\nMessage-ID: <tk{i}@mail.gmail.com>\n\nhello {i}\n")
    mbox += f"From 17{i}@xxx Thu Jun 04 18:39:5{i} +0000 2020\n{msg}\n"
    for f in folders:
        expect.setdefault(f, set()).add((f"<tk{i}@mail.gmail.com>", hashlib.sha256(msg.replace("\n", "\r\n").encode()).hexdigest()))


def cal(*events):
    body = "".join(f"BEGIN:VEVENT\r\nUID:{uid}@google.com\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270{n}01T100000Z\r\n"
                   f"DTEND:20270{n}01T110000Z\r\nSUMMARY:{s}\r\nEND:VEVENT\r\n" for n, (uid, s) in enumerate(events, 1))
    return "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\n" + body + "END:VCALENDAR\r\n"


alice = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alice Martin\r\nN:Martin;Alice;;;\r\nEMAIL;TYPE=INTERNET:alice@example.org\r\nEND:VCARD\r\n"
bob = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob Durand\r\nN:Durand;Bob;;;\r\nTEL;TYPE=CELL:+33 6 00 00 00 00\r\nEND:VCARD\r\n"
with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as z:
    z.writestr("Takeout/archive_browser.html", "<html>index</html>")
    z.writestr("Takeout/Mail/All mail Including Spam and Trash.mbox", mbox)
    z.writestr("Takeout/Calendar/demo@example.test.ics", cal(("e1", "Dentist"), ("e2", "Lunch")))
    z.writestr("Takeout/Calendar/Holidays in France.ics", cal(("h1", "Bastille Day")))
    z.writestr("Takeout/Contacts/All Contacts/All Contacts.vcf", alice + bob)
    z.writestr("Takeout/Contacts/Starred/Starred.vcf", alice)

a.start()
cp = a.cli(["import", "takeout", zpath, "--user", "demo@example.test"], check_rc=False)
print(cp.stdout.strip(), cp.stderr.strip())
check(cp.returncode == 0, "import takeout succeeds")
check("1 mbox, 2 calendar and 2 contact files" in cp.stdout, "mail, calendars and contacts found in the archive")

imap = imap_login(a, a.password)
names = mailbox_names(imap)
check("Travel" in names, "the label Travel became a folder")
for folder, want in expect.items():
    got = {(m[0], m[1]) for m in read_mailbox(imap, folder)}
    check(got == want, f"{folder}: the messages of its label, byte for byte ({len(got)})")
counts = {n: len(read_mailbox(imap, n) or []) for n in names}
dav = dav_client(a, a.password)
home = "/dav/calendars/demo@example.test/"
c1 = dav_objects(dav, home + "demo@example.test/")
c2 = dav_objects(dav, home + "Holidays-in-France/")
check(c1 is not None and sorted(c1) == ["e1@google.com", "e2@google.com"], f"calendar demo@example.test has its 2 events ({c1 and sorted(c1)})")
check(c2 is not None and sorted(c2) == ["h1@google.com"], f"calendar Holidays-in-France has its event ({c2 and sorted(c2)})")
cards = dav_objects(dav, "/dav/addressbooks/demo@example.test/contacts/")
fns = sorted(v.split("FN:")[1].split("\n")[0] for v in (cards or {}).values())
check(fns == ["Alice Martin", "Bob Durand"], f"contacts imported once each despite the group files ({fns})")

cp = a.cli(["import", "takeout", zpath, "--user", "demo@example.test"], check_rc=False)
print(cp.stdout.strip())
imap.noop()
check(cp.returncode == 0 and {n: len(read_mailbox(imap, n) or []) for n in mailbox_names(imap)} == counts,
      "a second import adds no message")
check(len(dav_objects(dav, home + "demo@example.test/")) == 2 and len(dav_objects(dav, "/dav/addressbooks/demo@example.test/contacts/")) == 2,
      "a second import adds no event or contact")
imap.logout()

bad = os.path.join(work, "damaged.zip")
data = bytearray(open(zpath, "rb").read())
with zipfile.ZipFile(zpath) as z:
    info = z.getinfo("Takeout/Mail/All mail Including Spam and Trash.mbox")
    off = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 5
data[off] ^= 0xFF
open(bad, "wb").write(bytes(data))
cp = a.cli(["import", "takeout", bad, "--user", "demo@example.test"], check_rc=False)
check(cp.returncode == 1 and ("corrupt" in cp.stderr or "CRC" in cp.stderr), f"a damaged archive entry is reported ({cp.stderr.strip()[:200]})")
cp = a.cli(["import", "takeout", os.path.join(work, "old.mbox"), "--user", "demo@example.test"], check_rc=False)
check(cp.returncode == 1, "a missing archive is an error")
rc, _ = a.stop()
check(rc == 0, "server stops cleanly")
finish()
