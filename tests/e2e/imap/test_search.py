"""SEARCH with every RFC 3501 key over the MIME corpus (text keys match decoded headers and
bodies: RFC 2047 words, quoted-printable, base64, ISO-8859-1), UTF-8 charset with a literal,
ESEARCH (RFC 4731), SEARCHRES (RFC 5182), SORT and THREAD (RFC 5256)."""
import imaplib
import re

from hearth_test import check, finish
from imap_common import corpus, login, raw, start

inst = start()
m = login(inst)
# seq/uid: 1 nested, 2 rfc2231, 3 forwarded, 4 latin1, 5 malformed, 6 group
dates = ["01-Nov-2026 10:00:00 +0000", "05-Nov-2026 10:00:00 +0000", "10-Nov-2026 10:00:00 +0000",
         "10-Nov-2026 23:00:00 +0000", "15-Nov-2026 10:00:00 +0000", "20-Nov-2026 10:00:00 +0000"]
flags = ["(\\Seen)", "(\\Seen \\Answered)", "(\\Flagged)", "($Work)", "(\\Draft)", "(\\Deleted)"]
for i, name in enumerate(["nested.eml", "rfc2231.eml", "forwarded.eml", "latin1.eml", "malformed.eml", "group.eml"]):
    typ, _ = m.append("INBOX", flags[i], f'"{dates[i]}"', corpus(name))
    check(typ == "OK", f"APPEND {name}")
m.select("INBOX")


def search(*criteria):
    """SEARCH with our own quoting; non-ASCII strings go as LITERAL+ under CHARSET UTF-8."""
    parts, utf8 = [], False
    for c in criteria:
        b = c.encode()
        if any(ch > 127 for ch in b):
            utf8 = True
            parts.append(b"{%d+}\r\n" % len(b) + b)
        elif c == "" or (" " in c and not c.startswith("(")):
            parts.append(b'"' + b + b'"')
        else:
            parts.append(b)
    tag = m._new_tag()
    m.send(tag + b" SEARCH " + (b"CHARSET UTF-8 " if utf8 else b"") + b" ".join(parts) + b"\r\n")
    result = None
    while True:
        line = m._get_line()
        if line.startswith(b"* SEARCH"):
            result = line[8:].strip().decode()
        if line.startswith(tag + b" "):
            return result if line.split()[1] == b"OK" else line.decode()


CASES = [
    (("ALL",), "1 2 3 4 5 6"),
    (("SEEN",), "1 2"), (("UNSEEN",), "3 4 5 6"),
    (("ANSWERED",), "2"), (("UNANSWERED",), "1 3 4 5 6"),
    (("FLAGGED",), "3"), (("UNFLAGGED",), "1 2 4 5 6"),
    (("DELETED",), "6"), (("UNDELETED",), "1 2 3 4 5"),
    (("DRAFT",), "5"), (("UNDRAFT",), "1 2 3 4 6"),
    (("KEYWORD", "$Work"), "4"), (("UNKEYWORD", "$Work"), "1 2 3 5 6"),
    # RFC 3501 §6.4.4: this session selected the mailbox first, so every message is recent;
    # NEW is RECENT UNSEEN.
    (("NEW",), "3 4 5 6"), (("OLD",), ""), (("RECENT",), "1 2 3 4 5 6"),
    (("FROM", "alice@example.org"), "1"), (("FROM", "René"), "4"), (("FROM", "rene@"), "4"),
    (("TO", "carol"), "1"), (("CC", "Dave"), "1"), (("BCC", "anyone"), ""),
    (("SUBJECT", "nested"), "1"), (("SUBJECT", "FÜR"), "2"), (("SUBJECT", "crème"), "4"),
    (("BODY", "plain version"), "1"), (("BODY", "HTML version"), "1"),
    (("BODY", "original text"), "3"), (("BODY", "café crème"), "4"),
    (("TEXT", "nested-1@example.org"), "1"), (("TEXT", "Forwarding"), "3"),
    (("HEADER", "Message-ID", "<bad@example.org>"), "5"), (("HEADER", "Reply-To", ""), "6"),
    (("BEFORE", "05-Nov-2026"), "1"), (("ON", "10-Nov-2026"), "3 4"), (("SINCE", "15-Nov-2026"), "5 6"),
    (("SENTBEFORE", "18-Nov-2026"), "1"), (("SENTON", "19-Nov-2026"), "3"), (("SENTSINCE", "20-Nov-2026"), "4"),
    (("LARGER", "1000"), "1"), (("SMALLER", "300"), "6"),
    (("UID", "2:3"), "2 3"), (("2,4:5",), "2 4 5"), (("5:*",), "5 6"),
    (("NOT", "SEEN"), "3 4 5 6"), (("OR", "FLAGGED", "DRAFT"), "3 5"),
    (("(OR SEEN FLAGGED)", "NOT", "ANSWERED"), "1 3"),
    (("OR", "(FROM alice SEEN)", "(SUBJECT groups)"), "1 6"),
]
for crit, want in CASES:
    got = search(*crit)
    check(got == want, f"SEARCH {' '.join(crit)} -> {want!r} (got {got!r})")

