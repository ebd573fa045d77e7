#!/usr/bin/python3
"""iMIP (RFC 6047) between two real instances and with Thunderbird's mail format.

A (alice@a.test, anna@a.test) on NET.2 and B (bob@b.test) on NET.3 find each other through
knot's MX records; each signs with its DKIM key, published in the zone with a DMARC record, so
DMARC passes at the receiving side. Alice invites anna (local) and bob (remote): bob's INBOX
gets the invitation mail (text/plain + text/calendar; method=REQUEST, DKIM-signed), bob's
schedule inbox and calendar get the event; bob accepts with a PUT on B, B mails the REPLY,
and alice's copy shows bob ACCEPTED. A Thunderbird-format REQUEST from an outside organizer
(tb@ext.test, SPF-aligned) lands in alice's schedule inbox and calendar and in her INBOX; a
Thunderbird-format REPLY from tb@ext.test to alice's own invitation sets tb's PARTSTAT.
Spoofed replies (From not the attendee; DMARC fail) are delivered to the INBOX but not
applied. Alice's DELETE sends a CANCEL that removes the event from bob's calendar.
The mail sent with smtplib from NET.20/NET.21 stands in for Thunderbird's SMTP client (its
message format is copied from Thunderbird's output, tests/e2e/dav/data/thunderbird_*.eml)."""
import os
import re
import smtplib
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mailauth"))
from hearth_test import NET, Instance, check, finish, set_key  # noqa: E402
from knot import Knot  # noqa: E402
from mailbox import messages  # noqa: E402
from mailauth_lib import dkim_records, txt_rdata  # noqa: E402
from davlib import Client  # noqa: E402
from queue_lib import wait_for  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
a = Instance("alice@a.test", host=2)
b = Instance("bob@b.test", host=3)
a.cli(["user", "add", "anna@a.test", "--password-stdin"], input="anna-password-123\n")


def zone(inst, host):
    z = f"@ MX 10 mail\nmail A {NET}.{host}\n_dmarc TXT \"v=DMARC1; p=none\"\n"
    for sel, value in dkim_records(inst, inst.domain).items():
        z += f"{sel}._domainkey TXT {txt_rdata(value)}\n"
    return z


zones = {"a.test": zone(a, 2), "b.test": zone(b, 3),
         "ext.test": f'@ TXT "v=spf1 ip4:{NET}.20 -all"\n_dmarc TXT "v=DMARC1; p=none"\n'}
dns = Knot(addr=f"{NET}.1", port=5353, zones=zones).start()
for inst in (a, b):
    set_key(inst.config, "dns", "servers", f'["{NET}.1:5353"]')
    set_key(inst.config, "smtp.outbound", "port", str(b.port("smtp")))
    set_key(inst.config, "smtp.queue", "first_retry", "1")
    inst.cli(["config", "check"])
a.start(wait_for="https")
b.start(wait_for="https")
TC = {"Content-Type": "text/calendar; charset=utf-8"}
alice = Client(a.addr, a.port("https"), a.hostname, a.ca_file(), "alice@a.test", a.password)
bob = Client(b.addr, b.port("https"), b.hostname, b.ca_file(), "bob@b.test", b.password)


def objects(c, path):
    r = c.propfind(path, ["<d:getetag/>"], depth="1")
    return [h for h in r.responses() if not h.endswith("/")]


def copy_of(c, user, uid):
    for h in objects(c, f"/dav/calendars/{user}/personal/"):
        g = c.request("GET", h)
        if f"UID:{uid}" in g.text:
            return h, g.text.replace("\r\n ", "")
    return None


def partstat(text, who):
    m = re.search(r"^ATTENDEE[^\r\n]*mailto:" + re.escape(who) + r"\r?$", text or "", re.M | re.I)
    ps = re.search(r'PARTSTAT="?([A-Z-]+)', m.group(0)) if m else None
    return ps.group(1) if ps else None


def inbox_with(inst, account, needle):
    return [m for m in messages(inst, account) if needle.encode() in m]


# --- alice invites anna (local) and bob (remote, by iMIP through b.test's MX) ---
UID = "imip-e2e-1"
EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\n"
         f"UID:{UID}\r\nSEQUENCE:0\r\nDTSTAMP:20300701T000000Z\r\nDTSTART:20300711T070000Z\r\n"
         "DTEND:20300711T080000Z\r\nSUMMARY:Quarterly review\r\nORGANIZER;CN=Alice:mailto:alice@a.test\r\n"
         "ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@a.test\r\nATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:anna@a.test\r\n"
         "ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@b.test\r\n"
         "ATTENDEE;CN=Tessa;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:tb@ext.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
ev = "/dav/calendars/alice@a.test/personal/review.ics"
r = alice.request("PUT", ev, EVENT, TC)
check(r.status == 201, f"alice's PUT: {r.status} {r.text[:200]}")
mail = wait_for(lambda: inbox_with(b, "bob@b.test", "Invitation: Quarterly review"), timeout=30)
check(bool(mail), "bob's INBOX has the invitation mail")
if mail:
    m = mail[0]
    check(b"multipart/alternative" in m and b"text/plain" in m and b"method=REQUEST" in m, "text/plain + text/calendar REQUEST")
    check(b"DKIM-Signature:" in m and re.search(rb"dmarc=pass", m) is not None, "signed, DMARC pass at B")
