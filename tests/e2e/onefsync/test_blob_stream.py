"""A 40 MB message with every body in the database ([database] blob_store = "database", parts
of 1 MiB) is read back whole and in ranges over IMAP and POP3, byte for byte, without the
server holding it in memory.

The message is stored twice: once over SMTP (port 25) and once by IMAP APPEND of a 40 MB
literal (a different Subject, so two blobs). Then the server is restarted, so that its peak
resident size (VmHWM in /proc/PID/status) starts from what start-up and a login cost, and:

- IMAP (implicit TLS): UID FETCH BODY.PEEK[] of each (byte-identical to what was sent),
  BODY.PEEK[]<0.1024>, a range across the first part edge (<1048570.20>), a range in the last,
  partial part, a range past the end (empty), BINARY.PEEK[] and BINARY.SIZE[];
- POP3 (implicit TLS): RETR of each (the same bytes as IMAP's, dot-stuffing undone by poplib)
  and TOP 3 lines.

Both messages are multipart (text, an alternative holding the 40 MB, a message/rfc822) with
the same body: FETCH BODYSTRUCTURE ENVELOPE of the appended one, whose summary was built while
its literal streamed, must not take the peak up and must equal the SMTP copy's (made by parsing
the whole message) but for the Subject; SEARCH SUBJECT finds it.

The peak must grow by well under the body's size (under 32 MB for a 40 MB body; SQLite's page
caches on the store pool's threads account for up to about 20): with the body copied into the
reply it grows by several times the body. The SMTP store phase's growth is printed for
information only (e2e.smtp_stream bounds it).
Run on SQLite (e2e.blob_stream) and PostgreSQL (e2e_pg.blob_stream); on SQLite the body is
in hearth.db, on PostgreSQL in its blob_parts table.
"""
import imaplib
import os
import poplib
import re
import smtplib
import ssl

from big_message import lines_message, vm_hwm_kib
from hearth_test import Instance, check, finish, set_key

RCPT = "demo@example.test"
BODY_MB = 40
PART = 1024 * 1024
LIMIT_MB = 32
# APPEND: pieces of 256 KiB on their way to the blob store, 1 MiB parts into the database and
# its page caches; holding the literal costs several times the body.
APPEND_LIMIT_MB = 24


def message(subject, seed):
    """A multipart message: a short text, a multipart/alternative whose plain part holds the
    40 MB, and a forwarded message/rfc822, so that its BODYSTRUCTURE and ENVELOPE have depth."""
    head = (f"From: Sender <sender@remote.test>\r\nTo: <{RCPT}>\r\nSubject: {subject}\r\n"
            f"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{seed}@remote.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_outer\"\r\n\r\n"
            "This is a multi-part message.\r\n--=_outer\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            "short text\r\n--=_outer\r\nContent-Type: multipart/alternative; boundary=\"=_alt\"\r\n\r\n"
            "--=_alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Description: the big part\r\n\r\n").encode()
    tail = ("\r\n--=_alt\r\nContent-Type: text/html\r\n\r\n<p>big</p>\r\n--=_alt--\r\n--=_outer\r\n"
            "Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"fwd.eml\"\r\n\r\n"
            "From: Inner <inner@remote.test>\r\nTo: <other@remote.test>\r\nSubject: inner\r\n\r\n"
            "inner body\r\n--=_outer--\r\n").encode()
    # The bulk's last CRLF belongs to the delimiter that follows it.
    return lines_message(head, BODY_MB, seed)[:-2] + tail


a = Instance(RCPT, host=1)
set_key(a.config, "database", "blob_store", '"database"')
a.start(wait_for="imaps")
ctx = ssl.create_default_context(cafile=a.ca_file())

# The same body under two subjects: the SMTP copy's summary is made by parsing the whole
# message, the streamed APPEND's while its literal arrives; both must answer alike.
smtp_msg = message("over smtp", 2)
append_msg = message("over append", 2)
hwm0 = vm_hwm_kib(a.proc.pid)
with smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.remote.test", timeout=120) as s:
    s.sendmail("sender@remote.test", [RCPT], smtp_msg)
print(f"info SMTP: peak RSS {hwm0 >> 10} -> {vm_hwm_kib(a.proc.pid) >> 10} MiB "
      f"(DATA of {len(smtp_msg) >> 20} MiB)")
