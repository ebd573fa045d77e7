"""Limits and bad input: an over-long line, an over-big literal outside APPEND,
SEARCH nested too deeply and a flood of bad commands each get a protocol answer (BAD, NO
[TOOBIG] or BYE), never a crash; another session is unaffected throughout."""
import socket
import ssl

from hearth_test import check, finish
from imap_common import corpus, login, start

inst = start()
other = login(inst)
other.append("INBOX", None, None, corpus("group.eml"))
other.select("INBOX")

ctx = ssl.create_default_context(cafile=inst.ca_file())
s = ctx.wrap_socket(socket.create_connection((inst.addr, inst.port("imaps")), timeout=20), server_hostname=inst.hostname)
f = s.makefile("rb")
f.readline()


def cmd(data, tag):
    s.sendall(data)
    lines = []
    while True:
        l = f.readline()
        if not l:
            return lines
        lines.append(l.rstrip(b"\r\n"))
        if l.startswith(tag + b" ") or l.startswith(b"* BYE"):
            return lines


out = cmd(b"a LOGIN " + inst.email.encode() + b" " + inst.password.encode() + b"\r\n", b"a")
check(out[-1].startswith(b"a OK"), "logged in")
out = cmd(b"b NOOP " + b"x" * 70000 + b"\r\nc NOOP\r\n", b"c")
check(any(b"BAD" in l for l in out) and out[-1].startswith(b"c OK"), f"a 70 KB line: BAD, then the next command works ({[l[:40] for l in out]})")
out = cmd(b"d LOGIN {100000}\r\n", b"d")
check(out[-1].startswith(b"d BAD") or out[-1].startswith(b"d NO"), f"a 100 KB literal outside APPEND is refused at once: {out[-1][:80]!r}")
out = cmd(b"e SELECT INBOX\r\n", b"e")
check(out[-1].startswith(b"e OK"), "the session goes on")
deep = b"(" * 40 + b"ALL" + b")" * 40
out = cmd(b"f SEARCH " + deep + b"\r\n", b"f")
check(out[-1].startswith(b"f BAD"), f"SEARCH nested 40 deep: BAD ({out[-1][:80]!r})")
out = cmd(b"g FETCH 1:* (FLAGS) (CHANGEDSINCE x)\r\n", b"g")
check(out[-1].startswith(b"g BAD"), f"bad FETCH modifier: {out[-1][:80]!r}")
bye = False
for i in range(30):
    out = cmd(b"h%d FROBNICATE\r\n" % i, b"h%d" % i)
    if any(l.startswith(b"* BYE") for l in out):
        bye = True
        break
check(bye, f"a flood of bad commands ends with BYE (after {i + 1})")
typ, data = other.noop()
check(typ == "OK", "another session is unaffected")
typ, data = other.fetch("1", "(FLAGS)")
check(typ == "OK", "and still fetches")
other.logout()
finish()
