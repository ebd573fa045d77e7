#!/usr/bin/python3
"""iMIP between two local users (RFC 6047) on one instance.

Mail between local users never passes the MX checks, so it carries no Authentication-Results
to trust: it is applied when it came through authenticated submission from an account that
owns its From. Alice keeps a meeting whose attendee anna is scheduled by the client
(SCHEDULE-AGENT=CLIENT, as Thunderbird does with iMIP): Alice's REQUEST mailed through
submission lands in anna's calendar; anna's Thunderbird-format REPLY mailed through submission
sets her PARTSTAT in alice's copy. Not applied, though delivered to the INBOX: the same REPLY
sent unauthenticated on port 25 (a spoof: no DMARC pass for a local domain here), and a REQUEST
claiming to come from alice on port 25. A user who authenticates as bert but writes
From: anna is refused by submission itself. smtplib stands in for Thunderbird's SMTP client
(the messages are Thunderbird's format, tests/e2e/dav/data/thunderbird_*.eml)."""
import os
import re
import smtplib
import ssl
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mail"))
import hearth_test as ht  # noqa: E402
from hearth_test import NET, check, finish  # noqa: E402
from davlib import Client  # noqa: E402
from knot import Knot  # noqa: E402
from mailbox import messages  # noqa: E402
from queue_lib import wait_for  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
ALICE, ANNA, BERT = "alice@example.test", "anna@example.test", "bert@example.test"
inst = ht.Instance(ALICE, host=2)
PW = {ANNA: "anna-password-123", BERT: "bert-password-123"}
for u, pw in PW.items():
    inst.cli(["user", "add", u, "--password-stdin"], input=pw + "\n")
# Our domain's published policy (knot): no outside host may send as it, so port 25 gets SPF and
# DMARC fail for a forged local From (p=none: delivered, never trusted).
dns = Knot(addr=f"{NET}.1", port=5353, zones={"example.test": f'@ MX 10 mail\nmail A {NET}.2\n'
                                                               '@ TXT "v=spf1 -all"\n_dmarc TXT "v=DMARC1; p=none"\n'}).start()
ht.set_key(inst.config, "dns", "servers", f'["{NET}.1:5353"]')
inst.start(wait_for="https")
PW[ALICE] = inst.password
TC = {"Content-Type": "text/calendar; charset=utf-8"}
dav = {u: Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), u, PW[u]) for u in PW}
for u in PW:  # each user's client has been there once (calendars made)
    dav[u].propfind(f"/dav/calendars/{u}/", ["<d:displayname/>"], depth="1")


def submit(user, sender, to, msg):
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    ctx.check_hostname = False
    with smtplib.SMTP(inst.addr, inst.port("submission"), timeout=30) as s:
        s.starttls(context=ctx)
        s.login(user, PW[user])
        try:
            s.sendmail(sender, [to], msg.encode())
            return 250
        except smtplib.SMTPResponseException as e:
            return e.smtp_code
        except smtplib.SMTPRecipientsRefused as e:
            return list(e.recipients.values())[0][0]


def send_mx(sender, to, msg):
    with smtplib.SMTP(inst.addr, inst.port("smtp"), timeout=30, local_hostname="spoof.test",
                      source_address=(f"{NET}.20", 0)) as s:
        try:
            s.sendmail(sender, [to], msg.encode())
            return 250
        except smtplib.SMTPResponseException as e:
            return e.smtp_code
        except smtplib.SMTPRecipientsRefused as e:
            return list(e.recipients.values())[0][0]


def copy_of(user, uid):
    c = dav[user]
    r = c.propfind(f"/dav/calendars/{user}/personal/", ["<d:getetag/>"], depth="1")
    for h in r.responses():
        if h.endswith("/"):
            continue
        g = c.request("GET", h)
        if f"UID:{uid}" in g.text:
            return h, g.text.replace("\r\n ", "")
    return None


def partstat(text, who):
    m = re.search(r"^ATTENDEE[^\r\n]*mailto:" + re.escape(who) + r"\r?$", text or "", re.M | re.I)
    ps = re.search(r'PARTSTAT="?([A-Z-]+)', m.group(0)) if m else None
    return ps.group(1) if ps else None


def tb_request(uid, msgid, organizer, attendee):
    t = open(os.path.join(DATA, "thunderbird_request.eml"), newline="").read()
    t = t.replace("Tessa Bird <tb@ext.test>", f"<{organizer}>").replace("mailto:tb@ext.test", f"mailto:{organizer}")
    t = t.replace("To: alice@a.test", f"To: {attendee}").replace("(alice@a.test)", f"({attendee})")
    # The attached copy (base64) is Thunderbird's duplicate; the text/calendar part is what counts.
    return t.format(msgid=msgid, uid=uid, attendee=attendee).replace("@ext.test>", "@example.test>", 1)


