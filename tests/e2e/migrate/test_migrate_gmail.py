"""`hearth migrate imap` against Gmail's IMAP extension (X-GM-EXT-1).

Gmail itself cannot run here, so this test answers as Gmail does with a small IMAP responder
written below (Python asyncio, implicit TLS with a private CA): CAPABILITY, AUTHENTICATE PLAIN,
LOGIN, ENABLE UTF8=ACCEPT (names and labels then in UTF-8; offered to
some runs only), LIST with RFC 6154 attributes (\\All, \\Sent, \\Junk, \\Trash, \\Flagged, \\Important),
EXAMINE/SELECT, STATUS, UID SEARCH and UID FETCH with X-GM-MSGID and X-GM-LABELS. It is the only
part of the migration tests that is not a real server (the rest runs against Dovecot).

Checked over IMAP against Hearth: with --gmail-labels folders, each message is read once, from
[Gmail]/All Mail (the label folders are never opened), and lands once in each label's folder
(\\Inbox in INBOX, \\Sent in Sent, non-ASCII and nested labels as folders, \\Starred as \\Flagged,
\\Important dropped, no label in Archive); Spam and Trash are copied from their own folders; the
bodies are stored once (one blob per distinct message); with --gmail-labels keywords, one copy
per message in INBOX or Archive with the labels as keywords; a second run copies nothing.
"""
import asyncio
import atexit
import base64
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time

if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    tempfile.tempdir = "/dev/shm"

sys.path.insert(0, os.path.dirname(__file__))
from hearth_test import HEARTH, NET, Instance, check, finish  # noqa: E402
from mailbox import stored_blob_ids  # noqa: E402
from imap_client import hearth_login  # noqa: E402
import dovecot  # noqa: E402  (certificates, message bodies, reading Hearth)

IP = f"{NET}.3"
PORT = 1993
USER, PASSWORD = "ann@gmail.test", "gmail-pw"

FOLDERS = [  # (attributes, name as sent: modified UTF-7)
    ("\\HasNoChildren", "INBOX"),
    ("\\HasChildren \\Noselect", "[Gmail]"),
    ("\\All \\HasNoChildren", "[Gmail]/All Mail"),
    ("\\Drafts \\HasNoChildren", "[Gmail]/Drafts"),
    ("\\HasNoChildren \\Sent", "[Gmail]/Sent Mail"),
    ("\\HasNoChildren \\Junk", "[Gmail]/Spam"),
    ("\\Flagged \\HasNoChildren", "[Gmail]/Starred"),
    ("\\HasNoChildren \\Important", "[Gmail]/Important"),
    ("\\HasNoChildren \\Trash", "[Gmail]/Trash"),
    ("\\HasChildren", "Work"),
    ("\\HasNoChildren", "Work/Clients"),
    ("\\HasNoChildren", "Re&AOc-us"),
    ("\\HasNoChildren", "Empty label"),
]


def labels_of(i):
    l = []
    if i % 3 == 0: l.append("\\Inbox")
    if i % 4 == 1: l.append("\\Important")
    if i % 7 == 1: l.append("\\Sent")
    if i % 5 == 0: l.append("Work")
    if i % 11 == 0: l.append("Work/Clients")
    if i % 6 == 2: l.append("Re&AOc-us")
    if i % 8 == 0: l.append("\\Starred")
    return l


N = 120
ALL = [(i + 1, i) for i in range(N)]          # (uid, message number)
SPAM = [(1, 1000), (2, 1001)]
TRASH = [(5, 1002)]
BOXES = {"[Gmail]/All Mail": ALL, "[Gmail]/Spam": SPAM, "[Gmail]/Trash": TRASH}
for name in ["INBOX", "[Gmail]/Drafts", "[Gmail]/Sent Mail", "[Gmail]/Starred", "[Gmail]/Important", "Work",
             "Work/Clients", "Re&AOc-us", "Empty label"]:
    # Label folders hold the same messages again; the migration must not read them.
    BOXES[name] = [(k + 1, i) for k, (_, i) in enumerate(ALL) if name == "INBOX" and i % 3 == 0]
opened = []
OFFER_UTF8 = True  # the folders runs use UTF-8 names, the keywords run modified UTF-7
CUT_AFTER = None   # drop the connection after this many FETCH answers (once): a network cut


def gm_label_list(i, utf8):
    out = []
    for l in labels_of(i):
        if l.startswith("\\"):
            out.append('"' + l.replace("\\", "\\\\") + '"')
        elif utf8:
            out.append('"' + dovecot.imaplib_decode(l) + '"')
        else:
            out.append(l)
    return " ".join(out)


