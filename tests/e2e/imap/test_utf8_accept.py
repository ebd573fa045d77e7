"""RFC 6855 UTF8=ACCEPT over real sockets: Thunderbird's Sent copy `APPEND "Sent" (\\Seen) UTF8
(~{n+}` and the synchronizing `~{n}` form, in MULTIAPPEND too, answered OK [APPENDUID] and stored
byte for byte; a UTF8 APPEND before ENABLE is BAD, an over-big one NO [TOOBIG]; UTF-8 mailbox names
after ENABLE (modified UTF-7 for a session that did not enable); SEARCH with a conflicting charset
label is BAD, UTF-8 search strings match; and the Thunderbird probe script passes."""
import base64
import os
import re
import subprocess
import sys

from hearth_test import SOURCE_DIR, check, finish
from imap_common import Raw, login, quote, start

inst = start()
u = Raw(inst)
msg = ("From: {0}\r\nTo: {0}\r\nSubject: \u00e9t\u00e9 \u65e5\u672c\r\n"
       "Content-Type: text/plain; charset=utf-8\r\n\r\nd\u00e9j\u00e0 vu\r\n").format(inst.email).encode()


def append_utf8(r, tag, box, body, sync, flags=b"(\\Seen) "):
    """APPEND box flags UTF8 (~{n}) with a (non-)synchronizing literal8; returns the lines."""
    head = tag + b" APPEND " + quote(box) + b" " + flags + b"UTF8 (~{%d%s}\r\n" % (len(body), b"" if sync else b"+")
    r.send(head)
    if sync:
        out = r.until(tag, cont=True)
        if not out or not out[-1].startswith(b"+"):
            return out
    r.send(body + b")\r\n")
    return r.until(tag)


# Before ENABLE the UTF8 form is BAD (RFC 6855 §4), and the session goes on.
out = append_utf8(u, b"b1", "Sent", msg, sync=False)
check(out[-1].startswith(b"b1 BAD") and b"ENABLE" in out[-1], f"UTF8 APPEND before ENABLE is BAD, saying why: {out[-1]!r}")
out = u.cmd(b"b2 NOOP")
check(out[-1].startswith(b"b2 OK"), "the session goes on after the BAD")

out = u.cmd(b"e1 ENABLE UTF8=ACCEPT")
check(b"* ENABLED UTF8=ACCEPT" in out, f"ENABLE UTF8=ACCEPT: {out!r}")

# Thunderbird's form (LITERAL+), then the synchronizing one.
out = append_utf8(u, b"a1", "Sent", msg, sync=False)
check(out[-1].startswith(b"a1 OK [APPENDUID "), f"APPEND UTF8 (~{{n+}}): {out[-1]!r}")
uid1 = int(out[-1].split(b"]")[0].split()[-1]) if out[-1].startswith(b"a1 OK [APPENDUID ") else 0
out = append_utf8(u, b"a2", "Sent", msg, sync=True)
check(out[-1].startswith(b"a2 OK [APPENDUID "), f"APPEND UTF8 (~{{n}}): {out[-1]!r}")

# MULTIAPPEND: a UTF8 message, a plain literal and another UTF8 message in one command.
plain = b"From: a@example.test\r\nSubject: plain\r\n\r\nx\r\n"
u.send(b"a3 APPEND INBOX UTF8 (~{%d+}\r\n" % len(msg) + msg + b") {%d+}\r\n" % len(plain) + plain +
       b' "07-Feb-2026 21:52:25 +0100" UTF8 (~{%d+}\r\n' % len(msg) + msg + b")\r\n")
out = u.until(b"a3")
check(out[-1].startswith(b"a3 OK [APPENDUID ") and b":" in out[-1].split(b"]")[0],
      f"MULTIAPPEND with UTF8 parts: three UIDs in {out[-1]!r}")

# Limits as for any APPEND literal: over APPENDLIMIT the client never gets its "+".
u.send(b"a4 APPEND Sent UTF8 (~{100000000}\r\n")
out = u.until(b"a4", cont=True)
check(out[-1].startswith(b"a4 NO [TOOBIG]"), f"an over-big UTF8 literal is NO [TOOBIG]: {out[-1]!r}")
for bad_form, what in [(b"a5 APPEND Sent UTF8 ({3+}\r\nabc)\r\n", "a plain literal inside UTF8 ( )"),
                       (b"a5 APPEND Sent UTF8 (~{3+}\r\nabc\r\n", "no closing parenthesis")]:
    u.send(bad_form)
    out = u.until(b"a5")
    check(out[-1].startswith(b"a5 BAD"), f"{what} is BAD: {out[-1]!r}")

# The stored message comes back byte for byte, its UTF-8 Subject as is in ENVELOPE.
u.cmd(b"s1 SELECT Sent")
out = u.cmd(b"f1 UID FETCH %d (BODY.PEEK[] ENVELOPE FLAGS)" % (uid1 or 1))
check(any(msg in l for l in out), "the UTF8 message is stored byte for byte")
check(any("\u00e9t\u00e9 \u65e5\u672c".encode() in l and b"ENVELOPE" in l for l in out), "ENVELOPE carries the UTF-8 Subject")
check(any(b"\\Seen" in l for l in out), "the flags of the APPEND were kept")

