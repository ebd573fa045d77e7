"""`hearth import mbox` and `hearth import maildir`, checked over IMAP against the files the test
writes: a Google Takeout-shaped mbox (X-Gmail-Labels → folders and flags, one blob per message),
an mboxrd file with quoted From lines into --folder, a Maildir++ tree (flags and Dovecot keywords
from the file names, modified UTF-7 and other servers' special folder names, mtime as internal
date) and a Dovecot LAYOUT=fs tree. A second import of each adds nothing.
"""
import datetime
import hashlib
import os
import re
import tempfile

from hearth_test import Instance, check, finish
from mailbox import stored_blob_ids
from backup_lib import imap_login, mailbox_names, read_mailbox

a = Instance("demo@example.test", host=1)
work = tempfile.mkdtemp(prefix="hearth-import-", dir=a.dir)


def imap_date(text):
    return int(datetime.datetime.strptime(text.strip(), "%d-%b-%Y %H:%M:%S %z").timestamp())


def body_crlf(text):
    return text.replace("\n", "\r\n").encode()


# ---- a Takeout-shaped mbox ----
takeout = [
    # (labels, message-id, from_line date, expected folders, expected flags)
    ("Inbox,Opened", "<t1@mail.gmail.com>", "Thu Jun 04 18:39:50 +0000 2020", ["INBOX"], {"\\Seen"}),
    ("Sent,Opened", "<t2@mail.gmail.com>", "Fri Jun 05 09:00:00 +0000 2020", ["Sent"], {"\\Seen"}),
    ("Spam,Unread", "<t3@mail.gmail.com>", "Sat Jun 06 10:00:00 +0000 2020", ["Junk"], set()),
    ("Trash,Opened", "<t4@mail.gmail.com>", "Sun Jun 07 11:00:00 +0000 2020", ["Trash"], {"\\Seen"}),
    ("Archived,Unread,Category Updates", "<t5@mail.gmail.com>", "Mon Jun 08 12:00:00 +0000 2020", ["Archive"], set()),
    ("Inbox,Work/Projects,Starred,Opened,Important", "<t6@mail.gmail.com>", "Tue Jun 09 13:00:00 +0000 2020",
     ["INBOX", "Work/Projects"], {"\\Seen", "\\Flagged", "$Important"}),
    ('"Family, close",Opened', "<t7@mail.gmail.com>", "Wed Jun 10 14:00:00 +0000 2020", ["Family, close"], {"\\Seen"}),
]
expected = {}  # folder -> {message-id: (sha256 of the stored bytes, flags, internal date)}
parts = []
for labels, mid, date, folders, flags in takeout:
    msg = (f"X-GM-THRID: 1\nX-Gmail-Labels: {labels}\nFrom: someone@gmail.com\nTo: demo@example.test\n"
           f"Subject: takeout {mid}\nMessage-ID: {mid}\n\nHello,\n\nFrom the mountains with love.\n"
           f">From quoted once\n>>From quoted twice\nbye\n")
    escaped = re.sub(r"^(>*From )", r">\1", msg, flags=re.M).replace("\n>From the mountains", "\n>From the mountains")
    parts.append(f"From 1668{len(parts)}@xxx {date}\n" + escaped + "\n")
    stored = body_crlf(msg)
    ts = int(datetime.datetime.strptime(date, "%a %b %d %H:%M:%S %z %Y").timestamp())
    for f in folders:
        expected.setdefault(f, {})[mid] = (hashlib.sha256(stored).hexdigest(), flags, ts)
mbox_path = os.path.join(work, "All mail Including Spam and Trash.mbox")
with open(mbox_path, "w") as f:
    f.write("".join(parts))

# ---- an mboxrd file for --folder ----
old_msgs = []
with open(os.path.join(work, "old.mbox"), "w") as f:
    for i in range(3):
        msg = (f"From: old{i}@example.org\nSubject: old {i}\nMessage-ID: <old{i}@example.org>\n"
               f"Date: Thu, 1 Jan 2015 0{i}:00:00 +0100\nStatus: RO\n\nline\n\nFrom here on, unquoted\n")
        body = msg.replace("\nFrom here", "\n>From here")
        f.write(f"From old{i}@example.org Thu Jan  1 0{i}:00:00 2015\n{body}\n")
        old_msgs.append((f"<old{i}@example.org>", hashlib.sha256(body_crlf(msg)).hexdigest()))