async def session(reader, writer):
    def send(s):
        writer.write(s if isinstance(s, bytes) else s.encode())
    send("* OK [CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS "
         "COMPRESS=DEFLATE ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS LITERAL- "
         "SPECIAL-USE APPENDLIMIT=35651584 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR] Gimap ready\r\n")
    selected = None
    authed = False
    utf8 = False  # RFC 6855: after ENABLE UTF8=ACCEPT, names and labels travel as UTF-8
    while True:
        line = await reader.readline()
        if not line:
            break
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        parts = text.split(" ", 2)
        if len(parts) < 2:
            send("* BAD missing tag\r\n")
            continue
        tag, cmd = parts[0], parts[1].upper()
        arg = parts[2] if len(parts) > 2 else ""
        if cmd == "UID":
            sub, _, arg = arg.partition(" ")
            cmd = "UID " + sub.upper()
        if cmd == "CAPABILITY":
            send("* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS "
                 "ENABLE MOVE CONDSTORE ESEARCH " + ("UTF8=ACCEPT " if OFFER_UTF8 else "") +
                 "LIST-EXTENDED SPECIAL-USE LITERAL- AUTH=PLAIN SASL-IR\r\n")
            send(f"{tag} OK Thats all she wrote!\r\n")
        elif cmd == "AUTHENTICATE":
            mech, _, ir = arg.partition(" ")
            try:
                _, u, p = base64.b64decode(ir).decode().split("\0")
            except Exception:
                u = p = None
            if mech.upper() == "PLAIN" and u == USER and p == PASSWORD:
                authed = True
                send(f"{tag} OK {USER} authenticated (Success)\r\n")
            else:
                send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n")
        elif cmd == "LOGIN":
            send(f"{tag} NO use AUTHENTICATE\r\n")
        elif not authed:
            send(f"{tag} BAD not authenticated\r\n")
        elif cmd == "ENABLE":
            if "UTF8=ACCEPT" in arg.upper():
                utf8 = True
                send("* ENABLED UTF8=ACCEPT\r\n")
            send(f"{tag} OK Success\r\n")
        elif cmd == "NAMESPACE":
            send('* NAMESPACE (("" "/")) NIL NIL\r\n' f"{tag} OK Success\r\n")
        elif cmd == "LIST":
            for attrs, name in FOLDERS:
                if utf8:
                    name = dovecot.imaplib_decode(name)
                q = '"' + name + '"' if " " in name or "[" in name or not name.isascii() else name
                send(f'* LIST ({attrs}) "/" {q}\r\n')
            send(f"{tag} OK Success\r\n")
        elif cmd in ("SELECT", "EXAMINE", "STATUS"):
            m = re.match(r'"((?:[^"\\]|\\.)*)"|(\S+)', arg)
            name = m.group(1) if m.group(1) is not None else m.group(2)
            if utf8:
                name = dovecot.mutf7(name)
            if name not in BOXES:
                send(f"{tag} NO [NONEXISTENT] Unknown Mailbox: {name}\r\n")
                continue
            msgs = BOXES[name]
            if cmd == "STATUS":
                q = '"' + name + '"'
                send(f"* STATUS {q} (MESSAGES {len(msgs)} UIDVALIDITY 11)\r\n{tag} OK Success\r\n")
                continue
            opened.append(name)
            selected = name
            send(f"* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $Phishing $NotPhishing)\r\n"
                 f"* OK [UIDVALIDITY 11] UIDs valid.\r\n* {len(msgs)} EXISTS\r\n* 0 RECENT\r\n"
                 f"* OK [UIDNEXT {len(msgs) + 10}] Predicted next UID.\r\n{tag} OK [READ-ONLY] {name} selected.\r\n")
        elif cmd == "UID SEARCH" and selected:
            uids = " ".join(str(u) for u, _ in BOXES[selected])
            send(f"* SEARCH {uids}\r\n{tag} OK SEARCH completed (Success)\r\n")
        elif cmd == "UID FETCH" and selected:
            want_set, _, items = arg.partition(" ")
            wanted = set()
            for part in want_set.split(","):
                a, _, b = part.partition(":")
                wanted.update(range(int(a), int(b or a) + 1))
            global CUT_AFTER
            for seq, (uid, i) in enumerate(BOXES[selected], 1):
                if uid not in wanted:
                    continue
                if CUT_AFTER is not None and selected == "[Gmail]/All Mail":
                    CUT_AFTER -= 1
                    if CUT_AFTER < 0:
                        CUT_AFTER = None
                        writer.transport.abort()
                        return
                body = dovecot.message(i)
                fl = " ".join(dovecot.flags_of(i))
                labels = gm_label_list(i, utf8) if selected == "[Gmail]/All Mail" else ""
                head = (f"* {seq} FETCH (X-GM-MSGID {10**18 + i} X-GM-LABELS ({labels}) "
                        f"UID {uid} FLAGS ({fl}) INTERNALDATE \"{dovecot.imap_date(dovecot.date_of(i))}\" ")
                if "BODY.PEEK[]" in items.upper():
                    send(head.encode() + f"BODY[] {{{len(body)}}}\r\n".encode() + body + b")\r\n")
                else:
                    send(head + f"RFC822.SIZE {len(body)})\r\n")
            send(f"{tag} OK Success\r\n")
        elif cmd == "LOGOUT":
            send(f"* BYE LOGOUT Requested\r\n{tag} OK 73 good day (Success)\r\n")
            await writer.drain()
            break
        else:
            send(f"{tag} BAD Unknown command\r\n")
        await writer.drain()
    writer.close()


