"""IMAP conformance details, each checked with exact responses over a raw socket:
MOVE and COPY within the selected mailbox (RFC 6851 §3.3); keywords announced in FLAGS before
any FETCH shows them, also when another session added them (RFC 3501 §7.2.6, RFC 9051 §7.3.5); an "&" that starts no
valid modified-UTF-7 run taken literally, as Dovecot does."""
import re

from hearth_test import check, finish
from imap_common import Raw, login, start

inst = start()
m = login(inst)
for i in range(2):
    m.append("INBOX", None, None, b"From: a@example.test\r\nSubject: m%d\r\n\r\nbody\r\n" % i)
m.logout()

u = Raw(inst)
out = u.cmd(b"s1 SELECT INBOX")
uv = int(re.search(rb"UIDVALIDITY (\d+)", b"\n".join(out)).group(1))

# RFC 6851 §3.3: MOVE into the selected mailbox itself is allowed; the message gets a new uid,
# COPYUID comes in an untagged OK before the EXPUNGE, and the new message arrives as EXISTS.
out = u.cmd(b"m1 UID MOVE 1 INBOX")
check(out == [b"* OK [COPYUID %d 1 3] Moved" % uv, b"* 1 EXPUNGE", b"* 2 EXISTS", b"* 2 RECENT",
             b"m1 OK UID MOVE completed"],
      f"UID MOVE to the selected mailbox: {out!r}")
# RFC 4315 §3: COPY to the selected mailbox answers COPYUID, the copy announced by EXISTS.
out = u.cmd(b"c1 COPY 1 INBOX")
check(out == [b"* 3 EXISTS", b"* 3 RECENT", b"c1 OK [COPYUID %d 2 4] COPY completed" % uv], f"COPY to the selected mailbox: {out!r}")
out = u.cmd(b"f1 FETCH 1:* (UID)")
check(out[:-1] == [b"* 1 FETCH (UID 2)", b"* 2 FETCH (UID 3)", b"* 3 FETCH (UID 4)"], f"the uids after both: {out!r}")

# RFC 9051 §7.3.5: a new keyword comes in FLAGS (and PERMANENTFLAGS) before the FETCH showing it.
SYS = b"\\Answered \\Flagged \\Deleted \\Seen \\Draft"
out = u.cmd(b"k1 STORE 1 +FLAGS (\\Seen $hello $world)")
check(out == [b"* FLAGS (" + SYS + b" $hello $world)",
              b"* OK [PERMANENTFLAGS (" + SYS + b" $hello $world \\*)] Flags permitted",
              b"* 1 FETCH (FLAGS (\\Seen $hello $world \\Recent))", b"k1 OK STORE completed"], f"STORE of new keywords: {out!r}")
out = u.cmd(b"k2 STORE 1 +FLAGS (NIL)")
check(len(out) == 1 and out[0].startswith(b"k2 BAD"), f"NIL is not a keyword: {out!r}")

# Another session adds a keyword: the selected session gets FLAGS before the FETCH.
v = Raw(inst)
v.cmd(b"s1 SELECT INBOX")
out = v.cmd(b"k3 UID STORE 4 +FLAGS.SILENT ($other)")
check(out == [b"k3 OK UID STORE completed"], f"the other session's silent STORE: {out!r}")
v.close()
out = u.cmd(b"n1 NOOP")
check(out == [b"* FLAGS (" + SYS + b" $hello $world $other)",
              b"* OK [PERMANENTFLAGS (" + SYS + b" $hello $world $other \\*)] Flags permitted",
              b"* 3 FETCH (UID 4 FLAGS ($other \\Recent))", b"n1 OK NOOP completed"], f"FLAGS before the FETCH at NOOP: {out!r}")