# Mailbox names are UTF-8 after ENABLE; a session that did not enable sees modified UTF-7.
name = "\u00c9t\u00e9/\u65e5\u672c"
out = u.cmd(b"c1 CREATE " + quote(name))
check(out[-1].startswith(b"c1 OK"), f"CREATE with a UTF-8 name: {out[-1]!r}")
out = append_utf8(u, b"c2", name, msg, sync=False, flags=b"")
check(out[-1].startswith(b"c2 OK [APPENDUID "), f"APPEND UTF8 to a UTF-8 named mailbox: {out[-1]!r}")
out = u.cmd(b'c3 LIST "" ' + quote("\u00c9t\u00e9*"))
check(any(l.endswith(quote(name)) for l in out), f"LIST answers the UTF-8 name as is: {out!r}")
check(not any(b"&" in l for l in out), "no modified UTF-7 in a UTF8=ACCEPT session")
out = u.cmd(b'c4 STATUS ' + quote(name) + b" (MESSAGES)")
check(any(b"(MESSAGES 1)" in l for l in out), f"STATUS of the UTF-8 named mailbox: {out!r}")
out = u.cmd(b"c5 CREATE &AMk-x")
check(out[-1].startswith(b"c5 OK"), "a name with & is taken literally after ENABLE")
old = Raw(inst)
out = old.cmd(b'o1 LIST "" *')
check(any(l.endswith(b'"&AMk-t&AOk-/&ZeVnLA-"') for l in out), f"without ENABLE the name is modified UTF-7: {out!r}")
check(any(l.endswith(b'"&-AMk-x"') for l in out), "and the literal & is escaped as &-")
out = old.cmd(b"o2 CREATE " + quote("d\u00e9j\u00e0"))
check(out[-1].startswith(b"o2 BAD") or out[-1].startswith(b"o2 NO"), f"a raw UTF-8 name without ENABLE is refused: {out[-1]!r}")
old.close()

# SEARCH: UTF-8 strings match; a conflicting charset label is BAD (RFC 6855 §3, erratum 4029).
out = u.cmd(b"q1 UID SEARCH SUBJECT " + quote("\u65e5\u672c"))
check(any(l.startswith(b"* SEARCH") and str(uid1).encode() in l.split() for l in out),
      f"SEARCH with a UTF-8 quoted string finds the message: {out!r}")
out = u.cmd(b"q2 SEARCH CHARSET ISO-8859-1 SUBJECT x")
check(out[-1].startswith(b"q2 BAD"), f"SEARCH CHARSET ISO-8859-1 after ENABLE is BAD: {out[-1]!r}")
out = u.cmd(b"q3 SEARCH CHARSET UTF-8 SUBJECT " + quote("\u00e9t\u00e9"))
check(out[-1].startswith(b"q3 OK"), f"SEARCH CHARSET UTF-8 is accepted: {out[-1]!r}")
out = u.cmd(b"q4 SORT (DATE) KOI8-R ALL")
check(out[-1].startswith(b"q4 BAD"), f"SORT with charset KOI8-R after ENABLE is BAD: {out[-1]!r}")
u.cmd(b"z LOGOUT")
u.close()

# imaplib, a client that never enables UTF8=ACCEPT, reads the same mailbox.
m = login(inst)
typ, data = m.select("Sent", readonly=True)
check(typ == "OK" and int(data[0]) == 2, f"imaplib: Sent holds the two UTF8 APPENDs ({data})")
typ, data = m.uid("FETCH", str(uid1 or 1), "(BODY.PEEK[])")
check(typ == "OK" and data[0] and data[0][1] == msg, "imaplib reads the UTF8 message back unchanged")
# RFC 6855 §7: without ENABLE the ENVELOPE stays 7-bit: the UTF-8 Subject as an encoded-word.
typ, data = m.uid("FETCH", str(uid1 or 1), "(ENVELOPE)")
env = data[0] if typ == "OK" and data and isinstance(data[0], bytes) else repr(data).encode()
words = re.findall(rb"=\?utf-8\?b\?([A-Za-z0-9+/=]+)\?=", env)
check(all(b < 0x80 for b in env) and words and base64.b64decode(words[0]).decode() == "\u00e9t\u00e9 \u65e5\u672c",
      f"a session without ENABLE gets the Subject in ENVELOPE as an encoded-word: {env[:160]!r}")
m.logout()

# The probe that reproduces Thunderbird's Sent copy byte for byte.
probe = os.path.join(SOURCE_DIR, "tests", "e2e", "thunderbird", "append_utf8_probe.py")
cp = subprocess.run([sys.executable, probe, inst.addr, str(inst.port("imaps")), inst.email, inst.password,
                     inst.ca_file()], capture_output=True, text=True, timeout=60)
check(cp.returncode == 0 and "2 passed, 0 failed" in cp.stdout,
      f"append_utf8_probe.py: {cp.stdout.strip().splitlines()[-1] if cp.stdout.strip() else cp.stderr[-300:]}")
finish()
