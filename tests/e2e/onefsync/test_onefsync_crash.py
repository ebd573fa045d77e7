"""kill -9 while SMTP clients deliver in parallel: every message that got 250 is in the INBOX
after the restart, byte for byte, and nothing is there half-written or twice.

Six smtplib clients deliver on the MX port without pause, each message with a token of its own
and a size drawn so that both kinds of storage are hit: bodies up to [database] inline_max
(64 KiB) are written into the database with their row (one fsync), larger ones as blob files
before the row. The server is killed with SIGKILL at random moments (8 times) and started again
at once; clients reconnect. A message counts as acknowledged when its client read the 250.
After a clean restart the INBOX is read over IMAP (implicit TLS): each acknowledged token must
be there once, ending in exactly the bytes sent; a token that is there but was not
acknowledged (killed between commit and 250) must be whole too. Run on SQLite
(e2e.onefsync_crash) and, with the same script, on PostgreSQL (e2e_pg.onefsync_crash), where
[database] blob_store = "database" puts the large bodies in the database too, in parts.
"""
import hashlib
import imaplib
import os
import random
import re
import signal
import smtplib
import ssl
import threading
import time

from hearth_test import Instance, check, finish, set_key

KILLS = 8
CLIENTS = 6
RCPT = "demo@example.test"
TOKEN = re.compile(rb"X-Token: (c\d+-\d+)")

a = Instance(RCPT, host=1)
if a.database_url:
    set_key(a.config, "database", "blob_store", '"database"')
a.start(wait_for="smtp")

stop = threading.Event()
lock = threading.Lock()
sent = {}    # token -> body bytes (every attempt)
acked = set()
errors = []


def body_for(token, rng):
    # Two thirds small (inline in the database), one third over 64 KiB (a blob file).
    lines = rng.randint(5, 400) if rng.random() < 0.67 else rng.randint(700, 1200)
    text = f"From: <sender@remote.test>\r\nTo: <{RCPT}>\r\nSubject: crash {token}\r\nX-Token: {token}\r\n\r\n"
    filler = "".join(f"{token} line {i} {'abcdefghij' * 8}\r\n" for i in range(lines))
    return (text + filler).encode()


def client(n):
    rng = random.Random(n)
    seq = 0
    s = None
    while not stop.is_set():
        try:
            if s is None:
                s = smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.remote.test", timeout=20)
            seq += 1
            token = f"c{n}-{seq}"
            body = body_for(token, rng)
            with lock:
                sent[token] = body
            s.sendmail("sender@remote.test", [RCPT], body)
            with lock:
                acked.add(token)
        except (OSError, smtplib.SMTPException):
            # The server is down or was killed mid-transaction: not acknowledged; reconnect.
            try:
                if s is not None:
                    s.close()
            except OSError:
                pass
            s = None
            time.sleep(0.05)
    if s is not None:
        try:
            s.quit()
        except (OSError, smtplib.SMTPException):
            pass


threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
for t in threads:
    t.start()
rng = random.Random(152)
acked_at_kill = []
try:
    for k in range(KILLS):
        time.sleep(rng.uniform(0.3, 1.5))
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        with lock:
            acked_at_kill.append(len(acked))
        a.start(wait_for="smtp")
    time.sleep(1.0)
finally:
    stop.set()
    for t in threads:
        t.join(timeout=60)

check(all(not t.is_alive() for t in threads), "the clients stopped")
with lock:
    acked_now, sent_now = set(acked), dict(sent)
check(len(acked_now) >= 50, f"clients had messages acknowledged between the kills ({len(acked_now)} of "
      f"{len(sent_now)} attempts; at each kill: {acked_at_kill})")
small = sum(1 for t in acked_now if len(sent_now[t]) <= 64 * 1024)
check(small > 0 and small < len(acked_now),
      f"both kinds were acknowledged: {small} bodies up to 64 KiB, {len(acked_now) - small} larger")

rc, _ = a.stop()
a.start()
ctx = ssl.create_default_context(cafile=a.ca_file())
imap = imaplib.IMAP4_SSL(a.addr, a.port("imaps"), ssl_context=ctx)
imap.login(RCPT, a.password)
typ, data = imap.select("INBOX", readonly=True)
found = {}   # token -> list of message bytes
bad = []
typ, data = imap.uid("SEARCH", None, "ALL")
uids = data[0].split() if typ == "OK" and data and data[0] else []
for i in range(0, len(uids), 200):
    typ, data = imap.uid("FETCH", b",".join(uids[i:i + 200]).decode(), "(BODY.PEEK[])")
    for item in data if typ == "OK" else []:
        if not isinstance(item, tuple):
            continue
        raw = item[1]
        m = TOKEN.search(raw)
        if not m:
            bad.append(raw[:200])
            continue
        found.setdefault(m.group(1).decode(), []).append(raw)
imap.logout()

lost = sorted(t for t in acked_now if t not in found)
check(not lost, f"every acknowledged message is in the INBOX after {KILLS} kills ({len(acked_now)} acknowledged, "
      f"lost {len(lost)}: {lost[:5]})")
twice = sorted(t for t, v in found.items() if len(v) > 1)
check(not twice, f"none is there twice ({twice[:5]})")
damaged = sorted(t for t, v in found.items() if t not in sent_now or not v[0].endswith(sent_now[t]))
check(not damaged, f"each stored message ends in exactly the bytes sent ({len(found)} stored; damaged {damaged[:5]})")
check(not bad, f"no message without a token (half-written) ({len(bad)})")
extra = len(set(found) - acked_now)
print(f"info {extra} stored without a 250 read by the client (killed between commit and reply)")
digest = hashlib.sha256(b"".join(sent_now[t] for t in sorted(acked_now))).hexdigest()[:16]
print(f"info acknowledged bodies digest {digest}")
blob_files = [f for d, _, fs in os.walk(os.path.join(a.dir, "data", "blobs")) if os.path.basename(d) != "tmp"
              for f in fs]
if a.database_url:
    check(not blob_files, f"with blob_store = \"database\" no body is a file ({len(blob_files)})")
else:
    large = sum(1 for t in found if len(sent_now[t]) > 64 * 1024)
    check(len(blob_files) >= large, f"larger bodies are files ({len(blob_files)} files, {large} large messages)")
rc, _ = a.stop()
check(rc == 0, "the server stops cleanly")
finish()
