"""IMAP core with Python imaplib against the real binary: TLS policy (LOGINDISABLED before
STARTTLS, nothing accepted in the clear), LOGIN and AUTHENTICATE PLAIN / SASL-IR, CAPABILITY,
NAMESPACE, ID, ENABLE, LIST (extended, status, special-use), CREATE/RENAME/DELETE/SUBSCRIBE,
APPEND (literal, LITERAL+, MULTIAPPEND, APPENDLIMIT), SELECT/EXAMINE, FETCH, STORE, COPY, MOVE,
EXPUNGE/UID EXPUNGE, CLOSE/UNSELECT, QUOTA, COMPRESS=DEFLATE, bad syntax."""
import imaplib
import re
import socket
import zlib

from hearth_test import check, finish
from imap_common import IMAP_STARTTLS, IMAP_TLS, corpus, login, raw, start

inst = start()

# --- TLS policy on 143 ---------------------------------------------------------------------
m = IMAP_STARTTLS(inst)
caps = m.capabilities
check("LOGINDISABLED" in caps and "STARTTLS" in caps, f"plain 143 says LOGINDISABLED STARTTLS: {caps}")
check(not any(c.startswith("AUTH=") for c in caps), "no AUTH= mechanism before TLS")
try:
    m.login(inst.email, inst.password)
    check(False, "LOGIN in the clear refused")
except imaplib.IMAP4.error as e:
    check("PRIVACYREQUIRED" in str(e), f"LOGIN in the clear refused: {e}")
m.starttls()
typ, data = m.capability()
check(b"AUTH=PLAIN" in data[0] and b"LOGINDISABLED" not in data[0], f"after STARTTLS: {data[0][:120]}")
try:
    m.login(inst.email, "wrong password")
    check(False, "wrong password refused")
except imaplib.IMAP4.error as e:
    check("AUTHENTICATIONFAILED" in str(e), f"wrong password refused: {e}")
typ, data = m.login(inst.email, inst.password)
check(typ == "OK" and b"[CAPABILITY" in data[0], "LOGIN after STARTTLS, capabilities in the OK")
m.logout()

# STARTTLS with a pipelined command is refused (CVE-2011-0411).
s = socket.create_connection((inst.addr, inst.port("imap")), timeout=10)
s.recv(1000)
s.sendall(b"a STARTTLS\r\nb CAPABILITY\r\n")
reply = s.recv(1000)
check(b"a BAD" in reply, f"pipelined STARTTLS refused: {reply!r}")
s.close()

# --- AUTHENTICATE PLAIN on 993, with and without SASL-IR -----------------------------------
m = IMAP_TLS(inst)
check("AUTH=PLAIN" in m.capabilities and "SASL-IR" in m.capabilities, "993: AUTH=PLAIN and SASL-IR")
typ, _ = m.authenticate("PLAIN", lambda _: f"\0{inst.email}\0{inst.password}".encode())
check(typ == "OK", "AUTHENTICATE PLAIN (continuation)")
m.logout()
m = IMAP_TLS(inst)
import base64
ir = base64.b64encode(f"\0{inst.email}\0{inst.password}".encode()).decode()
out = raw(m, f"AUTHENTICATE PLAIN {ir}")
check(out[-1].split()[1] == b"OK", f"AUTHENTICATE PLAIN with SASL-IR: {out[-1]!r}")
m.state = "AUTH"

# --- AUTHENTICATE SCRAM-SHA-256 (RFC 7677): challenge, server-final as a last challenge -----
import hashlib
import hmac
import os as _os

m2 = IMAP_TLS(inst)
check("AUTH=SCRAM-SHA-256" in m2.capabilities, "993 offers AUTH=SCRAM-SHA-256")
cnonce = base64.b64encode(_os.urandom(18)).decode()
first_bare = f"n={inst.email},r={cnonce}"
state = {}