m.literal = "CRÈME".encode()
typ, data = m.search("UTF-8", "SUBJECT")
check(data[0] == b"4", f"imaplib SEARCH CHARSET UTF-8 SUBJECT {{literal}} -> 4 (got {data!r})")
typ, data = m.search("X-NO-SUCH-CHARSET", "ALL")
check(typ == "NO" and data[0].startswith(b"[BADCHARSET (UTF-8 US-ASCII)]"), f"unknown charset: BADCHARSET ({data})")
typ, data = m.uid("SEARCH", "FLAGGED")
check(data[0] == b"3", f"UID SEARCH: {data}")

out = raw(m, "SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN")
check(out[0] == b'* ESEARCH (TAG "' + out[-1].split()[0] + b'") MIN 3 MAX 6 COUNT 4 ALL 3:6', f"ESEARCH: {out[0]!r}")
out = raw(m, "UID SEARCH RETURN () SEEN")
check(out[0].endswith(b") UID ALL 1:2"), f"ESEARCH RETURN () = ALL: {out[0]!r}")
out = raw(m, "SEARCH RETURN (SAVE) OR FLAGGED DRAFT")
check(len(out) == 1 and out[0].split()[1] == b"OK", f"SEARCHRES SAVE: no untagged result ({out})")
out = raw(m, "FETCH $ (UID)")
check(out[:2] == [b"* 3 FETCH (UID 3)", b"* 5 FETCH (UID 5)"], f"FETCH $: {out}")
out = raw(m, "SEARCH $ SEEN")
check(out[0] == b"* SEARCH", f"SEARCH $ SEEN (empty): {out[0]!r}")

# SORT (RFC 5256) and THREAD.
out = raw(m, "SORT (DATE) UTF-8 ALL")
check(out[0] == b"* SORT 5 1 2 3 4 6", f"SORT DATE (undated use the internal date): {out[0]!r}")
out = raw(m, "SORT (REVERSE ARRIVAL) UTF-8 ALL")
check(out[0] == b"* SORT 6 5 4 3 2 1", f"SORT REVERSE ARRIVAL: {out[0]!r}")
out = raw(m, "SORT (SUBJECT) UTF-8 ALL")
check(out[0] == b"* SORT 2 4 6 5 1 3", f"SORT SUBJECT by base subject: {out[0]!r}")
out = raw(m, "SORT (SIZE) UTF-8 SEEN")
check(out[0] == b"* SORT 2 1", f"SORT SIZE with a search key: {out[0]!r}")
out = raw(m, "SORT (FROM) UTF-8 ALL")
check(out[0] == b"* SORT 1 3 5 6 4 2", f"SORT FROM: {out[0]!r}")
out = raw(m, "UID SORT (TO) UTF-8 ALL")
check(out[0].startswith(b"* SORT "), f"UID SORT: {out[0]!r}")

# A thread: a reply to nested.eml and a reply to the reply.
reply1 = (b"From: bob@example.test\r\nTo: alice@example.org\r\nSubject: Re: Nested parts\r\n"
          b"Date: Sat, 21 Nov 2026 10:00:00 +0000\r\nMessage-ID: <r1@example.test>\r\n"
          b"In-Reply-To: <nested-1@example.org>\r\nReferences: <nested-1@example.org>\r\n\r\nreply\r\n")
reply2 = (b"From: alice@example.org\r\nTo: bob@example.test\r\nSubject: Re: Re: Nested parts\r\n"
          b"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <r2@example.test>\r\n"
          b"References: <nested-1@example.org> <r1@example.test>\r\n\r\nreply 2\r\n")
m.append("INBOX", None, None, reply1)
m.append("INBOX", None, None, reply2)
m.noop()
out = raw(m, "THREAD REFERENCES UTF-8 ALL")
check(out[0] == b"* THREAD (5)(1 7 8)(2)(3)(4)(6)", f"THREAD REFERENCES: {out[0]!r}")
out = raw(m, "THREAD ORDEREDSUBJECT UTF-8 ALL")
check(out[0] == b"* THREAD (5)(1 (7)(8))(2)(3)(4)(6)", f"THREAD ORDEREDSUBJECT: {out[0]!r}")
out = raw(m, "UID THREAD REFERENCES UTF-8 SUBJECT nested")
check(out[0] == b"* THREAD (1 7 8)", f"UID THREAD with a search key: {out[0]!r}")
out = raw(m, "THREAD NOPE UTF-8 ALL")
check(out[-1].split()[1] == b"BAD", "unknown THREAD algorithm is BAD")
m.logout()
finish()