# ---- a Maildir++ tree ----
md = os.path.join(work, "Maildir")
maildir_expect = {}


def put(folder_dir, name, mid, mailbox, flags, mtime, sub="cur"):
    os.makedirs(os.path.join(folder_dir, "cur"), exist_ok=True)
    os.makedirs(os.path.join(folder_dir, "new"), exist_ok=True)
    os.makedirs(os.path.join(folder_dir, "tmp"), exist_ok=True)
    msg = f"From: md@example.net\nSubject: maildir {mid}\nMessage-ID: {mid}\n\nmaildir body {mid}\n"
    path = os.path.join(folder_dir, sub, name)
    with open(path, "w") as f:
        f.write(msg)
    os.utime(path, (mtime, mtime))
    maildir_expect.setdefault(mailbox, {})[mid] = (hashlib.sha256(body_crlf(msg)).hexdigest(), flags, mtime)


put(md, "1600000001.M1P1.host,S=100:2,S", "<m1@x>", "INBOX", {"\\Seen"}, 1600000001)
put(md, "1600000002.M2P1.host,S=100,W=110:2,FRSab", "<m2@x>", "INBOX",
    {"\\Seen", "\\Answered", "\\Flagged", "$Label1", "Work"}, 1600000002)
put(md, "1600000003.M3P1.host", "<m3@x>", "INBOX", set(), 1600000003, sub="new")
with open(os.path.join(md, "dovecot-keywords"), "w") as f:
    f.write("0 $Label1\n1 Work\n")
put(os.path.join(md, ".Work.Projects"), "1600000004.M4P1.host:2,T", "<m4@x>", "Work/Projects", {"\\Deleted"}, 1600000004)
put(os.path.join(md, ".Entw&APw-rfe"), "1600000005.M5P1.host:2,D", "<m5@x>", "Entwürfe", {"\\Draft"}, 1600000005)
put(os.path.join(md, ".Sent Messages"), "1600000006.M6P1.host:2,S", "<m6@x>", "Sent", {"\\Seen"}, 1600000006)
# Dovecot LAYOUT=fs
fsroot = os.path.join(work, "fs")
put(fsroot, "1600000007.M7P1.host:2,S", "<m7@x>", "INBOX", {"\\Seen"}, 1600000007)
put(os.path.join(fsroot, "Lists", "Debian"), "1600000008.M8P1.host:2,", "<m8@x>", "Lists/Debian", set(), 1600000008)

a.start()


def imp(*args):
    return a.cli(["import", *args, "--user", "demo@example.test"], check_rc=False)


cp = imp("mbox", mbox_path)
print(cp.stdout.strip(), cp.stderr.strip())
check(cp.returncode == 0 and "7 messages read, 8 copies stored" in cp.stdout, "Takeout mbox imported (7 messages, 8 copies)")
cp = imp("mbox", os.path.join(work, "old.mbox"), "--folder", "Old")
check(cp.returncode == 0 and "3 copies stored" in cp.stdout, f"mboxrd imported into --folder ({cp.stdout.strip()})")
cp = imp("maildir", md)
print(cp.stdout.strip(), cp.stderr.strip())
check(cp.returncode == 0 and "6 stored" in cp.stdout, "Maildir++ tree imported (6 messages)")
cp = imp("maildir", fsroot)
check(cp.returncode == 0 and "2 stored" in cp.stdout, f"Dovecot LAYOUT=fs tree imported ({cp.stdout.strip()})")

imap = imap_login(a, a.password)
names = mailbox_names(imap)
print("info mailboxes:", names)
for f in ["Work", "Work/Projects", "Family, close", "Old", "Entwürfe", "Lists", "Lists/Debian"]:
    check(f in names, f"mailbox {f!r} exists")
check("Sent Messages" not in names, "\"Sent Messages\" went into Sent")


def compare(exp, what):
    for folder, msgs in exp.items():
        got = {m[0]: m for m in read_mailbox(imap, folder) or []}
        for mid, (sha, flags, ts) in msgs.items():
            g = got.get(mid)
            ok = g is not None and g[1] == sha and g[2] == flags and imap_date(g[3]) == ts
            check(ok, f"{what}: {folder} holds {mid} byte for byte, flags {sorted(flags)}, internal date"
                      + ("" if ok else f" (got {g and (g[1] == sha, sorted(g[2]), g[3])})"))