got = wait_for(lambda: copy_of(bob, "bob@b.test", UID), timeout=10)
check(got is not None and partstat(got[1], "bob@b.test") == "NEEDS-ACTION", "the event is in bob's calendar on B")
msgs = [bob.request("GET", h).text for h in objects(bob, "/dav/calendars/bob@b.test/schedule-inbox/")]
check(any("METHOD:REQUEST" in x and UID in x for x in msgs), "bob's schedule inbox has the REQUEST")

# --- bob accepts with his client (PUT with PARTSTAT on B): B mails the REPLY to alice ---
if got:
    body = re.sub(r"(ATTENDEE[^\r\n]*)PARTSTAT=NEEDS-ACTION([^\r\n]*mailto:bob@b.test)", r"\1PARTSTAT=ACCEPTED\2",
                  got[1], flags=re.I)
    r = bob.request("PUT", got[0], body, TC)
    check(r.status in (201, 204), f"bob accepts: {r.status}")
ok = wait_for(lambda: partstat(alice.request("GET", ev).text.replace("\r\n ", ""), "bob@b.test") == "ACCEPTED",
              timeout=30)
check(ok, "alice's copy shows bob ACCEPTED (iMIP REPLY over SMTP)")
check(bool(inbox_with(a, "alice@a.test", "method=REPLY")), "the REPLY mail also reached alice's INBOX")


def send_mx(inst, source, sender, to, msg):
    with smtplib.SMTP(inst.addr, inst.port("smtp"), timeout=30, local_hostname="tb.ext.test",
                      source_address=(source, 0)) as s:
        s.ehlo("tb.ext.test")
        s.mail(sender)
        s.rcpt(to)
        return s.data(msg.encode())


def thunderbird_reply(who, frm, ps, msgid, uid=UID):
    t = open(os.path.join(DATA, "thunderbird_reply.eml"), newline="").read()
    return t.format(msgid=msgid, uid=uid, summary="Quarterly review", organizer="alice@a.test", cn="Tessa",
                    partstat=ps, attendee=who, from_header=frm)


# --- Thunderbird's REPLY from tb@ext.test (SPF-aligned: DMARC pass) ---
code, _ = send_mx(a, f"{NET}.20", "tb@ext.test", "alice@a.test",
                  thunderbird_reply("tb@ext.test", "Tessa Bird <tb@ext.test>", "TENTATIVE", "tb-reply-1"))
check(code == 250, f"Thunderbird REPLY accepted over SMTP: {code}")
ok = wait_for(lambda: partstat(alice.request("GET", ev).text.replace("\r\n ", ""), "tb@ext.test") == "TENTATIVE",
              timeout=15)
check(ok, "Thunderbird's REPLY applied: tb TENTATIVE")

# --- spoofed replies: not applied, still delivered ---
code, _ = send_mx(a, f"{NET}.20", "tb@ext.test", "alice@a.test",
                  thunderbird_reply("bob@b.test", "Tessa Bird <tb@ext.test>", "DECLINED", "spoof-1"))
code2, _ = send_mx(a, f"{NET}.21", "bob@b.test", "alice@a.test",
                   thunderbird_reply("bob@b.test", "Bob <bob@b.test>", "DECLINED", "spoof-2"))
check(code == 250 and code2 == 250, f"spoofed replies accepted as mail: {code} {code2}")
wait_for(lambda: len(inbox_with(a, "alice@a.test", "spoof-")) >= 2, timeout=15)
check(len(inbox_with(a, "alice@a.test", "spoof-")) == 2, "both spoofed replies are in alice's INBOX")
text = alice.request("GET", ev).text.replace("\r\n ", "")
check(partstat(text, "bob@b.test") == "ACCEPTED", "spoofed DECLINED (other sender, DMARC fail) not applied")
log = a.log()
check("From not authenticated" in log and "not the sender" in log, "the log says why they were ignored")

# --- Thunderbird's REQUEST from an outside organizer lands in alice's calendar ---
t = open(os.path.join(DATA, "thunderbird_request.eml"), newline="").read()
code, _ = send_mx(a, f"{NET}.20", "tb@ext.test", "alice@a.test",
                  t.format(msgid="tb-request-1", uid="tb-request-uid-1", attendee="alice@a.test"))
check(code == 250, f"Thunderbird REQUEST accepted: {code}")
got = wait_for(lambda: copy_of(alice, "alice@a.test", "tb-request-uid-1"), timeout=15)
check(got is not None and partstat(got[1], "alice@a.test") == "NEEDS-ACTION",
      "Thunderbird's invitation is in alice's calendar, NEEDS-ACTION")
check(bool(inbox_with(a, "alice@a.test", "tb-request-1")), "and the invitation mail in her INBOX")

# --- cancel: alice deletes, bob's copy goes away on B ---
r = alice.request("DELETE", ev)
check(r.status == 204, f"alice deletes: {r.status}")
gone = wait_for(lambda: copy_of(bob, "bob@b.test", UID) is None, timeout=30)
check(gone, "the CANCEL removed the event from bob's calendar")
check(copy_of(Client(a.addr, a.port("https"), a.hostname, a.ca_file(), "anna@a.test", "anna-password-123"),
              "anna@a.test", UID) is None, "and from anna's (local)")
finish()