# Its BODYSTRUCTURE and ENVELOPE now, while the peak is not measured: this FETCH parses it whole.
imap = imaplib.IMAP4_SSL(a.addr, a.port("imaps"), ssl_context=ctx, timeout=120)
imap.login(RCPT, a.password)
imap.select("INBOX", readonly=True)
typ, data = imap.fetch("1", "(BODYSTRUCTURE ENVELOPE)")
smtp_summary = data[0] if typ == "OK" and data and isinstance(data[0], bytes) else b""
check(b"BODYSTRUCTURE (" in smtp_summary, f"FETCH BODYSTRUCTURE of the SMTP copy ({smtp_summary[:120]})")
imap.logout()

# APPEND from a fresh peak: the literal is written to the blob store as it arrives.
rc, _ = a.stop(timeout=30)
a.start(wait_for="imaps")
imap = imaplib.IMAP4_SSL(a.addr, a.port("imaps"), ssl_context=ctx, timeout=120)
imap.login(RCPT, a.password)
hwm_append = vm_hwm_kib(a.proc.pid)
typ, data = imap.append("INBOX", None, None, append_msg)
check(typ == "OK", f"APPEND of a {len(append_msg) >> 20} MiB literal is accepted ({typ} {data})")
imap.logout()
grew = (vm_hwm_kib(a.proc.pid) - hwm_append) / 1024
print(f"info APPEND: peak RSS {hwm_append >> 10} -> {vm_hwm_kib(a.proc.pid) >> 10} MiB")
check(grew < APPEND_LIMIT_MB, f"APPEND of a {BODY_MB} MB literal grows the peak RSS by {grew:.1f} MiB, "
      f"under {APPEND_LIMIT_MB}")

blob_files = [f for d, _, fs in os.walk(os.path.join(a.dir, "data", "blobs")) if os.path.basename(d) != "tmp"
              for f in fs]
check(not blob_files, f"with blob_store = \"database\" no body is a file ({len(blob_files)})")

rc, _ = a.stop(timeout=30)
a.start(wait_for="imaps")
pid = a.proc.pid
imap = imaplib.IMAP4_SSL(a.addr, a.port("imaps"), ssl_context=ctx, timeout=120)
imap.login(RCPT, a.password)
imap.select("INBOX", readonly=True)
hwm_start = vm_hwm_kib(pid)


def summary_of(uid):
    typ, data = imap.uid("FETCH", uid, "(BODYSTRUCTURE ENVELOPE)")
    if typ != "OK" or not data or not isinstance(data[0], bytes):
        return b""
    # "* N FETCH (BODYSTRUCTURE (...) ENVELOPE (...) UID u)": from BODYSTRUCTURE on, the UID
    # left out (the SMTP copy's answer was to a FETCH without one).
    return re.sub(rb" UID \d+\)$", b")", data[0][data[0].find(b"BODYSTRUCTURE"):])


def fetch(uid, what):
    typ, data = imap.uid("FETCH", uid, f"({what})")
    if typ != "OK" or not data or not isinstance(data[0], tuple):
        return typ, data
    return typ, data[0][1]


typ, data = imap.uid("SEARCH", None, "ALL")
uids = data[0].split() if typ == "OK" else []
check(len(uids) == 2, f"both messages are in the INBOX ({uids})")
whole = {}
for uid in uids:
    typ, raw = fetch(uid.decode(), "BODY.PEEK[]")
    whole[uid] = raw if typ == "OK" and isinstance(raw, bytes) else b""
by_subject = {(b"over smtp" if b"Subject: over smtp" in v[:4096] else b"over append"): (u, v) for u, v in whole.items()}
su, sraw = by_subject.get(b"over smtp", (None, b""))
au, araw = by_subject.get(b"over append", (None, b""))
check(sraw.endswith(smtp_msg) and len(sraw) - len(smtp_msg) < 4096,
      f"IMAP BODY[] of the SMTP message is the bytes sent after the trace headers ({len(sraw)} bytes)")
check(araw == append_msg, f"IMAP BODY[] of the appended message is the literal, byte for byte ({len(araw)} bytes)")