all_expected = {}
for src in (expected, maildir_expect):
    for folder, msgs in src.items():
        all_expected.setdefault(folder, {}).update(msgs)
compare(expected, "mbox")
compare(maildir_expect, "maildir")
old = {m[0]: m for m in read_mailbox(imap, "Old")}
check(all(mid in old and old[mid][1] == sha and "\\Seen" in old[mid][2] for mid, sha in old_msgs),
      "mboxrd: >From unquoted once, Status: RO gives \\Seen")
counts_before = {n: len(read_mailbox(imap, n) or []) for n in names}

# Idempotent: the same files again add nothing.
cp1 = imp("mbox", mbox_path)
cp2 = imp("maildir", md)
cp3 = imp("mbox", os.path.join(work, "old.mbox"), "--folder", "Old")
check(cp1.returncode == 0 and "0 copies stored, 8 already there" in cp1.stdout, f"second mbox import adds nothing ({cp1.stdout.strip()})")
check(cp2.returncode == 0 and "0 stored, 6 already there" in cp2.stdout, f"second Maildir import adds nothing ({cp2.stdout.strip()})")
check(cp3.returncode == 0 and "0 copies stored" in cp3.stdout, "second --folder import adds nothing")
imap.noop()
counts_after = {n: len(read_mailbox(imap, n) or []) for n in mailbox_names(imap)}
check(counts_after == counts_before, "mailbox counts unchanged after the second imports")
# One blob per message: the Takeout message in INBOX and Work/Projects is one file.
blobs = len(stored_blob_ids(a))
distinct = len({m[1] for n in counts_after for m in (read_mailbox(imap, n) or [])})
check(blobs == distinct, f"one blob per distinct message ({blobs} blobs, {distinct} distinct messages)")
imap.logout()

# --gmail-labels keywords: one copy each, in the place Gmail shows it, the user's labels as
# keywords (the same rule as `hearth migrate imap --gmail-labels keywords`).
a.cli(["user", "add", "kw@example.test", "--password-stdin"], input="pw-kw-secret\n")
cp = a.cli(["import", "mbox", mbox_path, "--user", "kw@example.test", "--gmail-labels", "keywords"], check_rc=False)
check(cp.returncode == 0 and "7 messages read, 7 copies stored" in cp.stdout, f"keywords mode: one copy per message ({cp.stdout.strip()})")
kw = imap_login(a, "pw-kw-secret", user="kw@example.test")
kw_names = mailbox_names(kw)
check("Work/Projects" not in kw_names and "Family, close" not in kw_names, f"keywords mode makes no label folders: {kw_names}")
inbox = {m[0]: m for m in read_mailbox(kw, "INBOX") or []}
check("<t6@mail.gmail.com>" in inbox and {"Work/Projects", "\\Flagged", "$Important"} <= inbox["<t6@mail.gmail.com>"][2],
      f"the labelled message is in INBOX with its label as a keyword: {inbox.get('<t6@mail.gmail.com>', ('',))[2:3]}")
archive = {m[0]: m for m in read_mailbox(kw, "Archive") or []}
check("<t7@mail.gmail.com>" in archive and "Family,_close" in archive["<t7@mail.gmail.com>"][2],
      f"a message with only a user label goes to Archive, the label a keyword: {archive.get('<t7@mail.gmail.com>', ('',))[2:3]}")
kw.logout()
cp = a.cli(["import", "mbox", mbox_path, "--user", "kw@example.test", "--gmail-labels", "tags"], check_rc=False)
check(cp.returncode == 2 and "folders or keywords" in cp.stderr, "an unknown --gmail-labels value is refused")

cp = a.cli(["import", "mbox", "/nonexistent.mbox", "--user", "demo@example.test"], check_rc=False)
check(cp.returncode == 1 and "cannot read" in cp.stderr, "a missing file is a clear error")
cp = a.cli(["import", "mbox", mbox_path, "--user", "nobody@example.test"], check_rc=False)
check(cp.returncode == 1 and "no such account" in cp.stderr, "an unknown account is a clear error")
rc, _ = a.stop()
check(rc == 0, "server stops cleanly")
finish()
