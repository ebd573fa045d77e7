"""Two nodes on one PostgreSQL behave as one server (README "Several nodes").

A private PostgreSQL cluster (pg_cluster.py) listens on NET.10; node A serves on NET.1 and
node B on NET.2, each with its own data directory, the same [database] url and the same
database.blobs folder (message bodies), as two machines would share a database and a
mount. B's configuration is A's with its own data directory and address.

- smtplib delivers to B while imaplib IDLEs on A: A's IDLE reports EXISTS (the event crossed
  through LISTEN/NOTIFY).
- A message submitted on A for a remote domain is relayed ([[smtp.route]]) to a small SMTP
  sink (tests/e2e/lib/smtp_sink.py; it stands for the remote MTA, which cannot run here) while both
  nodes' queues run: it arrives exactly once.
- CalDAV PUT on A; a sync-collection REPORT on B lists it.
"""
import imaplib
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import time

import hearth_test as ht
from hearth_test import NET, Instance, check, finish, set_key, wait_for
from pg_cluster import SKIP, PgCluster
from smtp_sink import Sink

if not PgCluster.available():
    print("PostgreSQL server not installed (Debian package postgresql)")
    raise SystemExit(SKIP)

USER = "alice@home.test"
SINK_PORT = 2525


pg = PgCluster(listen=f"{NET}.10").start()
try:
    url = f"host={NET}.10 port=5432 user=hearth dbname=postgres"
    ht.PG_URL = ""  # this test makes its own database choice
    a = Instance(USER, host=1, extra=["--database-url", url])
    shared_blobs = os.path.join(a.dir, "shared-blobs")
    set_key(a.config, "database", "blobs", f'"{shared_blobs}"')
    with open(a.config, "a") as f:
        f.write(f'\n[[smtp.route]]\ndomains = ["remote.test"]\nrelay = "{NET}.20:{SINK_PORT}"\n')
    # Node B: A's configuration, TLS files and secret, its own data directory and address.
    b_dir = os.path.join(a.dir, "node-b")
    os.makedirs(os.path.join(b_dir, "data"))
    shutil.copytree(os.path.join(a.dir, "data", "tls"), os.path.join(b_dir, "data", "tls"))
    b_config = os.path.join(b_dir, "hearth.toml")
    shutil.copy2(a.config, b_config)
    set_key(b_config, "server", "data_dir", f'"{os.path.join(b_dir, "data")}"')
    set_key(b_config, "listen", "addresses", f'["{NET}.2"]')
    # Certificates are named relative to the data directory; check that B's config loads.
    subprocess.run([ht.HEARTH, "--config", b_config, "config", "check"], check=True, capture_output=True, timeout=60)

    sink = Sink(f"{NET}.20", SINK_PORT)
    a.start(wait_for="imaps")
    # A makes its secret at its first start; B must have the same one (README "[database]").
    shutil.copy2(os.path.join(a.dir, "data", "auth.secret"), os.path.join(b_dir, "data", "auth.secret"))
    b_log = open(os.path.join(b_dir, "serve.log"), "ab")
    b_proc = subprocess.Popen([ht.HEARTH, "--config", b_config, "serve"], stdout=b_log, stderr=subprocess.STDOUT)
    ht._procs.append(b_proc)
    check(ht.wait_port(f"{NET}.2", a.port("smtp")), "node B listens")

    ctx = ssl.create_default_context(cafile=a.ca_file())
    ctx.check_hostname = False

    # 1. IDLE on A, delivery on B.
    imap = imaplib.IMAP4_SSL(a.addr, a.port("imaps"), ssl_context=ctx, timeout=30)
    imap.login(USER, a.password)
    typ, data = imap.select("INBOX")
    before = int(data[0])
    tag = imap._new_tag().decode()
    imap.send(f"{tag} IDLE\r\n".encode())
    check(imap.readline().startswith(b"+"), "A: IDLE accepted")
    body = f"From: <bob@remote.test>\r\nTo: <{USER}>\r\nSubject: via node B\r\n\r\ncrossing nodes\r\n"
    with smtplib.SMTP(f"{NET}.2", a.port("smtp"), local_hostname="client.remote.test", timeout=30) as s:
        s.starttls(context=ctx)
        s.sendmail("bob@remote.test", [USER], body)
    got = b""
    deadline = time.monotonic() + 20
    imap.sock.settimeout(2)
    while time.monotonic() < deadline and b"EXISTS" not in got:
        try:
            got += imap.readline()
        except (socket.timeout, TimeoutError):
            continue
    check(re.search(rb"\* (\d+) EXISTS", got) is not None and int(re.search(rb"\* (\d+) EXISTS", got).group(1)) > before,
          f"A's IDLE saw the message B accepted ({got!r})")
    imap.sock.settimeout(30)
    imap.send(b"DONE\r\n")
    imap.logout()

    # 2. Queued on A, both queues running: delivered once.
    with smtplib.SMTP(a.addr, a.port("submission"), timeout=30) as s:
        s.starttls(context=ctx)
        s.login(USER, a.password)
        for i in range(6):
            s.sendmail(USER, [f"carol{i}@remote.test"],
                       f"From: <{USER}>\r\nTo: <carol{i}@remote.test>\r\nSubject: once {i}-end\r\n\r\nx\r\n")
    check(wait_for(lambda: all(sink.count(f"Subject: once {i}-end".encode()) >= 1 for i in range(6))),
          "every queued message reached the remote sink")
    time.sleep(3)  # a second copy, if any, would come from the other node's pass within this
    check(all(sink.count(f"Subject: once {i}-end".encode()) == 1 for i in range(6)),
          f"each exactly once ({[sink.count(f'Subject: once {i}-end'.encode()) for i in range(6)]})")

    # 3. CalDAV PUT on A, sync-collection on B.
    def curl(host, method, path, body=None, headers=()):
        args = ["curl", "-sS", "--max-time", "30", "--resolve", f"{a.hostname}:{a.port('https')}:{host}",
                "--cacert", a.ca_file(), "-u", f"{USER}:{a.password}", "-X", method, "-w", "\n%{http_code}"]
        for h in headers:
            args += ["-H", h]
        if body is not None:
            args += ["--data-binary", body]
        args.append(f"https://{a.hostname}:{a.port('https')}{path}")
        out = subprocess.run(args, capture_output=True, text=True, timeout=60).stdout
        text, _, code = out.rpartition("\n")
        return int(code or 0), text

    cal = f"/dav/calendars/{USER}/nodes/"
    code, _ = curl(a.addr, "MKCALENDAR", cal)
    check(code == 201, f"MKCALENDAR on A ({code})")
    sync = ('<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level>'
            '<d:prop><d:getetag/></d:prop></d:sync-collection>')
    ev = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//EN\r\nBEGIN:VEVENT\r\nUID:node-a-1\r\n"
          "DTSTAMP:20300101T000000Z\r\nDTSTART:20300601T090000Z\r\nSUMMARY:put on A\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    code, _ = curl(a.addr, "PUT", cal + "a1.ics", ev, ["Content-Type: text/calendar; charset=utf-8"])
    check(code == 201, f"PUT on A ({code})")
    code, out = curl(f"{NET}.2", "REPORT", cal, sync, ["Content-Type: application/xml; charset=utf-8", "Depth: 1"])
    check(code == 207 and "a1.ics" in out, f"sync-collection on B lists it ({code})")

    rc, _ = a.stop()
    check(rc == 0, "A stops cleanly")
    b_proc.terminate()
    check(b_proc.wait(timeout=30) == 0, "B stops cleanly")
finally:
    pg.stop()
finish()
