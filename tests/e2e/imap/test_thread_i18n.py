"""THREAD=REFERENCES with every step of RFC 5256 §2.2 (step 5: threads gathered by base subject)
with exact expected output; SEARCH with Unicode simple case folding (Greek, Cyrillic, ß) and
with charsets iconv converts (SEARCH CHARSET ISO-8859-1 / KOI8-R, a KOI8-R body), an unknown
charset answered NO [BADCHARSET (UTF-8 US-ASCII)]; BODYSTRUCTURE served from the per-blob
summary kept in SQLite, the same before and after a restart."""
import os
import sqlite3

from hearth_test import check, finish
from imap_common import login, raw, start

inst = start()
m = login(inst)


def msg(mid, subject, date, refs=None, body="text\r\n", headers=""):
    h = f"From: a@example.test\r\nTo: b@example.test\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{mid}@x>\r\n"
    if refs:
        h += "References: " + " ".join(f"<{r}@x>" for r in refs) + "\r\n"
    return (h + headers + "\r\n" + body).encode("latin-1") if isinstance(body, str) else h.encode() + headers.encode() + b"\r\n" + body


check(m.create("Threads")[0] == "OK", "CREATE Threads")
msgs = [
    msg("a", "Meeting", "Mon, 02 Nov 2026 10:00:00 +0000"),
    msg("b", "Re: Meeting", "Mon, 02 Nov 2026 11:00:00 +0000", ["a"]),
    msg("c", "Re: Meeting", "Mon, 02 Nov 2026 09:00:00 +0000"),  # a reply without References
    msg("d", "Lunch", "Mon, 02 Nov 2026 08:00:00 +0000"),
    msg("e", "Lunch", "Mon, 02 Nov 2026 12:00:00 +0000"),         # same subject, neither a reply
    msg("f", "Re: Meeting", "Mon, 02 Nov 2026 13:00:00 +0000", ["zz", "b"]),
    msg("g", "Other", "Mon, 02 Nov 2026 07:00:00 +0000"),
    msg("h", "[Fwd: Other]", "Mon, 02 Nov 2026 14:00:00 +0000"),  # a forward: under "Other"
]
for b in msgs:
    check(m.append("Threads", None, None, b)[0] == "OK", "APPEND")
m.select("Threads")
out = raw(m, "THREAD REFERENCES UTF-8 ALL")
check(out[0] == b"* THREAD (7 8)((4)(5))(1 (3)(2 6))", f"THREAD REFERENCES with subject merging: {out[0]!r}")
out = raw(m, "UID THREAD REFERENCES UTF-8 SUBJECT meeting")
check(out[0] == b"* THREAD (1 (3)(2 6))", f"UID THREAD REFERENCES with a key: {out[0]!r}")

# Unicode case folding and charsets.
check(m.create("Intl")[0] == "OK", "CREATE Intl")
greek = msg("u1", "=?utf-8?B?" + __import__("base64").b64encode("Σοφία και ΣΟΦΊΑ".encode()).decode() + "?=",
            "Mon, 02 Nov 2026 10:00:00 +0000",
            body="=D0=9F=D0=A0=D0=98=D0=92=D0=95=D0=A2 world\r\n",
            headers="Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n")
koi = msg("u2", "Stra=?utf-8?Q?=C3=9F?=e", "Mon, 02 Nov 2026 11:00:00 +0000",
          body="Привет, друг\r\n".encode("koi8_r"),
          headers="Content-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n")
latin = msg("u3", "=?iso-8859-1?q?Caf=E9_cr=E8me?=", "Mon, 02 Nov 2026 12:00:00 +0000")
for b in (greek, koi, latin):
    check(m.append("Intl", None, None, b)[0] == "OK", "APPEND")
m.select("Intl")


