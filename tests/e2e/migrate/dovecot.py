"""A real Dovecot (Debian's dovecot-imapd) on loopback as the source of `hearth migrate imap`,
seeded over IMAP with a Gmail-shaped account, and the reading of a Hearth account over IMAP.
Used by the migrate tests and by bench/bench_migrate.py.

Dovecot runs as root with its own config (`dovecot -F -c CONF`), a passwd-file, Maildir under a
temp directory, TLS with a private CA made here, and is stopped by PID at exit.
"""
import atexit
import hashlib
import imaplib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

from hearth_test import wait_port

LOGIN = "ann@source.test"
PASSWORD = "source-pw"


def make_ca(work, ip):
    """A private CA and a certificate for `ip` and localhost; returns (ca, cert, key) paths."""
    ca_key, ca = os.path.join(work, "ca.key"), os.path.join(work, "ca.pem")
    key, csr, cert = os.path.join(work, "key.pem"), os.path.join(work, "req.csr"), os.path.join(work, "cert.pem")
    ext = os.path.join(work, "ext.cnf")
    with open(ext, "w") as f:
        f.write(f"subjectAltName=IP:{ip},DNS:localhost\nbasicConstraints=CA:FALSE\n")
    q = dict(check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=Migrate Test CA"], **q)
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", csr, "-subj", "/CN=localhost"], **q)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                    "-out", cert, "-days", "2", "-extfile", ext], **q)
    return ca, cert, key


class Dovecot:
    def __init__(self, ip, imap_port=1143, imaps_port=1993):
        self.ip = ip
        self.imap_port, self.imaps_port = imap_port, imaps_port
        self.work = tempfile.mkdtemp(prefix="hearth-migrate-dovecot-")
        if not os.environ.get("HEARTH_KEEP"):
            atexit.register(shutil.rmtree, self.work, True)
        os.chmod(self.work, 0o755)  # Dovecot's auth process reads the passwd-file as its own user
        self.ca, cert, key = make_ca(self.work, ip)
        os.makedirs(os.path.join(self.work, "mail"))
        shutil.chown(os.path.join(self.work, "mail"), "nobody", "nogroup")
        users = os.path.join(self.work, "users")
        with open(users, "w") as f:
            f.write(f"{LOGIN}:{{PLAIN}}{PASSWORD}::::::\n")
        self.conf = os.path.join(self.work, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(f"""base_dir = {self.work}/run
state_dir = {self.work}/state
instance_name = hearth-migrate-{ip}
protocols = imap
listen = {ip}
log_path = {self.work}/dovecot.log
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain login
mail_location = maildir:{self.work}/mail/%n
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
first_valid_gid = 1
# A seeded copy, not mail to keep: no fsync makes seeding fast.
mail_fsync = never
imap_max_line_length = 1M
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={self.work}/mail/%n
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = {ip}
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = {ip}
    port = {imaps_port}
    ssl = yes
  }}
}}
""")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT)
        atexit.register(self.stop)
        if not wait_port(self.ip, self.imaps_port):
            raise RuntimeError("dovecot did not start:\n" + self.log())
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self):
        try:
            with open(os.path.join(self.work, "dovecot.log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def client(self):
        ctx = ssl.create_default_context(cafile=self.ca)
        m = imaplib.IMAP4_SSL(self.ip, self.imaps_port, ssl_context=ctx, timeout=30)
        m.login(LOGIN, PASSWORD)
        return m


def mutf7(name):
    """RFC 3501 §5.1.3 modified UTF-7."""
    out, run = [], []

    def flush():
        if run:
            import base64
            b = base64.b64encode("".join(run).encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append("&" + b + "-")
            run.clear()
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


# The Gmail-shaped account: every message in All Mail, and again in its labels' folders.
LABELS = {  # folder -> rule on the message number
    "INBOX": lambda i: i % 3 == 0,
    "[Gmail]/Sent Mail": lambda i: i % 7 == 1,
    "Work": lambda i: i % 5 == 0,
    "Work/Clients": lambda i: i % 11 == 0,
    "Reçus": lambda i: i % 13 == 2,
    "Famille/Été 2024": lambda i: i % 17 == 3,
    "[Gmail]/Starred": lambda i: i % 19 == 0,
}
TARGET = {"INBOX": "INBOX", "[Gmail]/Sent Mail": "Sent", "Work": "Work", "Work/Clients": "Work/Clients",
          "Reçus": "Reçus", "Famille/Été 2024": "Famille/Été 2024"}
BASE_DATE = 1_600_000_000


def flags_of(i):
    f = []
    if i % 4 == 0: f.append("\\Seen")
    if i % 9 == 0: f.append("\\Answered")
    if i % 19 == 0: f.append("\\Flagged")
    if i % 6 == 0: f.append("$Forwarded")
    if i % 10 == 0: f.append("custom_kw")
    return f


def message(i):
    body = f"Message number {i}.\r\n" + ("Some text to make it look like mail. " * (1 + i % 40)) + "\r\n"
    return (f"From: Friend {i % 50} <friend{i % 50}@example.org>\r\n"
            f"To: ann@source.test\r\nSubject: Message {i} \u00e9t\u00e9\r\n".encode() +
            f"Message-ID: <msg-{i}@source.test>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}".encode())


def date_of(i):
    return BASE_DATE + i * 3607


def imap_date(t):
    return time.strftime("%d-%b-%Y %H:%M:%S +0000", time.gmtime(t))


def key(msg_bytes):
    """Message-ID + body hash, as the test compares (independent of Hearth's own code)."""
    head, _, body = msg_bytes.partition(b"\r\n\r\n")
    mid = re.search(rb"(?im)^message-id:\s*(\S+)", head)
    return (mid.group(1).decode() if mid else "") + "/" + hashlib.sha256(body).hexdigest()[:16]


def seed(dv, n, duplicate=True):
    """Appends n messages, pipelined with LITERAL+ over one connection; returns the expected
    Hearth content {mailbox: {key: (flags set, internal date)}}."""
    m = dv.client()
    folders = ["[Gmail]/All Mail"] + [f for f in LABELS if f != "INBOX"]
    for f in folders:
        m.create('"' + mutf7(f) + '"')
    sock = m.socket()
    expected = {}
    per_folder = {}

    def append(folder, i):
        per_folder.setdefault(folder, []).append(i)

    for i in range(n):
        append("[Gmail]/All Mail", i)
        placed = False
        for folder, rule in LABELS.items():
            if rule(i):
                append(folder, i)
                if folder in TARGET:
                    placed = True
                    expected.setdefault(TARGET[folder], {})[key(message(i))] = (set(flags_of(i)), date_of(i))
        if not placed:
            expected.setdefault("Archive", {})[key(message(i))] = (set(flags_of(i)), date_of(i))
    if duplicate:
        append("INBOX", 0)  # the same message twice in one folder: it must arrive once
    # MULTIAPPEND (RFC 3502) with LITERAL+: one transaction per batch makes seeding fast.
    buf, tag = [], 0
    for folder, nums in per_folder.items():
        for start in range(0, len(nums), 250):
            tag += 1
            parts = [f'S{tag} APPEND "{mutf7(folder)}"'.encode()]
            for i in nums[start:start + 250]:
                data = message(i)
                parts.append(f' ({" ".join(flags_of(i))}) "{imap_date(date_of(i))}" {{{len(data)}+}}\r\n'.encode() + data)
            buf.append(b"".join(parts) + b"\r\n")
    sock.sendall(b"".join(buf))
    f = sock.makefile("rb")
    last = f"S{tag} ".encode()
    while True:
        line = f.readline()
        if not line:
            raise RuntimeError("dovecot closed the connection while seeding")
        if re.match(rb"S\d+ (NO|BAD)", line):
            raise RuntimeError(f"seeding failed: {line!r}")
        if line.startswith(last):
            break
    m.logout()
    return expected


def read_hearth(client, skip=("Drafts", "Trash", "Junk")):
    """{mailbox: [(key, flags set, internal date)]} of a Hearth account, over IMAP."""
    out = {}
    typ, boxes = client.list()
    names = []
    for b in boxes:
        mm = re.match(rb'\((.*?)\) (?:"(.)"|NIL) (.*)', b)
        name = mm.group(3).decode()
        if name.startswith('"'):
            name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        names.append(name)
    for name in names:
        typ, data = client.select('"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"', readonly=True)
        n = int(data[0])
        msgs = []
        if n:
            typ, data = client.fetch("1:*", "(FLAGS INTERNALDATE BODY.PEEK[])")
            for item in data:
                if not isinstance(item, tuple):
                    continue
                meta, body = item
                fl = re.search(rb"FLAGS \(([^)]*)\)", meta).group(1).decode().split()
                idate = imaplib.Internaldate2tuple(meta)
                msgs.append((key(body), set(f for f in fl if f != "\\Recent"), int(time.mktime(idate)) if idate else None))
        decoded = imaplib_decode(name)
        if decoded in skip and not msgs:
            continue
        out[decoded] = msgs
    return out


def imaplib_decode(name):
    """Modified UTF-7 to str."""
    import base64
    out, i = [], 0
    while i < len(name):
        if name[i] == "&":
            j = name.index("-", i)
            if j == i + 1:
                out.append("&")
            else:
                b = name[i + 1:j].replace(",", "/")
                b += "=" * (-len(b) % 4)
                out.append(base64.b64decode(b).decode("utf-16-be"))
            i = j + 1
        else:
            out.append(name[i])
            i += 1
    return "".join(out)
