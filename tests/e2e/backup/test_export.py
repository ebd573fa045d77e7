"""`hearth export` round trip: an account filled over SMTP, IMAP and CalDAV/CardDAV is exported,
the Maildir tree, .ics and .vcf files are imported into a fresh instance with `hearth import`,
and the new instance serves the same mailboxes (names, messages byte for byte, flags, internal
dates), events and contacts (compared over IMAP and DAV). The chat roster and archive are
written as JSON lines (read back by the test; Hearth has no chat import).
"""
import json
import os
import smtplib
import ssl
import tempfile

from hearth_test import Instance, check, finish
from backup_lib import dav_client, dav_objects, imap_login, mailbox_names, mutf7_encode, read_mailbox

a = Instance("demo@example.test", host=1)
a.start()
ctx = ssl.create_default_context(cafile=a.ca_file())
out = os.path.join(tempfile.mkdtemp(prefix="hearth-export-", dir=a.dir), "export")

# ---- fill over SMTP ----
s = smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.remote.test", timeout=20)
for i in range(3):
    s.sendmail("alice@remote.test", ["demo@example.test"],
               f"From: alice@remote.test\r\nTo: demo@example.test\r\nSubject: smtp {i}\r\n"
               f"Message-ID: <smtp{i}@remote.test>\r\n\r\nbody {i}\r\n")
s.quit()
# ---- IMAP: folders, appends with flags, keywords and dates, a copy, flag changes ----
imap = imap_login(a, a.password)
for name in ["Work", "Work/Projects", "Entwürfe", "v1.2 notes"]:
    typ, _ = imap.create('"' + mutf7_encode(name) + '"')
    check(typ == "OK", f"CREATE {name}")
msg = lambda i: (f"From: demo@example.test\r\nSubject: append {i}\r\nMessage-ID: <app{i}@example.test>\r\n\r\n"
                 f"appended {i}\r\n").encode()
imap.append('"Work/Projects"', "(\\Seen \\Flagged $Label1 Urgent)", '"05-Mar-2021 10:11:12 +0000"', msg(1))
imap.append('"' + mutf7_encode("Entwürfe") + '"', "(\\Draft)", '"06-Mar-2021 10:11:12 +0100"', msg(2))
imap.append('"v1.2 notes"', "(\\Answered $Forwarded)", None, msg(3))
imap.append("Sent", "(\\Seen)", None, msg(4))
imap.select("INBOX")
imap.uid("STORE", "1", "+FLAGS", "(\\Seen Later)")
imap.uid("COPY", "2", "Work")
imap.uid("STORE", "3", "+FLAGS", "(\\Deleted)")
names_a = sorted(mailbox_names(imap))
mail_a = {n: sorted(read_mailbox(imap, n)) for n in names_a}
imap.logout()

# ---- DAV: events in two calendars (one with a time zone), contacts ----
dav = dav_client(a, a.password)
dav.request("PROPFIND", "/dav/principals/demo@example.test/", '<d:propfind xmlns:d="DAV:"><d:prop><d:displayname/></d:prop></d:propfind>', {"Depth": "0"})
r = dav.request("MKCALENDAR", "/dav/calendars/demo@example.test/team/")
check(r.status == 201, f"MKCALENDAR team ({r.status})")
tz = ("BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\n"
      "TZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n"
      "DTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
      "END:DAYLIGHT\r\nEND:VTIMEZONE\r\n")


def event(uid, summary, tzid=None):
    start = f"DTSTART;TZID={tzid}:20270110T090000" if tzid else "DTSTART:20270110T090000Z"
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + (tz if tzid else "") +
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n{start}\r\nDURATION:PT1H\r\n"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


puts = [("/dav/calendars/demo@example.test/personal/ev1.ics", event("ev1", "Dentist")),
        ("/dav/calendars/demo@example.test/personal/ev2.ics", event("ev2", "Paris call", "Europe/Paris")),
        ("/dav/calendars/demo@example.test/team/ev3.ics", event("ev3", "Team standup", "Europe/Paris")),
        ("/dav/addressbooks/demo@example.test/contacts/c1.vcf",
         "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Alice Martin\r\nEMAIL:alice@remote.test\r\nEND:VCARD\r\n"),
        ("/dav/addressbooks/demo@example.test/contacts/c2.vcf",
         "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c2\r\nFN:Bob Durand\r\nTEL:+33 1 23 45 67 89\r\nEND:VCARD\r\n")]
for path, body in puts:
    ct = "text/calendar" if path.endswith(".ics") else "text/vcard"
    r = dav.request("PUT", path, body, {"Content-Type": ct})
    check(r.status in (201, 204), f"PUT {path} ({r.status})")