def tb_reply(uid, msgid, organizer, attendee, frm, ps):
    t = open(os.path.join(DATA, "thunderbird_reply.eml"), newline="").read()
    return t.format(msgid=msgid, uid=uid, summary="Planning", organizer=organizer, cn="Anna", partstat=ps,
                    attendee=attendee, from_header=frm)


def inbox_with(account, needle):
    return [m for m in messages(inst, account) if needle.encode() in m]


# --- alice's REQUEST to anna through submission ---
code = submit(ALICE, ALICE, ANNA, tb_request("local-req-1", "local-req-1", ALICE, ANNA))
check(code == 250, f"alice submits the invitation: {code}")
got = wait_for(lambda: copy_of(ANNA, "local-req-1"), timeout=15)
check(got is not None and partstat(got[1], ANNA) == "NEEDS-ACTION", "alice's invitation is in anna's calendar")
check(bool(wait_for(lambda: inbox_with(ANNA, "local-req-1"), timeout=10)), "and the mail in anna's INBOX")

# --- a REQUEST claiming to be alice's, on port 25 without authentication ---
code = send_mx(ALICE, ANNA, tb_request("spoofed-req-1", "spoofed-req-1", ALICE, ANNA))
if code == 250:
    wait_for(lambda: inbox_with(ANNA, "spoofed-req-1"), timeout=10)
check(copy_of(ANNA, "spoofed-req-1") is None, f"a REQUEST spoofed on port 25 is not applied (SMTP {code})")

# --- anna's REPLY to alice's own meeting, through submission ---
UID = "local-meeting-1"
EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\n"
         f"UID:{UID}\r\nSEQUENCE:0\r\nDTSTAMP:20300701T000000Z\r\nDTSTART:20300711T070000Z\r\n"
         f"DTEND:20300711T080000Z\r\nSUMMARY:Planning\r\nORGANIZER:mailto:{ALICE}\r\n"
         f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{ALICE}\r\n"
         f"ATTENDEE;SCHEDULE-AGENT=CLIENT;PARTSTAT=NEEDS-ACTION:mailto:{ANNA}\r\n"
         f"ATTENDEE;SCHEDULE-AGENT=CLIENT;PARTSTAT=NEEDS-ACTION:mailto:{BERT}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
ev = f"/dav/calendars/{ALICE}/personal/planning.ics"
r = dav[ALICE].request("PUT", ev, EVENT, TC)
check(r.status == 201, f"alice's meeting (attendees scheduled by her client): {r.status}")


def alice_ps(who):
    return partstat(dav[ALICE].request("GET", ev).text.replace("\r\n ", ""), who)


# Spoofs first, so that a later real reply cannot hide a wrongly applied one.
code = send_mx(ANNA, ALICE, tb_reply(UID, "spoof-reply-1", ALICE, ANNA, f"Anna <{ANNA}>", "DECLINED"))
if code == 250:
    wait_for(lambda: inbox_with(ALICE, "spoof-reply-1"), timeout=10)
check(alice_ps(ANNA) == "NEEDS-ACTION", f"a REPLY spoofed on port 25 is not applied (SMTP {code})")
code = submit(BERT, BERT, ALICE, tb_reply(UID, "spoof-reply-2", ALICE, ANNA, f"Anna <{ANNA}>", "DECLINED"))
check(code == 553, f"bert writing From: anna is refused by submission: {code}")
code = submit(BERT, BERT, ALICE, tb_reply(UID, "bert-as-anna", ALICE, ANNA, f"Bert <{BERT}>", "DECLINED"))
check(code == 250, f"bert sends a REPLY naming anna as the attendee: {code}")
wait_for(lambda: inbox_with(ALICE, "bert-as-anna"), timeout=10)
check(alice_ps(ANNA) == "NEEDS-ACTION", "a REPLY whose attendee is not its authenticated sender is not applied")

code = submit(ANNA, ANNA, ALICE, tb_reply(UID, "real-reply-1", ALICE, ANNA, f"Anna <{ANNA}>", "ACCEPTED"))
check(code == 250, f"anna submits her REPLY: {code}")
check(wait_for(lambda: alice_ps(ANNA) == "ACCEPTED", timeout=15), "anna's REPLY applied: ACCEPTED in alice's copy")
check(bool(inbox_with(ALICE, "real-reply-1")), "and the REPLY mail is in alice's INBOX")
log = inst.log()
check("From not authenticated" in log and "not the sender" in log, "the log says why the others were ignored")
finish()
