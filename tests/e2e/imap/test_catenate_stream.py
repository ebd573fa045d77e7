"""Large APPENDs stored with their summary, and CATENATE (RFC 4469) put together in pieces.

1. A 40 MB literal is APPENDed on one connection; the moment its tagged OK arrives, a second
   connection, logged in and waiting, FETCHes its BODYSTRUCTURE and ENVELOPE. The summary the
   literal's pieces built is in the APPEND's own commit, so that FETCH reads it instead of
   parsing the 40 MB: the answer is right and the peak resident size (VmHWM) does not grow by
   the message's size.
2. After a restart (a fresh peak), CATENATE builds a message from a TEXT header, the 40 MB
   message's TEXT section by URL (found by reading the message once, in pieces) and a TEXT
   tail. The peak must grow by well under the message (the URL's octets and the new message
   are copied piece by piece to the blob store); putting the parts together in memory grows it
   by several times the message. The moment the OK arrives the server is killed with -9.
3. After the restart: the CATENATEd message is there, byte for byte the concatenation, and its
   BODYSTRUCTURE (the original's) and ENVELOPE come from the summary stored in its commit,
   again without the peak growing by its size. A small CATENATE of sections of the large
   message (HEADER.FIELDS, a message/rfc822 part, a PARTIAL range of the whole) gives exactly
   those octets; one that would pass APPENDLIMIT gets [TOOBIG] and stores nothing.

Run on SQLite (e2e.imap_catenate_stream, bodies as blob files) and PostgreSQL
(e2e_pg.imap_catenate_stream, bodies in the database in parts).
"""
import imaplib
import os
import re
import signal
import ssl

from big_message import lines_message, vm_hwm_kib
from hearth_test import Instance, check, finish, set_key

RCPT = "demo@example.test"
BODY_MB = 40
# The whole-message parse a missing summary costs holds the message at least once.
SUMMARY_LIMIT_MB = 8
# Pieces of 256 KiB read and written, 1 MiB parts into the database and its page caches;
# holding the URL's octets and the message costs several times the message.
CATENATE_LIMIT_MB = 24


def message(subject, seed):
    """A multipart message whose plain part holds the bulk, with a message/rfc822 at the end."""
    head = (f"From: Sender <sender@remote.test>\r\nTo: <{RCPT}>\r\nSubject: {subject}\r\n"
            f"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{seed}@remote.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_outer\"\r\n\r\n"
            "--=_outer\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n").encode()
    tail = ("\r\n--=_outer\r\nContent-Type: message/rfc822\r\n\r\n"
            "From: Inner <inner@remote.test>\r\nTo: <other@remote.test>\r\nSubject: inner\r\n\r\n"
            "inner body\r\n--=_outer--\r\n").encode()
    return lines_message(head, BODY_MB, seed)[:-2] + tail


a = Instance(RCPT, host=1)
if a.database_url:
    set_key(a.config, "database", "blob_store", '"database"')
a.start(wait_for="imaps")
ctx = ssl.create_default_context(cafile=a.ca_file())


def connect(select=True):
    m = imaplib.IMAP4_SSL(a.addr, a.port("imaps"), ssl_context=ctx, timeout=120)
    m.login(RCPT, a.password)
    if select:
        m.select("INBOX", readonly=True)
    return m


def summary_of(m, uid):
    """FETCH BODYSTRUCTURE ENVELOPE of `uid`, from BODYSTRUCTURE on, without the UID."""
    typ, data = m.uid("FETCH", uid, "(BODYSTRUCTURE ENVELOPE)")
    if typ != "OK" or not data or not isinstance(data[0], bytes):
        return b""
    return re.sub(rb" UID \d+\)$", b")", data[0][data[0].find(b"BODYSTRUCTURE"):])


def raw_command(m, payload):
    """Sends tag + payload (literals non-synchronizing) and returns the tagged answer line."""
    tag = m._new_tag()
    m.send(tag + b" " + payload + b"\r\n")
    while True:
        line = m._get_line()
        if line.startswith(tag + b" "):
            return line


def appenduid(line):
    got = re.search(rb"\[APPENDUID \d+ (\d+)\]", line)
    return got.group(1).decode() if got else "0"


# --- 1. the summary is there for another session the moment APPEND answers ----------------
original = message("original", 3)
reader = connect()
writer = connect(select=False)
line = raw_command(writer, b"APPEND INBOX {%d+}\r\n" % len(original) + original)
before = vm_hwm_kib(a.proc.pid)
reader.noop()  # the new message into its view
first = summary_of(reader, appenduid(line))
grew = (vm_hwm_kib(a.proc.pid) - before) / 1024
check(b" OK [APPENDUID " in line, f"APPEND of a {BODY_MB} MB literal ({line[:80]!r})")
check(b'"MIXED"' in first and b'"inner"' in first and b'"original"' in first,
      f"another session's FETCH right after the OK has BODYSTRUCTURE and ENVELOPE ({first[:160]!r})")