def search(charset, key, literal):
    tag = m._new_tag()
    m.send(tag + b" SEARCH CHARSET " + charset.encode() + b" " + key.encode() + b" {%d+}\r\n" % len(literal) + literal + b"\r\n")
    lines = []
    while True:
        line = m._get_line()
        lines.append(line)
        if line.startswith(tag):
            break
    hit = [l for l in lines if l.startswith(b"* SEARCH")]
    return (hit[0][8:].strip().decode() if hit else None), lines[-1]


cases = [
    ("UTF-8", "SUBJECT", "σοφία".encode(), "1", "Greek, lower case finds upper and mixed"),
    ("UTF-8", "SUBJECT", "ΣΟΦΊΑ ΚΑΙ".encode(), "1", "Greek, upper case"),
    ("UTF-8", "SUBJECT", "σοφίας".encode(), "", "Greek: no false match"),
    ("UTF-8", "BODY", "привет".encode(), "1 2", "Cyrillic in a UTF-8 QP body and a KOI8-R body"),
    ("UTF-8", "TEXT", "ДРУГ".encode(), "2", "Cyrillic upper case against a KOI8-R body"),
    ("UTF-8", "SUBJECT", "STRAẞE".encode(), "2", "capital sharp s folds to ß"),
    ("UTF-8", "SUBJECT", b"STRASSE", "", "ß is not ss (simple folding, RFC 5051)"),
    ("ISO-8859-1", "SUBJECT", "CAFÉ CRÈME".encode("latin-1"), "3", "SEARCH CHARSET ISO-8859-1"),
    ("KOI8-R", "BODY", "ПРИВЕТ".encode("koi8_r"), "1 2", "SEARCH CHARSET KOI8-R"),
    ("windows-1251", "BODY", "друг".encode("cp1251"), "2", "SEARCH CHARSET windows-1251"),
    ("UTF-8", "OR FROM nobody TEXT", b"B@EXAMPLE.TEST", "1 2 3", "TEXT matches a header next to a header key"),
    ("UTF-8", "SUBJECT", "СОФИЯ".encode(), "", "cached search fields: still no false match"),
    ("UTF-8", "SUBJECT", "σοφία".encode(), "1", "cached search fields: the same answer again"),
]
for cs, key, lit, want, what in cases:
    got, tagged = search(cs, key, lit)
    check(got == want, f"{what}: {cs} {key} -> {want!r} (got {got!r}, {tagged!r})")
got, tagged = search("X-NO-SUCH-CHARSET", "BODY", b"x")
check(got is None and b" NO [BADCHARSET (UTF-8 US-ASCII)]" in tagged, f"unknown charset: {tagged!r}")
out = raw(m, "THREAD REFERENCES X-NO-SUCH-CHARSET ALL")
check(b" NO [BADCHARSET (UTF-8 US-ASCII)]" in out[-1], f"THREAD with an unknown charset: {out[-1]!r}")

# BODYSTRUCTURE/ENVELOPE from the stored summary: identical on first use, from SQLite, and after
# a restart.
first = raw(m, "FETCH 1:3 (ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (Subject)])")
again = raw(m, "FETCH 1:3 (ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (Subject)])")
check(first[:-1] == again[:-1] and len(first) > 3, "FETCH from the summary answers as the first time")
check(b'("TEXT" "PLAIN" ("CHARSET" "koi8-r") NIL NIL "8BIT"' in b"".join(first), f"BODYSTRUCTURE of the KOI8-R message: {first[1][:200]!r}")
db = os.path.join(inst.dir, "data", "hearth.db")
if not os.path.exists(db):
    db = os.path.join(inst.dir, "hearth.db")
rows = sqlite3.connect(db).execute("SELECT COUNT(*) FROM mail_blob_meta").fetchone()[0]
check(rows >= 11, f"per-blob summaries stored in SQLite ({rows} rows)")
m.logout()
inst.stop()
inst.start(wait_for="imaps")
m = login(inst)
m.select("Intl")
after = raw(m, "FETCH 1:3 (ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (Subject)])")
check(after[:-1] == first[:-1], "after a restart: the same answers")
m.logout()
finish()
