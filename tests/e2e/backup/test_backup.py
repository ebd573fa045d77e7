"""`hearth backup` of a running server while it is written to, then `hearth restore` and a server
on the restored directory.

Writers during the backup: Postfix's smtp-source (load on the MX port), a Python smtplib client
and an IMAP client appending, each witness message with its own Message-ID, and an IMAP client
appending and expunging at once (each expunge removes a blob: the backup must still hold every
blob its database copy names, which `backup verify` checks). The time each 250
(SMTP) or OK (APPEND) arrived is recorded; every message acknowledged before `hearth backup` was
started must be in the restored instance (read over IMAP), and none may be there twice. The
restored databases pass `PRAGMA integrity_check` (Debian's sqlite3), `backup verify` passes,
then detects a corrupted and a missing blob. A second and third backup of the then unchanged
account copy only what is new (nothing the third time). The `[backup]` schedule inside
`hearth serve` writes a snapshot of its own and logs it.
"""
import os
import re
import shutil
import smtplib
import ssl
import subprocess
import tempfile
import threading
import time

from hearth_test import HEARTH, Instance, check, finish, run
from backup_lib import imap_login, instance_on, read_mailbox

a = Instance("demo@example.test", host=1)
a.start()
ctx = ssl.create_default_context(cafile=a.ca_file())
work = tempfile.mkdtemp(prefix="hearth-backup-")
if not os.environ.get("HEARTH_KEEP"):
    import atexit
    atexit.register(shutil.rmtree, work, True)
dest = os.path.join(work, "dest")

# Two bodies over [database] inline_max (64 KiB) are blob files; the witnesses below are small,
# kept in hearth.db with their rows. The damage checks at the end need files.
with smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.remote.test", timeout=30) as s:
    for n in (1, 2):
        s.sendmail("alice@remote.test", ["demo@example.test"],
                   f"From: alice@remote.test\r\nSubject: large {n}\r\n\r\n" + (f"large {n} " * 10 + "\r\n") * 1000)

stop = threading.Event()
acked_smtp = []    # (monotonic time of the 250, message-id)
acked_imap = []    # (monotonic time of the OK, message-id)
errors = []


def smtp_writer():
    n = 0
    try:
        s = smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.remote.test", timeout=30)
        while not stop.is_set():
            n += 1
            mid = f"<smtp-{n}@remote.test>"
            body = (f"From: alice@remote.test\r\nTo: demo@example.test\r\nSubject: smtp {n}\r\n"
                    f"Message-ID: {mid}\r\n\r\n" + f"line {n}\r\n" * 200)
            s.sendmail("alice@remote.test", ["demo@example.test"], body)
            acked_smtp.append((time.monotonic(), mid))
        s.quit()
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        errors.append(f"smtp writer: {e!r}")


def imap_writer():
    n = 0
    try:
        imap = imap_login(a, a.password)
        imap.create("Written")
        while not stop.is_set():
            n += 1
            mid = f"<imap-{n}@example.test>"
            msg = (f"From: demo@example.test\r\nSubject: append {n}\r\nMessage-ID: {mid}\r\n\r\n"
                   + f"appended {n}\r\n" * 100).encode()
            typ, _ = imap.append("Written", "(\\Seen $Label1)", None, msg)
            if typ == "OK":
                acked_imap.append((time.monotonic(), mid))
        imap.logout()
    except Exception as e:  # noqa: BLE001
        errors.append(f"imap writer: {e!r}")


expunged = [0]


def expunger():
    # Messages that live a few milliseconds: appended, then expunged, which removes their blob.
    # A backup that copied blobs after the database without pinning them would miss some.
    try:
        imap = imap_login(a, a.password)
        imap.create("Scratch")
        imap.select("Scratch")
        n = 0
        while not stop.is_set():
            # Batches, so that the snapshot is likely to hold some that are expunged while the
            # backup copies blobs.
            for _ in range(5):
                n += 1
                imap.append("Scratch", None, None, f"Subject: scratch {n}\r\n\r\nshort-lived {n}\r\n".encode())
            time.sleep(0.05)
            imap.uid("STORE", "1:*", "+FLAGS", "(\\Deleted)")
            imap.expunge()
            expunged[0] += 5
        imap.logout()
    except Exception as e:  # noqa: BLE001
        errors.append(f"expunger: {e!r}")