u = au.decode() if au else "1"
# The streamed APPEND stored its summary: BODYSTRUCTURE and ENVELOPE come without reading the
# 40 MB (a parse of the whole message would take the peak up by more than its size), and
# equal the SMTP copy's, made by the whole-message parser, but for the Subject.
before = vm_hwm_kib(pid)
streamed = summary_of(u)
grew_summary = (vm_hwm_kib(pid) - before) / 1024
print(f"info FETCH BODYSTRUCTURE ENVELOPE of the appended message: peak RSS +{grew_summary:.1f} MiB")
check(b"BODYSTRUCTURE ((" in streamed and b'"MIXED"' in streamed and b'"inner"' in streamed,
      f"BODYSTRUCTURE and ENVELOPE of the appended message ({streamed[:200]})")
check(grew_summary < 8, f"FETCH BODYSTRUCTURE ENVELOPE of a 40 MB APPEND grows the peak RSS by "
      f"{grew_summary:.1f} MiB, under 8")
reference = smtp_summary[smtp_summary.find(b"BODYSTRUCTURE"):].replace(b'"over smtp"', b'"over append"')
reference = reference.replace(b"\r\n", b"")
at = next((i for i, (x, y) in enumerate(zip(streamed, reference)) if x != y), min(len(streamed), len(reference)))
check(streamed == reference, f"they equal the SMTP copy's but for the Subject (from octet {at}: "
      f"{streamed[max(0, at - 40):at + 80]} / {reference[max(0, at - 40):at + 80]})")
typ, data = imap.uid("SEARCH", None, "SUBJECT", '"over append"')
check(typ == "OK" and data[0].split() == [au], f"SEARCH SUBJECT finds the appended message ({data})")
for (off, n) in [(0, 1024), (PART - 6, 20), (PART, 5), (len(append_msg) - 100, 1000)]:
    typ, got = fetch(u, f"BODY.PEEK[]<{off}.{n}>")
    check(typ == "OK" and got == append_msg[off:off + n], f"BODY.PEEK[]<{off}.{n}> is those bytes ({len(got or b'')})")
typ, got = fetch(u, f"BODY.PEEK[]<{len(append_msg) + 10}.5>")
check(typ == "OK" and got == b"", f"a range past the end is empty ({str(got)[:120]})")
typ, got = fetch(u, "BINARY.PEEK[]")
check(typ == "OK" and got == append_msg, f"BINARY.PEEK[] is the message ({len(got or b'')} bytes)")
typ, data = imap.uid("FETCH", u, "(BINARY.SIZE[] RFC822.SIZE)")
check(typ == "OK" and b"BINARY.SIZE[] %d" % len(append_msg) in data[0] and b"RFC822.SIZE %d" % len(append_msg) in data[0],
      f"BINARY.SIZE[] and RFC822.SIZE ({data[0][:120]})")
imap.logout()

pop = poplib.POP3_SSL(a.addr, a.port("pop3s"), context=ctx, timeout=120)
pop.user(RCPT)
pop.pass_(a.password)
listing = {}
for line in pop.uidl()[1]:
    n, uidl = line.split()
    listing[uidl.split(b".")[-1]] = n.decode()
for uid, raw in [(su, sraw), (au, araw)]:
    n = listing.get(uid)
    resp, lines, octets = pop.retr(n) if n else (b"", [], 0)
    got = b"\r\n".join(lines) + b"\r\n"
    check(resp.startswith(b"+OK") and got == raw, f"POP3 RETR {n} is the message IMAP gave ({len(got)} of {len(raw)})")
n = listing.get(au)
resp, lines, _ = pop.top(n, 3) if n else (b"", [], 0)
head, _, body = append_msg.partition(b"\r\n\r\n")
want = head.split(b"\r\n") + [b""] + body.split(b"\r\n")[:3]
check(resp.startswith(b"+OK") and lines == want, f"POP3 TOP {n} 3 is the header and three lines ({len(lines)} lines)")
pop.quit()

hwm_end = vm_hwm_kib(pid)
grew = (hwm_end - hwm_start) / 1024
print(f"info read phase: peak RSS {hwm_start >> 10} -> {hwm_end >> 10} MiB")
check(grew < LIMIT_MB, f"reading a {BODY_MB} MB body whole 4 times and in ranges grows the peak RSS by "
      f"{grew:.1f} MiB, under {LIMIT_MB}")

rc, _ = a.stop(timeout=30)
check(rc == 0, "the server stops cleanly")
finish()