cols = ["/dav/calendars/demo@example.test/personal/", "/dav/calendars/demo@example.test/team/",
        "/dav/addressbooks/demo@example.test/contacts/"]
dav_a = {c: dav_objects(dav, c) for c in cols}

# ---- XMPP: a roster entry with a name and a group, a chat message in the archive ----
import asyncio
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "xmpp"))
from xmpp_util import login, run  # noqa: E402

a.cli(["user", "add", "bob@example.test", "--password-stdin"], input="pw-bob-secret\n")


async def chat():
    me = await login(a, "demo@example.test", a.password, resource="export")
    bob = await login(a, "bob@example.test", "pw-bob-secret", resource="b")
    await me.update_roster("bob@example.test", name="Bob Durand", groups=["Friends"])
    me.send_message(mto="bob@example.test", mbody="see you at the export", mtype="chat")
    check(await bob.wait_until(lambda: any(m["body"] == "see you at the export" for m in bob.messages)),
          "XMPP message delivered")
    await asyncio.sleep(0.5)
    me.disconnect()
    bob.disconnect()
    await asyncio.sleep(0.3)

run(chat())

cp = a.cli(["export", "demo@example.test", out], check_rc=False)
print(cp.stdout.strip(), cp.stderr.strip())
check(cp.returncode == 0, "export succeeds")
check(os.path.isdir(os.path.join(out, "mail", "cur")) and os.path.isdir(os.path.join(out, "mail", ".Work.Projects", "cur")),
      "mail/ is a Maildir++ tree")
kw = open(os.path.join(out, "mail", ".Work.Projects", "dovecot-keywords")).read()
check("$Label1" in kw and "Urgent" in kw, f"keywords in dovecot-keywords ({kw.strip()!r})")
for f in ["calendars/personal.ics", "calendars/team.ics", "contacts/contacts.vcf", "xmpp/roster.jsonl", "xmpp/archive.jsonl"]:
    check(os.path.isfile(os.path.join(out, f)), f"{f} written")
team = open(os.path.join(out, "calendars", "personal.ics")).read()
check(team.count("BEGIN:VCALENDAR") == 1 and team.count("BEGIN:VEVENT") == 2 and team.count("BEGIN:VTIMEZONE") == 1,
      "one VCALENDAR per calendar, time zone once")
roster = [json.loads(l) for l in open(os.path.join(out, "xmpp", "roster.jsonl")) if l.strip()]
check(any(r["jid"] == "bob@example.test" and r["name"] == "Bob Durand" and r["groups"] == ["Friends"] for r in roster),
      f"xmpp/roster.jsonl holds the contact with its name and group ({roster})")
archive = [json.loads(l) for l in open(os.path.join(out, "xmpp", "archive.jsonl")) if l.strip()]
check(any(m["with"] == "bob@example.test" and "see you at the export" in m["stanza"] and m["stamp"].endswith("Z")
          for m in archive), f"xmpp/archive.jsonl holds the chat message ({archive[:2]})")
cp = a.cli(["export", "demo@example.test", out], check_rc=False)
check(cp.returncode == 1 and "not empty" in cp.stderr, "export refuses a non-empty folder")
a.stop()

# ---- a fresh instance, filled from the files ----
b = Instance("demo@example.test", host=2)
b.start()
cp = b.cli(["import", "maildir", os.path.join(out, "mail"), "--user", "demo@example.test"], check_rc=False)
print(cp.stdout.strip(), cp.stderr.strip())
check(cp.returncode == 0, "import maildir of the export")
for kind, sub, opt in (("ics", "calendars", "--calendar"), ("vcf", "contacts", "--addressbook")):
    for f in sorted(os.listdir(os.path.join(out, sub))):
        cp = b.cli(["import", kind, os.path.join(out, sub, f), "--user", "demo@example.test", opt, f.rsplit(".", 1)[0]],
                   check_rc=False)
        check(cp.returncode == 0, f"import {kind} {f} ({cp.stdout.strip()})")
imap = imap_login(b, b.password)
names_b = sorted(mailbox_names(imap))
check(names_b == names_a, f"same mailboxes ({names_b} vs {names_a})")
for n in names_a:
    got = sorted(read_mailbox(imap, n))
    check(got == mail_a[n], f"{n}: same {len(mail_a[n])} messages, bytes, flags, internal dates"
          + ("" if got == mail_a[n] else f" (got {got}, want {mail_a[n]})"))
imap.logout()
dav_b = dav_client(b, b.password)
for c in cols:
    got = dav_objects(dav_b, c)
    check(got == dav_a[c] and len(got) > 0, f"{c}: same {len(dav_a[c])} objects over DAV"
          + ("" if got == dav_a[c] else f" (got {got}, want {dav_a[c]})"))
rc, _ = b.stop()
check(rc == 0, "the new instance stops cleanly")
finish()