# RFC 3501 §5.1.3 calls "R&D" malformed; like Dovecot the "&" is literal, and the name comes
# back in proper modified UTF-7 ("&-" is "&"), by which it can be selected too.
out = u.cmd(b"r1 CREATE R&D")
# RFC 8474 §4.1: the tagged OK carries the new mailbox's MAILBOXID.
check(len(out) == 1 and re.fullmatch(rb"r1 OK \[MAILBOXID \(F\d+\)\] CREATE completed", out[0]), f"CREATE R&D: {out!r}")
out = u.cmd(b'r2 LIST "" "R*"')
check(out == [b'* LIST (\\HasNoChildren) "/" "R&-D"', b"r2 OK LIST completed"], f"LIST shows R&-D: {out!r}")
out = u.cmd(b"r3 STATUS R&-D (MESSAGES)")
check(out == [b'* STATUS "R&-D" (MESSAGES 0)', b"r3 OK STATUS completed"], f"the encoded name finds it: {out!r}")
out = u.cmd(b"r4 CREATE R&-D")
check(out == [b"r4 NO [ALREADYEXISTS] Mailbox already exists"], f"R&D and R&-D are one name: {out!r}")
u.close()

# RFC 3501 §2.3.2: a new message is \Recent in exactly one session, the first told of it;
# RECENT follows EXISTS, STATUS counts what no session has taken, EXAMINE does not take.
a, b, e = Raw(inst), Raw(inst), Raw(inst)
a.cmd(b"c0 CREATE Rec")
a.cmd(b"s0 SELECT Rec")
b.cmd(b"s0 SELECT Rec")
msg = b"From: a@example.test\r\nSubject: recent\r\n\r\nbody\r\n"
b.send(b"a1 APPEND Rec {%d+}\r\n%s\r\n" % (len(msg), msg))
out = b.until(b"a1")
check(out[:2] == [b"* 1 EXISTS", b"* 1 RECENT"], f"the appending session sees it first, as recent: {out!r}")
out = a.cmd(b"n1 NOOP")
check(out == [b"* 1 EXISTS", b"* 0 RECENT", b"n1 OK NOOP completed"], f"the other session: not recent: {out!r}")
out = a.cmd(b"f1 FETCH 1 FLAGS")
check(out == [b"* 1 FETCH (FLAGS ())", b"f1 OK FETCH completed"], f"no \\Recent in the other session: {out!r}")
out = b.cmd(b"f1 SEARCH RECENT")
check(out == [b"* SEARCH 1", b"f1 OK SEARCH completed"], f"SEARCH RECENT in the first session: {out!r}")
e.send(b"a2 APPEND Rec {%d+}\r\n%s\r\n" % (len(msg), msg))
e.until(b"a2")
out = e.cmd(b"s1 STATUS Rec (MESSAGES RECENT)")
check(out == [b'* STATUS "Rec" (MESSAGES 2 RECENT 1)', b"s1 OK STATUS completed"], f"STATUS RECENT: {out!r}")
out = e.cmd(b"x1 EXAMINE Rec")
check(b"* 1 RECENT" in out, f"EXAMINE shows the recent count: {out!r}")
out = a.cmd(b"n2 NOOP")
check(out[:2] == [b"* 2 EXISTS", b"* 1 RECENT"], f"EXAMINE took nothing: the next SELECTed session gets it: {out!r}")
for s in (a, b, e):
    s.close()

# RFC 5464: an annotation set with a literal comes back, per account and per mailbox.
m1 = Raw(inst)
m1.send(b"md1 SETMETADATA INBOX (/private/comment {5+}\r\nhello /shared/vendor/x \"y\")\r\n")
out = m1.until(b"md1")
check(out == [b"md1 OK SETMETADATA completed"], f"SETMETADATA: {out!r}")
out = m1.cmd(b"md2 GETMETADATA (DEPTH infinity) INBOX (/private /shared)")
check(out == [b'* METADATA INBOX (/private/comment "hello" /shared/vendor/x "y")', b"md2 OK GETMETADATA completed"],
      f"GETMETADATA: {out!r}")
out = m1.cmd(b'md3 GETMETADATA "" /shared/admin')
check(len(out) == 2 and out[0].startswith(b'* METADATA "" (/shared/admin "mailto:postmaster@'), f"the server's admin: {out!r}")
m1.close()

finish()
