"""mbsync (isync) two-way sync between hearth and a local Maildir: the first run pulls every
message with its flags; local flag changes, a new local message and a new local folder are
pushed; server-side flag changes and expunges come back; a last run transfers nothing."""
import glob
import os
import shutil
import subprocess
import tempfile
import time

from hearth_test import check, finish
from imap_common import corpus, login, start

if not shutil.which("mbsync"):
    print("mbsync (Debian package isync) is not installed")
    check(False, "mbsync installed")
    finish()

inst = start()
m = login(inst)
m.append("INBOX", "(\\Flagged)", None, corpus("nested.eml"))
m.append("INBOX", None, None, corpus("forwarded.eml"))
m.append("Sent", "(\\Seen)", None, corpus("group.eml"))
m.logout()

work = tempfile.mkdtemp(prefix="hearth-mbsync-")
maildir = os.path.join(work, "mail")
os.makedirs(maildir)
# isync skips the host name check when the served certificate itself is listed in
# CertificateFile, so the chain file (leaf + dev CA) lets it connect by address.
rc_file = os.path.join(work, "mbsyncrc")
with open(rc_file, "w") as f:
    f.write(f"""IMAPAccount hearth
Host {inst.addr}
Port {inst.port("imaps")}
User {inst.email}
Pass {inst.password}
SSLType IMAPS
CertificateFile {inst.cert_file()}
SystemCertificates no
Timeout 20

IMAPStore remote
Account hearth

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Remove Both
Expunge Both
SyncState *
""")


def mbsync():
    cp = subprocess.run(["mbsync", "-c", rc_file, "-a"], capture_output=True, text=True, timeout=60)
    return cp.returncode, cp.stdout + cp.stderr


def local(box):
    return sorted(glob.glob(os.path.join(maildir, box, "cur", "*")) + glob.glob(os.path.join(maildir, box, "new", "*")))


def server_flags(box):
    m = login(inst)
    typ, data = m.select(box)
    res = {}
    if int(data[0]):
        typ, data = m.fetch("1:*", "(UID FLAGS)")
        for d in data:
            res[int(d.split(b"UID ")[1].split()[0].rstrip(b")"))] = d.split(b"FLAGS (")[1].split(b")")[0].decode()
    m.logout()
    return res


rc, out = mbsync()
check(rc == 0, f"first mbsync run succeeds: {out.strip()[-300:]}")
inbox = local("INBOX")
check(len(inbox) == 2, f"2 messages pulled into INBOX ({inbox})")
check(any(p.endswith(",F") or ",F" in p.split(":2")[-1] for p in inbox), f"\\Flagged pulled as F: {inbox}")
check(len(local("Sent")) == 1 and local("Sent")[0].split(":2,")[-1] == "S", f"Sent pulled with S: {local('Sent')}")
for box in ["Drafts", "Trash", "Junk", "Archive"]:
    check(os.path.isdir(os.path.join(maildir, box)), f"folder {box} created locally")

# Local changes: mark the unflagged message seen, add a message, add a folder with a message.
plain = next(p for p in inbox if ":2," in p and "F" not in p.split(":2,")[1])
os.rename(plain, plain + "S" if plain.endswith(",") else plain.replace(":2,", ":2,S"))
newmsg = os.path.join(maildir, "INBOX", "new", f"{int(time.time())}.1.local")
with open(newmsg, "wb") as f:
    f.write(corpus("latin1.eml"))
for sub in ["cur", "new", "tmp"]:
    os.makedirs(os.path.join(maildir, "Local", sub))
with open(os.path.join(maildir, "Local", "new", f"{int(time.time())}.2.local"), "wb") as f:
    f.write(corpus("rfc2231.eml"))
rc, out = mbsync()
check(rc == 0, f"second run pushes: {out.strip()[-300:]}")
flags = server_flags("INBOX")
check(len(flags) == 3, f"server INBOX has 3 messages: {flags}")
check(flags.get(2) == "\\Seen", f"local S arrived as \\Seen on uid 2: {flags}")
check(len(server_flags("Local")) == 1, "new local folder created on the server with its message")

# Server-side changes come back.
m = login(inst)
m.select("INBOX")
m.uid("STORE", "2", "+FLAGS", "(\\Flagged)")
m.uid("STORE", "1", "+FLAGS", "(\\Deleted)")
m.expunge()
m.logout()
rc, out = mbsync()
check(rc == 0, f"third run pulls server changes: {out.strip()[-300:]}")
inbox = local("INBOX")
check(len(inbox) == 2, f"server expunge removed the local copy: {inbox}")
check(any(p.split(":2,")[-1] == "FS" for p in inbox), f"server \\Flagged arrived as F: {inbox}")

before = {b: local(b) for b in ["INBOX", "Sent", "Local"]}
before_server = {b: server_flags(b) for b in ["INBOX", "Sent", "Local"]}
rc, out = mbsync()
check(rc == 0, "fourth run succeeds")
check({b: local(b) for b in before} == before, "a run without changes changes nothing locally")
check({b: server_flags(b) for b in before_server} == before_server, "... and nothing on the server")
shutil.rmtree(work, ignore_errors=True)
finish()