def scram(challenge):
    if "salt" not in state:  # server-first-message
        attrs = dict(kv.split("=", 1) for kv in challenge.decode().split(","))
        salt, iters, nonce = base64.b64decode(attrs["s"]), int(attrs["i"]), attrs["r"]
        salted = hashlib.pbkdf2_hmac("sha256", inst.password.encode(), salt, iters)
        ckey = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        skey = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        without_proof = f"c=biws,r={nonce}"
        auth_msg = f"{first_bare},{challenge.decode()},{without_proof}".encode()
        sig = hmac.new(hashlib.sha256(ckey).digest(), auth_msg, hashlib.sha256).digest()
        proof = base64.b64encode(bytes(a ^ b for a, b in zip(ckey, sig))).decode()
        state["salt"] = salt
        state["verifier"] = base64.b64encode(hmac.new(skey, auth_msg, hashlib.sha256).digest()).decode()
        return f"{without_proof},p={proof}".encode()
    state["final"] = challenge.decode()  # server-final-message: answered with an empty response
    return b""


first = True


def step(challenge):
    global first
    if first:
        first = False
        return ("n,," + first_bare).encode()
    return scram(challenge)


typ, data = m2.authenticate("SCRAM-SHA-256", step)
check(typ == "OK", f"AUTHENTICATE SCRAM-SHA-256: {typ} {data}")
check(state.get("final") == "v=" + state.get("verifier", "?"), "the server proved it knows the password (v=)")
m2.logout()

# --- session commands --------------------------------------------------------------------
out = raw(m, "CAPABILITY")
caps = out[0].decode()
for c in ["IDLE", "UIDPLUS", "MOVE", "SPECIAL-USE", "CREATE-SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS",
          "NAMESPACE", "ID", "ENABLE", "CONDSTORE", "QRESYNC", "QUOTA", "ESEARCH", "SEARCHRES", "SORT",
          "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT", "UNSELECT", "CHILDREN", "BINARY", "APPENDLIMIT=",
          "COMPRESS=DEFLATE", "LITERAL+", "MULTIAPPEND"]:
    check(f" {c}" in caps, f"CAPABILITY has {c}")
for c in ["STATUS=SIZE", "OBJECTID", "SAVEDATE", "PREVIEW"]:  # RFC 8438, 8474, 8514, 8970
    check(f" {c}" in caps, f"CAPABILITY has {c}")
out = raw(m, "NAMESPACE")
# The personal namespace, and the other users' one of shared mailboxes (Dovecot's prefix).
check(out[0] == b'* NAMESPACE (("" "/")) (("shared/" "/")) NIL', f"NAMESPACE: {out[0]!r}")
out = raw(m, 'ID ("name" "e2e")')
check(out[0].startswith(b'* ID ("name" "Hearth"'), f"ID: {out[0]!r}")
out = raw(m, "ENABLE CONDSTORE")
check(out[0] == b"* ENABLED CONDSTORE", f"ENABLE CONDSTORE: {out[0]!r}")

typ, data = m.list()
names = [d.decode() for d in data]
for box, use in [("INBOX", None), ("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Trash", "\\Trash"),
                 ("Junk", "\\Junk"), ("Archive", "\\Archive")]:
    check(any((n.endswith(f'"{box}"') or n.endswith(f' {box}')) and (use is None or use in n) for n in names), f"LIST has {box} {use or ''}")