def smtp_source_load():
    # Load on the MX port beside the witnesses; its messages are not counted.
    while not stop.is_set():
        subprocess.run(["smtp-source", "-m", "40", "-s", "4", "-l", "4096", "-f", "load@remote.test",
                        "-t", "demo@example.test", f"{a.addr}:{a.port('smtp')}"],
                       capture_output=True, timeout=60)


threads = [threading.Thread(target=f) for f in (smtp_writer, imap_writer, expunger, smtp_source_load)]
for t in threads:
    t.start()
time.sleep(3)
before = len(acked_smtp) + len(acked_imap)
t_start = time.monotonic()
cp = run(["--config", a.config, "backup", dest], check_rc=False, timeout=120)
t_end = time.monotonic()
print(cp.stdout.strip(), cp.stderr.strip())
check(cp.returncode == 0, f"backup of the running server succeeds ({t_end - t_start:.2f} s)")
time.sleep(1)
during = len(acked_smtp) + len(acked_imap)
stop.set()
for t in threads:
    t.join(timeout=90)
check(not errors, f"writers ran without errors {errors}")
check(expunged[0] >= 10, f"messages were appended and expunged meanwhile ({expunged[0]})")
check(before >= 10, f"writers had written before the backup ({before} acknowledged)")
check(during > before, f"writes went on during and after the backup ({during - before} more)")
print(f"info {len(acked_smtp)} SMTP and {len(acked_imap)} APPEND witnesses, "
      f"{sum(1 for t, _ in acked_smtp + acked_imap if t < t_start)} acknowledged before the backup started")

cp = run(["backup", "verify", dest], check_rc=False)
check(cp.returncode == 0 and "all good" in cp.stdout, f"backup verify passes ({cp.stdout.strip()})")

# ---- restore and serve ----
with open(a.config) as f:
    config_text = f.read()
b_root = os.path.join(work, "restored")
cp = run(["restore", dest, "--dir", os.path.join(b_root, "data")], check_rc=False)
check(cp.returncode == 0, f"restore builds a new data directory ({cp.stdout.strip()} {cp.stderr.strip()})")
for db in ("hearth.db", "xmpp.db"):
    path = os.path.join(b_root, "data", db)
    if os.path.exists(path) or db == "hearth.db":
        r = subprocess.run(["sqlite3", path, "PRAGMA integrity_check;"], capture_output=True, text=True)
        check(r.stdout.strip() == "ok", f"restored {db} passes PRAGMA integrity_check ({r.stdout.strip()[:200]})")
b = instance_on(config_text, b_root, host=2)
b.start()
imap = imap_login(b, a.password, ca=os.path.join(b_root, "data", "tls", "ca.crt"))
inbox = read_mailbox(imap, "INBOX")
written = read_mailbox(imap, "Written")
scratch = read_mailbox(imap, "Scratch")
imap.logout()
# How many the snapshot caught varies (reported); each must be whole.
print(f"info the snapshot caught {len(scratch or [])} short-lived messages, all expunged since")
check(scratch is not None and all(m[1] for m in scratch), "short-lived messages caught by the snapshot are readable")
inbox_ids = [m[0] for m in inbox]
written_ids = [m[0] for m in written]
need_smtp = [mid for t, mid in acked_smtp if t < t_start]
need_imap = [mid for t, mid in acked_imap if t < t_start]
lost = [mid for mid in need_smtp if mid not in inbox_ids] + [mid for mid in need_imap if mid not in written_ids]
check(need_smtp and need_imap and not lost,
      f"every message acknowledged before the backup started is restored ({len(need_smtp)} SMTP, "
      f"{len(need_imap)} APPEND; lost {lost[:5]})")