print(f"info FETCH BODYSTRUCTURE ENVELOPE right after APPEND: peak RSS +{grew:.1f} MiB")
check(grew < SUMMARY_LIMIT_MB, f"that FETCH reads the stored summary: the peak grows by {grew:.1f} MiB, "
      f"under {SUMMARY_LIMIT_MB}")
reader.logout()
writer.logout()
src_uid = appenduid(line)

# --- 2. CATENATE of the message's TEXT by URL between two TEXT parts, then kill -9 ----------
rc, _ = a.stop(timeout=30)
a.start(wait_for="imaps")
m = connect(select=False)
head = (f"From: <{RCPT}>\r\nSubject: catenated\r\nMessage-ID: <cat@example.test>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"=_outer\"\r\n\r\n").encode()
trailer = b"\r\nepilogue added by TEXT\r\n"
want = head + original.split(b"\r\n\r\n", 1)[1] + trailer
hwm0 = vm_hwm_kib(a.proc.pid)
line = raw_command(m, b"APPEND INBOX CATENATE (TEXT {%d+}\r\n" % len(head) + head +
                   b' URL "/INBOX/;UID=' + src_uid.encode() + b'/;SECTION=TEXT" TEXT {%d+}\r\n' % len(trailer) +
                   trailer + b")")
hwm1 = vm_hwm_kib(a.proc.pid)
if b" OK " in line:
    a.stop(sig=signal.SIGKILL, timeout=10)
grew = (hwm1 - hwm0) / 1024
print(f"info CATENATE of {len(want) >> 20} MiB: peak RSS {hwm0 >> 10} -> {hwm1 >> 10} MiB (+{grew:.1f}), "
      f"load average {os.getloadavg()[0]:.1f}")
check(b" OK [APPENDUID " in line, f"CATENATE of a {BODY_MB} MB URL and two TEXT parts ({line[:120]!r})")
check(grew < CATENATE_LIMIT_MB, f"CATENATE of a {BODY_MB} MB message grows the peak RSS by {grew:.1f} MiB, "
      f"under {CATENATE_LIMIT_MB}")
cat_uid = appenduid(line)

# --- 3. after kill -9: the message whole, its summary with it --------------------------------
a.start(wait_for="imaps")
m = connect()
before = vm_hwm_kib(a.proc.pid)
cat_summary = summary_of(m, cat_uid)
grew = (vm_hwm_kib(a.proc.pid) - before) / 1024
print(f"info FETCH BODYSTRUCTURE ENVELOPE of the CATENATEd message after kill -9: peak RSS +{grew:.1f} MiB")
check(b'"catenated"' in cat_summary and cat_summary.startswith(first[:first.find(b" ENVELOPE")]),
      f"its BODYSTRUCTURE is the original's and ENVELOPE its own ({cat_summary[:160]!r})")
check(grew < SUMMARY_LIMIT_MB, f"its summary was stored in its commit: the peak grows by {grew:.1f} MiB, "
      f"under {SUMMARY_LIMIT_MB}")
typ, data = m.uid("FETCH", cat_uid, "(BODY.PEEK[])")
got = data[0][1] if typ == "OK" and data and isinstance(data[0], tuple) else b""
check(got == want, f"the CATENATEd message is the concatenation, byte for byte ({len(got)} of {len(want)} octets)")

# Sections of the large message: put together in memory (small), each from the right octets.
base = b'URL "/INBOX/;UID=' + src_uid.encode()
line = raw_command(m, b"APPEND Drafts CATENATE (" + base + b'/;SECTION=HEADER.FIELDS%20(SUBJECT%20FROM)" ' +
                   base + b'/;SECTION=2" ' + base + b'/;PARTIAL=100.50")')
small_want = (b"From: Sender <sender@remote.test>\r\nSubject: original\r\n\r\n"
              b"From: Inner <inner@remote.test>\r\nTo: <other@remote.test>\r\nSubject: inner\r\n\r\ninner body" +
              original[100:150])
check(b" OK [APPENDUID " in line, f"CATENATE of sections of the large message ({line[:120]!r})")
m.select("Drafts", readonly=True)
typ, data = m.uid("FETCH", appenduid(line), "(BODY.PEEK[])")
got = data[0][1] if typ == "OK" and data and isinstance(data[0], tuple) else b""
check(got == small_want, f"those sections' octets ({got[:200]!r})")
line = raw_command(m, b"APPEND Drafts CATENATE (" + base + b'" ' + base + b'")')
check(b" NO [TOOBIG]" in line, f"a CATENATE past APPENDLIMIT gets TOOBIG ({line[:120]!r})")
typ, data = m.status("Drafts", "(MESSAGES)")
check(typ == "OK" and b"MESSAGES 1" in data[0], f"and stores nothing ({data})")
m.logout()

rc, _ = a.stop(timeout=30)
check(rc == 0, "the server stops cleanly")
finish()