out = raw(m, 'LIST "" "*" RETURN (STATUS (MESSAGES UIDNEXT))')
check(any(l.startswith(b'* STATUS INBOX (MESSAGES 0 UIDNEXT 1)') for l in out), "LIST-STATUS for INBOX")
out = raw(m, 'CREATE "Reports" (USE (\\Archive))')
check(out[-1].split()[1] == b"OK", "CREATE-SPECIAL-USE")
check(m.create("Projects/2026")[0] == "OK", "CREATE Projects/2026 (parent absent)")
typ, data = m.list('""', "Projects*")
check(b'(\\Noselect \\HasChildren) "/" "Projects"' in b" ".join(data), f"parent shown as \\Noselect: {data}")
check(m.create("Projects")[0] == "OK", "CREATE Projects")
typ, data = m.list('""', "%")
check(any(b'\\HasChildren' in d and d.endswith(b'"Projects"') for d in data), "CHILDREN: Projects \\HasChildren")
check(m.rename("Projects/2026", "Projects/Done")[0] == "OK", "RENAME")
check(m.unsubscribe("Projects/Done")[0] == "OK", "UNSUBSCRIBE")
typ, data = m.lsub('""', "Projects*")
check(all(b"Done" not in d for d in data if d), f"LSUB drops the unsubscribed: {data}")
check(m.subscribe("Projects/Done")[0] == "OK", "SUBSCRIBE")
check(m.delete("Projects/Done")[0] == "OK", "DELETE")
typ, data = m.delete("INBOX")
check(typ == "NO", "DELETE INBOX refused")
name = "Ünïcödé"
typ, _ = m._simple_command("CREATE", '"&ANw-n&AO8-c&APY-d&AOk-"')
typ, data = m.list('""', "&ANw-*")
check(b'"&ANw-n&AO8-c&APY-d&AOk-"' in b" ".join(d for d in data if d), f"modified UTF-7 names: {data}")

# RFC 6855 UTF8=ACCEPT: names go as UTF-8 once enabled (on its own connection).
u = login(inst)
out = raw(u, "ENABLE UTF8=ACCEPT")
check(out[0] == b"* ENABLED UTF8=ACCEPT", f"ENABLE UTF8=ACCEPT: {out[0]!r}")
tag = u._new_tag()
u.send(tag + ' CREATE "Café"\r\n'.encode())
line = u._get_line()
check(line.startswith(tag + b" OK"), f"CREATE with a UTF-8 name: {line!r}")
out = raw(u, 'LIST "" "Caf*"')
check(out[0] == '* LIST (\\HasNoChildren) "/" "Café"'.encode(), f"LIST answers UTF-8: {out[0]!r}")
u.logout()
typ, data = m.list('""', "Caf*")
check(data[0].endswith(b'"Caf&AOk-"'), f"a client without UTF8=ACCEPT sees modified UTF-7: {data}")

# --- APPEND --------------------------------------------------------------------------------
msg = corpus("nested.eml")
typ, data = m.append("INBOX", "(\\Flagged)", imaplib.Time2Internaldate(1795338000), msg)
check(typ == "OK" and re.match(rb"\[APPENDUID \d+ 1\]", data[0]), f"APPEND: {data}")
# LITERAL+ and MULTIAPPEND in one command, raw.
a, b = corpus("group.eml"), corpus("forwarded.eml")
tag = m._new_tag()
m.send(tag + b" APPEND INBOX (\\Seen) {%d+}\r\n" % len(a) + a + b" {%d+}\r\n" % len(b) + b + b"\r\n")
line = m._get_line()
check(line.startswith(tag + b" OK [APPENDUID ") and line.split()[4] == b"2:3]", f"MULTIAPPEND with LITERAL+: {line!r}")
# CATENATE (RFC 4469): a new Drafts message from a header we send and message 1's body by URL.
check("CATENATE" in caps, "CATENATE is announced")
head = b"From: demo@example.test\r\nSubject: Fwd: nested\r\n\r\n"
tag = m._new_tag()
m.send(tag + b" APPEND Drafts CATENATE (TEXT {%d+}\r\n" % len(head) + head + b" URL \"/INBOX/;UID=1/;SECTION=TEXT\")\r\n")
line = m._get_line()
check(line.startswith(tag + b" OK [APPENDUID "), f"APPEND CATENATE: {line!r}")
tag = m._new_tag()
m.send(tag + b" APPEND Drafts CATENATE (URL \"/INBOX/;UID=99\")\r\n")
line = m._get_line()
check(line.startswith(tag + b" NO [BADURL /INBOX/;UID=99]"), f"a URL naming no message: BADURL ({line!r})")
typ, data = m.select("Drafts", readonly=True)
typ, data = m.fetch(data[0], "(BODY.PEEK[])")
built = data[0][1]
check(built.startswith(head) and built[len(head):] == msg.split(b"\r\n\r\n", 1)[1],
      "the stored message is our header followed by message 1's text")