def serve(ctx, ready):
    async def main():
        server = await asyncio.start_server(session, IP, PORT, ssl=ctx)
        ready.set()
        async with server:
            await server.serve_forever()
    asyncio.run(main())


work = tempfile.mkdtemp(prefix="hearth-migrate-gmail-")
atexit.register(shutil.rmtree, work, True)
ca, cert, key = dovecot.make_ca(work, IP)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ready = threading.Event()
threading.Thread(target=serve, args=(ctx, ready), daemon=True).start()
ready.wait(10)

inst = Instance(host=1)
inst.start(wait_for="imaps")
inst.cli(["user", "add", "kw@example.test", "--password-stdin"], input="kw-password-12\n")


def migrate(to, mode):
    p = subprocess.run([HEARTH, "--config", inst.config, "migrate", "imap", "--from", f"imaps://{IP}:{PORT}",
                        "--login", USER, "--password-stdin", "--to", to, "--ca", ca, "--gmail-labels", mode],
                       input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def content(email, password):
    c = hearth_login(inst, email, password)
    got = dovecot.read_hearth(c, skip=())
    c.logout()
    return {box: msgs for box, msgs in got.items() if msgs}


def blob_count():
    return len(stored_blob_ids(inst))


# Expected filing, from the labels alone.
want = {}
for _, i in ALL:
    ls = labels_of(i)
    boxes = []
    if "\\Inbox" in ls: boxes.append("INBOX")
    if "\\Sent" in ls: boxes.append("Sent")
    if "Work" in ls: boxes.append("Work")
    if "Work/Clients" in ls: boxes.append("Work/Clients")
    if "Re&AOc-us" in ls: boxes.append("Reçus")
    if not boxes: boxes.append("Archive")
    fl = set(dovecot.flags_of(i)) | ({"\\Flagged"} if "\\Starred" in ls else set())
    for b in boxes:
        want.setdefault(b, {})[dovecot.key(dovecot.message(i))] = fl
for box, msgs in (("Junk", SPAM), ("Trash", TRASH)):
    for _, i in msgs:
        want.setdefault(box, {})[dovecot.key(dovecot.message(i))] = set(dovecot.flags_of(i))

rc, out = migrate(inst.email, "folders")
check(rc == 0, f"migration with --gmail-labels folders succeeds: {out[-600:]}")
check(sorted(set(opened)) == ["[Gmail]/All Mail", "[Gmail]/Spam", "[Gmail]/Trash"],
      f"only All Mail, Spam and Trash were read, each message once: {sorted(set(opened))}")
got = content(inst.email, inst.password)
ok = set(got) == set(want)
check(ok, f"the folders are the labels' ({sorted(got)} vs {sorted(want)})")
for box, w in want.items():
    msgs = got.get(box, [])
    keys = [k for k, _, _ in msgs]
    check(len(keys) == len(set(keys)) and set(keys) == set(w), f"{box}: exactly its {len(w)} messages, once each")
    check(all(fl == w[k] for k, fl, _ in msgs), f"{box}: flags equal (\\Starred as \\Flagged)")
check(all(d == dovecot.date_of(int(re.search(r"msg-(\d+)@", k).group(1))) for msgs in got.values() for k, _, d in msgs),
      "internal dates equal")
c = hearth_login(inst, inst.email, inst.password)
names = [l.decode() for l in c.list()[1]]
c.logout()
check(any("Empty label" in n for n in names), "an empty label still becomes a folder")
distinct = N + len(SPAM) + len(TRASH)
check(blob_count() == distinct, f"each body is stored once ({blob_count()} blobs for {distinct} messages)")

opened.clear()
rc, out = migrate(inst.email, "folders")
check(rc == 0 and " 0 copies stored" in out, f"a second run copies nothing: {out.strip().splitlines()[-1:]}")

OFFER_UTF8 = False
rc, out = migrate("kw@example.test", "keywords")
check(rc == 0, f"migration with --gmail-labels keywords succeeds: {out[-400:]}")
got = content("kw@example.test", "kw-password-12")
inbox = {k: fl for k, fl, _ in got.get("INBOX", [])}
archive = {k: fl for k, fl, _ in got.get("Archive", [])}
sent = {k: fl for k, fl, _ in got.get("Sent", [])}
want_inbox = {dovecot.key(dovecot.message(i)) for _, i in ALL if "\\Inbox" in labels_of(i)}
check(set(inbox) == want_inbox, f"keywords: INBOX holds the \\Inbox messages ({len(inbox)}/{len(want_inbox)})")
check(len(inbox) + len(archive) + len(sent) == N and not (set(inbox) & set(archive)),
      f"keywords: one copy per message ({len(inbox)} + {len(archive)} + {len(sent)})")
check(set(got) <= {"INBOX", "Archive", "Sent", "Junk", "Trash"}, f"keywords: no label folders ({sorted(got)})")
k0 = dovecot.key(dovecot.message(0))  # labels \Inbox, Work, Work/Clients, \Starred
check(k0 in inbox and {"Work", "Work/Clients", "\\Flagged"} <= inbox[k0], f"labels became keywords: {inbox.get(k0)}")
k2 = dovecot.key(dovecot.message(2))
where = inbox.get(k2) or archive.get(k2) or sent.get(k2) or set()
check("Re&AOc-us" in where, f"a non-ASCII label is a modified UTF-7 keyword: {where}")
# --folders INBOX on Gmail reads INBOX itself (All Mail is not read, so it cannot stand for it).
inst.cli(["user", "add", "inb@example.test", "--password-stdin"], input="inb-password-12\n")
opened.clear()
p = subprocess.run([HEARTH, "--config", inst.config, "migrate", "imap", "--from", f"imaps://{IP}:{PORT}",
                    "--login", USER, "--password-stdin", "--to", "inb@example.test", "--ca", ca, "--folders", "INBOX"],
                   input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
got = content("inb@example.test", "inb-password-12")
check(p.returncode == 0 and opened == ["INBOX"] and {b: len(v) for b, v in got.items()} == {"INBOX": len(want["INBOX"])},
      f"--folders INBOX on Gmail copies INBOX only: {opened} { {b: len(v) for b, v in got.items()} }")

# The connection is cut in the middle of All Mail: the folder is read again on a new
# connection, from where it stopped, and every message still arrives once.
inst.cli(["user", "add", "cut@example.test", "--password-stdin"], input="cut-password-12\n")
CUT_AFTER = 50
rc, out = migrate("cut@example.test", "folders")
check(rc == 0 and "connecting again" in out, f"a cut connection is opened again: {out[-300:]}")
got = content("cut@example.test", "cut-password-12")
check({b: sorted(k for k, _, _ in v) for b, v in got.items()} == {b: sorted(w) for b, w in want.items()},
      "after the cut: exactly the expected copies, nothing twice")

# On a terminal: the progress bar (counts, bytes, rate, ETA); --bwlimit holds the rate down.
import pty  # noqa: E402
inst.cli(["user", "add", "tty@example.test", "--password-stdin"], input="tty-password-12\n")
pid, fd = pty.fork()
if pid == 0:
    os.execv(HEARTH, [HEARTH, "--config", inst.config, "migrate", "imap", "--from", f"imaps://{IP}:{PORT}",
                      "--login", USER, "--password-stdin", "--to", "tty@example.test", "--ca", ca, "--bwlimit", "60k"])
t0 = time.monotonic()
os.write(fd, (PASSWORD + "\n").encode())
screen = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    screen += chunk
_, status = os.waitpid(pid, 0)
took = time.monotonic() - t0
text = screen.decode("utf-8", "replace")
check(os.WEXITSTATUS(status) == 0, "the run on a terminal succeeds")
check(re.search(r"\r\x1b\[K\[[#.]+\] \d+/\d+ msgs .* msg/s .*/s  ETA ", text) is not None,
      f"a progress bar with counts, bytes, rate and ETA: {text[:200]!r}")
volume = sum(len(dovecot.message(i)) for _, i in ALL + SPAM + TRASH)
check(took >= volume / 60000 * 0.7, f"--bwlimit 60k: {volume} bytes took {took:.1f} s")
finish()
