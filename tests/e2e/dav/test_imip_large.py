#!/usr/bin/python3
"""iMIP (RFC 6047) in a 40 MB message: a small text/calendar part after a 40 MB attachment
reaches the calendar, found and read in pieces without the server holding the message.

One instance; anna sends alice, over authenticated submission (so her From is trusted, as
in e2e.dav_imip_local), a multipart/mixed message: a text/plain part, a 40 MB
application/octet-stream part (base64), then a text/calendar REQUEST from anna with alice as
attendee. The invitation lands in alice's calendar, and the server's peak resident size
(VmHWM) grows by well under the message's size while it arrives, is filed and read for its
calendar part. A calendar part larger than 256 KiB at the same place stays ignored.
Run on SQLite (e2e.dav_imip_large) and PostgreSQL (e2e_pg.dav_imip_large).
"""
import base64
import imaplib
import os
import random
import re
import smtplib
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import hearth_test as ht  # noqa: E402
from big_message import vm_hwm_kib  # noqa: E402
from davlib import Client  # noqa: E402
from hearth_test import check, finish  # noqa: E402

BODY_MB = 40
# The spill file's pieces, the MIME structure's header sections, one blob piece and the
# database's page caches (e2e.smtp_stream measures about 9 MiB for the same path without
# iMIP); reading the message whole for its calendar part costs 40 MiB or more.
LIMIT_MB = 24
ALICE, ANNA = "alice@example.test", "anna@example.test"
ANNA_PW = "anna-password-123"
inst = ht.Instance(ALICE, host=12 if ht.PG_URL else 2)
inst.cli(["user", "add", ANNA, "--password-stdin"], input=ANNA_PW + "\n")
inst.start(wait_for="https")
dav = Client(inst.addr, inst.port("https"), inst.hostname, inst.ca_file(), ALICE, inst.password)
dav.propfind(f"/dav/calendars/{ALICE}/", ["<d:displayname/>"], depth="1")  # calendars made


def event(uid, summary, pad=0):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nSEQUENCE:0\r\nDTSTAMP:20300701T000000Z\r\nDTSTART:20300711T070000Z\r\n"
            f"DTEND:20300711T080000Z\r\nSUMMARY:{summary}\r\n"
            + "".join(f"COMMENT:{'x' * 70}\r\n" for _ in range(pad // 80)) +
            f"ORGANIZER;CN=Anna:mailto:{ANNA}\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{ANNA}\r\n"
            f"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{ALICE}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def message(uid, summary, seed, pad=0):
    rng = random.Random(seed)
    blob = base64.encodebytes(rng.randbytes(BODY_MB * 3 << 18)).replace(b"\n", b"\r\n")
    b = f"=_large_imip_{seed}"
    return (f"From: Anna <{ANNA}>\r\nTo: <{ALICE}>\r\nSubject: {summary}\r\n"
            f"Message-ID: <{uid}@imip.test>\r\nDate: Mon, 07 Dec 2026 16:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/mixed; boundary="{b}"\r\n\r\n'
            f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe slides, and an invitation.\r\n"
            f"--{b}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
            f'Content-Disposition: attachment; filename="slides.bin"\r\n\r\n').encode() + blob + (
            f"--{b}\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n"
            + event(uid, summary, pad) + f"--{b}--\r\n").encode()


def submit(msg):
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    with smtplib.SMTP(inst.addr, inst.port("submission"), timeout=300) as s:
        s.starttls(context=ctx)
        s.login(ANNA, ANNA_PW)
        return s.sendmail(ANNA, [ALICE], msg)


def copy_of(uid):
    r = dav.propfind(f"/dav/calendars/{ALICE}/personal/", ["<d:getetag/>"], depth="1")
    for h in r.responses():
        if not h.endswith("/"):
            g = dav.request("GET", h)
            if f"UID:{uid}" in g.text:
                return g.text.replace("\r\n ", "")
    return None


def inbox_count():
    ctx = ssl.create_default_context(cafile=inst.ca_file())
    imap = imaplib.IMAP4_SSL(inst.addr, inst.port("imaps"), ssl_context=ctx, timeout=60)
    try:
        imap.login(ALICE, inst.password)
        typ, data = imap.status("INBOX", "(MESSAGES)")
        return int(re.search(rb"MESSAGES (\d+)", data[0]).group(1)) if typ == "OK" else 0
    finally:
        imap.logout()


msg = message("large-imip-1", "Review with slides", 1)
hwm0 = vm_hwm_kib(inst.proc.pid)
check(submit(msg) == {}, f"submission accepts the {len(msg) >> 20} MiB invitation")
got = ht.wait_for(lambda: copy_of("large-imip-1"), timeout=120)
time.sleep(1)
grew = (vm_hwm_kib(inst.proc.pid) - hwm0) / 1024
load = " ".join(f"{x:.2f}" for x in os.getloadavg())
print(f"info iMIP: peak RSS {hwm0 >> 10} -> {vm_hwm_kib(inst.proc.pid) >> 10} MiB "
      f"(+{grew:.1f} MiB for {len(msg) >> 20} MiB, calendar part at its end; load average {load})", flush=True)
check(got is not None and "SUMMARY:Review with slides" in got,
      "the calendar part after the 40 MB attachment reached alice's calendar")
check(grew < LIMIT_MB, f"peak RSS grows by {grew:.1f} MiB, under {LIMIT_MB}")

# Past 256 KiB a calendar part in mail is ignored, wherever it is.
big = message("large-imip-2", "Too long an invitation", 2, pad=300 * 1024)
check(submit(big) == {}, "submission accepts a second one with a 300 KiB calendar part")
check(ht.wait_for(lambda: inbox_count() == 2, timeout=60), "both messages are in alice's INBOX")
check(copy_of("large-imip-2") is None, "a calendar part over 256 KiB stays out of the calendar")
finish()
