#!/usr/bin/python3
"""Migration rate from one Dovecot source into Hearth: `hearth migrate imap` against Debian's
mbsync (isync) doing the same copy over IMAP (Far = Dovecot, Near = Hearth, Sync Pull).

    bench/bench_migrate.py [--hearth build/hearth] [--messages 2000] [--folders 4] [--parallel 2]

Dovecot (dovecot-imapd) runs on 127.0.214.2 with its Maildir on /dev/shm so that the source is
not what is measured; each Hearth instance (a fresh one per tool) keeps its data on disk under
$TMPDIR, as a real server would, and every message is durable before it counts. Prints
messages/s and MB/s for each. Needs root (Dovecot runs as its own user).
"""
import argparse
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e", "migrate"))
os.environ.setdefault("HEARTH_TEST_NET", "127.0.214")

ap = argparse.ArgumentParser()
ap.add_argument("--hearth", default=os.path.join(HERE, "..", "build", "hearth"))
ap.add_argument("--messages", type=int, default=2000)
ap.add_argument("--folders", type=int, default=4)
ap.add_argument("--parallel", type=int, default=2)
opts = ap.parse_args()
os.environ["HEARTH_BIN"] = os.path.abspath(opts.hearth)

import hearth_test  # noqa: E402
hearth_test.HEARTH = os.environ["HEARTH_BIN"]
from hearth_test import NET, Instance  # noqa: E402
import dovecot  # noqa: E402

disk_tmp = tempfile.gettempdir()
tempfile.tempdir = "/dev/shm" if os.path.isdir("/dev/shm") else disk_tmp
dv = dovecot.Dovecot(f"{NET}.2").start()

# A plain account: the messages spread over a few folders, each message once.
m = dv.client()
names = ["INBOX"] + [f"Folder{k}" for k in range(1, opts.folders)]
for n in names[1:]:
    m.create(n)
sock = m.socket()
buf, tag, total_bytes = [], 0, 0
for start in range(0, opts.messages, 250):
    for k, folder in enumerate(names):
        nums = [i for i in range(start, min(opts.messages, start + 250)) if i % len(names) == k]
        if not nums:
            continue
        tag += 1
        parts = [f"B{tag} APPEND {folder}".encode()]
        for i in nums:
            data = dovecot.message(i)
            total_bytes += len(data)
            parts.append(f' ({" ".join(dovecot.flags_of(i))}) "{dovecot.imap_date(dovecot.date_of(i))}" '
                         f"{{{len(data)}+}}\r\n".encode() + data)
        buf.append(b"".join(parts) + b"\r\n")
sock.sendall(b"".join(buf))
f = sock.makefile("rb")
while not f.readline().startswith(f"B{tag} ".encode()):
    pass
m.logout()
tempfile.tempdir = disk_tmp


def report(name, seconds, count):
    print(f"{name:<34} {count:>6} messages in {seconds:6.1f} s: {count / seconds:7.1f} messages/s, "
          f"{total_bytes / seconds / 1e6:6.2f} MB/s", flush=True)


def hearth_count(inst):
    from imap_client import hearth_login
    c = hearth_login(inst, inst.email, inst.password)
    n = 0
    for b in names:
        typ, data = c.status(b, "(MESSAGES)")
        if typ == "OK":
            n += int(data[0].split()[-1].rstrip(b")"))
    c.logout()
    return n


print(f"source: Dovecot {dv.ip}, {opts.messages} messages ({total_bytes / 1e6:.1f} MB) in {len(names)} folders")

# hearth migrate imap, one folder at a time and then --parallel N, each into a fresh instance
for k, par in enumerate(sorted({1, opts.parallel})):
    inst = Instance(host=4 + k, offset=21000 + 100 * k)
    inst.start(wait_for="imaps")
    t0 = time.monotonic()
    cp = subprocess.run([opts.hearth, "--config", inst.config, "migrate", "imap", "--from",
                         f"imaps://{dv.ip}:{dv.imaps_port}", "--login", dovecot.LOGIN, "--password-stdin",
                         "--to", inst.email, "--ca", dv.ca, "--parallel", str(par)],
                        input=dovecot.PASSWORD + "\n", capture_output=True, text=True)
    t = time.monotonic() - t0
    if cp.returncode != 0:
        print(cp.stdout, cp.stderr)
    report(f"hearth migrate imap (--parallel {par})", t, hearth_count(inst))
    inst.stop()

# mbsync, the same copy into a fresh Hearth
inst2 = Instance(host=3, offset=22000)
inst2.start(wait_for="imaps")
work = tempfile.mkdtemp(prefix="hearth-bench-mbsync-")
atexit.register(shutil.rmtree, work, True)
os.makedirs(os.path.join(work, "state"))
rc = os.path.join(work, "mbsyncrc")
with open(rc, "w") as f:
    f.write(f"""IMAPAccount src
Host {dv.ip}
Port {dv.imaps_port}
User {dovecot.LOGIN}
Pass {dovecot.PASSWORD}
SSLType IMAPS
CertificateFile {os.path.join(dv.work, "cert.pem")}
SystemCertificates no

IMAPStore src
Account src

IMAPAccount dst
Host {inst2.addr}
Port {inst2.port("imaps")}
User {inst2.email}
Pass {inst2.password}
SSLType IMAPS
CertificateFile {inst2.cert_file()}
SystemCertificates no

IMAPStore dst
Account dst

Channel copy
Far :src:
Near :dst:
Patterns {' '.join(names)}
Create Near
Sync Pull
SyncState {work}/state/
""")
t0 = time.monotonic()
cp = subprocess.run(["mbsync", "-c", rc, "-a", "-q"], capture_output=True, text=True)
t = time.monotonic() - t0
if cp.returncode != 0:
    print(cp.stdout, cp.stderr)
report("mbsync (isync, Sync Pull)", t, hearth_count(inst2))