dups = [mid for mid in set(inbox_ids + written_ids) if mid and (inbox_ids + written_ids).count(mid) > 1]
check(not dups, f"no message restored twice ({dups[:5]})")
late = [mid for t, mid in acked_smtp + acked_imap if t > t_end and mid in inbox_ids + written_ids]
check(not late, f"nothing acknowledged after the backup ended is in it ({late[:5]})")
flags_ok = all({"\\Seen", "$Label1"} <= m[2] for m in written)
check(written and flags_ok, "appended messages keep their flags and keywords")
rc, _ = b.stop()
check(rc == 0, "the restored server stops cleanly")

# ---- incremental ----
cp = run(["--config", a.config, "backup", dest], check_rc=False)
print(cp.stdout.strip())
check(cp.returncode == 0, "second backup (after the writers stopped) succeeds")
t0 = time.monotonic()
cp = run(["--config", a.config, "backup", dest], check_rc=False)
took = time.monotonic() - t0
print(cp.stdout.strip())
m = re.search(r"(\d+) new blobs copied", cp.stdout)
check(cp.returncode == 0 and m and m.group(1) == "0",
      f"a backup of the unchanged account copies no blob ({took:.2f} s)")
snaps = run(["backup", "list", dest]).stdout.strip().splitlines()
check(len(snaps) == 3, f"three snapshots listed ({len(snaps)})")
cp = run(["--config", a.config, "backup", dest, "--keep", "2"], check_rc=False)
snaps = run(["backup", "list", dest]).stdout.strip().splitlines()
check(cp.returncode == 0 and "removed 2 old snapshot" in cp.stdout and len(snaps) == 2,
      f"retention keeps the newest 2 ({cp.stdout.strip()})")
cp = run(["backup", "verify", dest], check_rc=False)
check(cp.returncode == 0, f"verify passes after retention ({cp.stdout.strip()})")

# ---- damage is detected ----
blob_files = []
for root, _, files in os.walk(os.path.join(dest, "blobs")):
    if os.path.basename(root) != "tmp":
        blob_files += [os.path.join(root, f) for f in files]
victim = sorted(blob_files)[len(blob_files) // 2]
with open(victim, "r+b") as f:
    f.seek(10)
    c = f.read(1)
    f.seek(10)
    f.write(bytes([c[0] ^ 0x20]))
cp = run(["backup", "verify", dest], check_rc=False)
vid = os.path.basename(os.path.dirname(victim)) + os.path.basename(victim)
check(cp.returncode == 1 and vid in cp.stdout and "damaged" in cp.stdout,
      "backup verify detects a corrupted blob (exit 1, names it)")
cp = run(["restore", dest, "--dir", os.path.join(work, "refused")], check_rc=False)
check(cp.returncode == 1 and "checksum" in cp.stderr, f"restore refuses the corrupted blob ({cp.stderr.strip()[:200]})")
os.remove(sorted(blob_files)[0])
cp = run(["backup", "verify", dest], check_rc=False)
check(cp.returncode == 1 and "missing" in cp.stdout, "backup verify detects a missing blob")

# ---- the [backup] schedule inside serve ----
a.stop()
dest2 = os.path.join(work, "scheduled")
from hearth_test import set_key
set_key(a.config, "backup", "destination", f'"{dest2}"')
set_key(a.config, "backup", "interval", "5")
a.start()
deadline = time.monotonic() + 30
while time.monotonic() < deadline and "backup.done" not in a.log():
    time.sleep(0.5)
line = next((l for l in a.log().splitlines() if "backup.done" in l), "")
check("snapshot=" in line, f"the [backup] schedule logs a snapshot ({line.strip()[:200]})")
cp = run(["backup", "verify", dest2], check_rc=False)
check(cp.returncode == 0, f"the scheduled snapshot verifies ({cp.stdout.strip()})")
rc, _ = a.stop()
check(rc == 0, "server with a backup schedule stops cleanly")
finish()