big = int(re.search(r"APPENDLIMIT=(\d+)", caps).group(1))
tag = m._new_tag()
m.send(tag + b" APPEND INBOX {%d}\r\n" % (big + 1))
line = m._get_line()
check(line.startswith(tag + b" NO [TOOBIG]"), f"APPEND over APPENDLIMIT refused before the literal: {line!r}")

# --- SELECT, FETCH, STORE ------------------------------------------------------------------
typ, data = m.select("INBOX")
check(typ == "OK" and data[0] == b"3", f"SELECT INBOX: 3 messages ({data})")
check(m.untagged_responses.get("UIDVALIDITY") is not None, "SELECT gives UIDVALIDITY")
typ, data = m.fetch("1:3", "(UID FLAGS RFC822.SIZE INTERNALDATE)")
check(typ == "OK" and len(data) == 3, f"FETCH 1:3: {data}")
# RFC 3501 §2.3.2: this IMAP4rev1 session is the first to select them, so they are \Recent.
check(b"FLAGS (\\Flagged \\Recent)" in data[0] and b'INTERNALDATE "22-Nov-2026 09:00:00 +0000"' in data[0],
      f"flags and internal date as appended: {data[0]!r}")
check(b"RFC822.SIZE %d" % len(msg) in data[0], "RFC822.SIZE")
typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")
check(data[0][1] == b"From: Alice Example <alice@example.org>\r\nSubject: Nested parts\r\n\r\n",
      f"HEADER.FIELDS: {data[0][1]!r}")
typ, data = m.fetch("1", "(BODY.PEEK[1.2.1]<0.8> BODY.PEEK[1.2.1.MIME])")
check(data[0][1] == b"<p>HTML ", f"partial body of 1.2.1: {data[0][1]!r}")
check(data[1][1].startswith(b"Content-Type: text/html; charset=utf-8\r\n"), f"1.2.1.MIME: {data[1][1]!r}")
typ, data = m.fetch("1", "(BINARY.PEEK[1.2.2] BINARY.SIZE[1.2.2])")
check(data[0][1] == b"\x89PNG\r\n\x1a\n", f"BINARY decodes base64: {data[0][1]!r}")
typ, data = m.fetch("3", "(BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT])")
check(data[0][1].startswith(b"From: Carol") and data[1][1] == b"The original text.",
      f"message/rfc822 HEADER and TEXT: {data[0][1][:20]!r} {data[1][1]!r}")
typ, data = m.fetch("1", "(FLAGS)")
check(b"\\Seen" not in data[0], "PEEK leaves \\Seen alone")
typ, data = m.fetch("1", "(BODY[TEXT])")
check(b"\\Seen" in b" ".join(x[0] if isinstance(x, tuple) else x for x in data), "BODY[TEXT] sets \\Seen")
typ, data = m.store("1:2", "+FLAGS", "(\\Answered $Label1)")
check(typ == "OK" and b"$Label1" in data[0], f"STORE +FLAGS keyword: {data}")
typ, data = m.store("2", "-FLAGS.SILENT", "($Label1)")
check(typ == "OK", "STORE -FLAGS.SILENT")
out = raw(m, "STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Draft)")
check(b"[MODIFIED 1]" in out[-1], f"CONDSTORE UNCHANGEDSINCE conflict: {out[-1]!r}")
out = raw(m, "FETCH 1 (MODSEQ)")
check(re.match(rb"\* 1 FETCH \(MODSEQ \(\d+\)\)", out[0]), f"FETCH MODSEQ: {out[0]!r}")
out = raw(m, "FETCH 99 FLAGS")
check(out[-1].split()[1] == b"BAD", f"FETCH beyond the mailbox is BAD: {out[-1]!r}")

# --- COPY, MOVE, EXPUNGE -------------------------------------------------------------------
out = raw(m, "UID COPY 1:2 Archive")
check(re.search(rb"OK \[COPYUID \d+ 1:2 1:2\]", out[-1]), f"UID COPY with COPYUID: {out}")
typ, data = m.copy("1", "NoSuchBox")
check(typ == "NO" and b"TRYCREATE" in data[0], f"COPY to a missing mailbox: TRYCREATE ({data})")
out = raw(m, "UID MOVE 3 Trash")
check(any(l.startswith(b"* OK [COPYUID ") for l in out) and b"* 3 EXPUNGE" in out, f"UID MOVE: {out}")
m.store("1", "+FLAGS", "(\\Deleted)")
m.store("2", "+FLAGS", "(\\Deleted)")
out = raw(m, "UID EXPUNGE 2")
check(b"* 2 EXPUNGE" in out and b"* 1 EXPUNGE" not in out, f"UID EXPUNGE only the named uid: {out}")
typ, data = m.expunge()
check(typ == "OK" and data == [b"1"], f"EXPUNGE: {data}")
typ, data = m.status("Archive", "(MESSAGES UNSEEN UIDNEXT)")
check(data[0] == b'"Archive" (MESSAGES 2 UNSEEN 0 UIDNEXT 3)', f"STATUS Archive: {data}")
typ, data = m.select("Archive", readonly=True)
check(typ == "OK", "EXAMINE Archive")
typ, data = m.store("1", "+FLAGS", "(\\Deleted)")
check(typ == "NO", "STORE in a read-only mailbox refused")
out = raw(m, "UNSELECT")
check(out[-1].split()[1] == b"OK", "UNSELECT")
m.select("Archive")
m.store("1", "+FLAGS", "(\\Deleted)")
typ, data = m.close()
check(typ == "OK", "CLOSE")
typ, data = m.status("Archive", "(MESSAGES)")
check(data[0] == b'"Archive" (MESSAGES 1)', f"CLOSE expunged silently: {data}")
out = raw(m, "GETQUOTAROOT INBOX")
check(out[0] == b'* QUOTAROOT INBOX ""' and out[1].startswith(b'* QUOTA ""'), f"GETQUOTAROOT: {out}")

# --- bad input -----------------------------------------------------------------------------
for bad in ["FETCH", "SELECT", "FROB x", "UID FROB", "STORE 1 +FLAGS (\\Recent)", 'LIST "" "*" RETURN (NOPE)']:
    out = raw(m, bad)
    check(out[-1].split()[1] in (b"BAD", b"NO"), f"{bad!r} gets BAD/NO: {out[-1]!r}")
typ, data = m.noop()
check(typ == "OK", "the session survives bad input")

# --- COMPRESS=DEFLATE (raw socket: imaplib has no COMPRESS) ---------------------------------
m.logout()
import ssl
ctx = ssl.create_default_context(cafile=inst.ca_file())
s = ctx.wrap_socket(socket.create_connection((inst.addr, inst.port("imaps")), timeout=10), server_hostname=inst.hostname)
s.recv(4096)
s.sendall(b"a LOGIN " + inst.email.encode() + b" " + inst.password.encode() + b"\r\n")
buf = b""
while b"a OK" not in buf:
    buf += s.recv(4096)
s.sendall(b"b COMPRESS DEFLATE\r\n")
buf = b""
while b"\r\n" not in buf:
    buf += s.recv(4096)
check(buf.startswith(b"b OK"), f"COMPRESS DEFLATE: {buf!r}")
co = zlib.compressobj(wbits=-15)
de = zlib.decompressobj(wbits=-15)
s.sendall(co.compress(b"c LIST \"\" \"INBOX\"\r\nd LOGOUT\r\n") + co.flush(zlib.Z_SYNC_FLUSH))
plain = b""
while b"d OK" not in plain:
    chunk = s.recv(4096)
    if not chunk:
        break
    plain += de.decompress(chunk)
check(b'* LIST (\\HasNoChildren) "/" INBOX' in plain and b"c OK" in plain, f"commands over DEFLATE: {plain!r}")
s.close()
finish()
