"""[database] for `hearth serve` and the CLI.

- database.url is checked by `config check`, `serve` and `quickstart --database-url`: a path,
  another engine's URL or broken libpq keywords are refused with the key named and the URL
  (which may carry a password) never printed.
- On PostgreSQL (a private cluster from pg_cluster.py) the CLI writes the directory and DAV
  stores there, not in a file: a second data directory with the same url sees the same
  accounts and calendar, as a second node would. Commands that copy the SQLite files
  (`hearth backup`) refuse with a clear message. `serve` delivers and reads mail with no SQLite
  file in its data directory. The password in the url appears in no output.
- database.blobs puts message bodies in another folder: SMTP delivery writes there and IMAP
  reads them back from there.
"""
import glob
import os
import shutil
import smtplib
import ssl
import subprocess
import sys
import tempfile
import imaplib

import hearth_test as ht
from hearth_test import Instance, check, finish, run, set_key
from pg_cluster import PgCluster, SKIP

SECRET = "s3cret-pw-9Zq"

# --- Validation, on a SQLite instance --------------------------------------------------------
a = Instance("demo@example.test", host=1)
good = open(a.config).read()
for bad in [f"mysql://root:{SECRET}@db/hearth", "/var/lib/hearth/hearth.db", f"user=hearth password={SECRET}",
            f"postgres://u:{SECRET}@db /x", f"host='/tmp/pg password={SECRET}"]:
    set_key(a.config, "database", "url", '"' + bad + '"')
    cp = a.cli(["config", "check"], check_rc=False)
    out = cp.stdout + cp.stderr
    check(cp.returncode != 0 and "database.url:" in out and SECRET not in out and "hearth.db" not in out,
          f"config check refuses {bad.replace(SECRET, '***')}, naming the key, not the value")
    cp = subprocess.run([ht.HEARTH, "--config", a.config, "serve"], capture_output=True, text=True, timeout=30)
    check(cp.returncode != 0 and "database.url:" in cp.stderr and SECRET not in cp.stdout + cp.stderr,
          "serve refuses to start on it, without printing it")
with open(a.config, "w") as f:
    f.write(good)

qdir = tempfile.mkdtemp(prefix="hearth-e2e-")
cp = run(["quickstart", "--dev", "x@example.test", "--dir", qdir, "--listen", f"{ht.NET}.2",
          "--database-url", f"mysql://root:{SECRET}@db/hearth"], check_rc=False)
check(cp.returncode == 2 and "database.url:" in cp.stderr and SECRET not in cp.stdout + cp.stderr,
      "quickstart --database-url refuses a MySQL URL without printing it")
check(not os.path.exists(os.path.join(qdir, "hearth.toml")), "and writes no config, so it can be rerun")
cp = run(["quickstart", "--dev", "x@example.test", "--dir", qdir, "--listen", f"{ht.NET}.2",
          "--database-url", f"host={qdir}/no-server dbname=hearth password={SECRET}"], check_rc=False)
check(cp.returncode == 1 and "cannot open PostgreSQL host=" in cp.stderr and "dbname=hearth" in cp.stderr
      and SECRET not in cp.stdout + cp.stderr, "quickstart on an unreachable database names it by host and dbname")
check(not os.path.exists(os.path.join(qdir, "hearth.toml")), "and removes its config again, so it can be rerun")
shutil.rmtree(qdir, True)

# --- database.blobs on SQLite: bodies in the given folder -------------------------------------
shared_blobs = os.path.join(a.dir, "shared-blobs")
set_key(a.config, "database", "blobs", f'"{shared_blobs}"')
check(a.cli(["config", "check"], check_rc=False).returncode == 0, "database.blobs passes config check")
a.start()
ctx = ssl.create_default_context(cafile=a.ca_file())
# Over [database] inline_max (64 KiB), so that the body is a file, not a row in the database.
body = ("From: Alice <alice@remote.test>\r\nTo: demo@example.test\r\nSubject: blobs elsewhere\r\n\r\nshared\r\n"
        + ("0123456789" * 9 + "\r\n") * 800)
with smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.remote.test", timeout=20) as s:
    s.starttls(context=ctx)
    s.sendmail("alice@remote.test", ["demo@example.test"], body)
imap = imaplib.IMAP4_SSL(a.addr, a.port("imaps"), ssl_context=ctx)
imap.login("demo@example.test", a.password)
imap.select("INBOX")
typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[])")
raw = data[0][1] if typ == "OK" and data and isinstance(data[0], tuple) else b""
check(raw.endswith(body.encode()), "IMAP reads the delivered message back")
imap.logout()
def blob_files(root):
    return [p for p in glob.glob(os.path.join(root, "??", "*")) if os.path.isfile(p)]
check(len(blob_files(shared_blobs)) >= 1, "its body is a blob in database.blobs")
check(blob_files(os.path.join(a.dir, "data", "blobs")) == [], "and none in the data directory's blobs/")
rc, _ = a.stop()
check(rc == 0, "server stops cleanly")
cp = a.cli(["backup", os.path.join(a.dir, "bk")], check_rc=False)
check(cp.returncode == 1 and "database.blobs" in cp.stderr, "backup says it does not copy database.blobs")

# --- PostgreSQL: the CLI's stores in the database --------------------------------------------
if not PgCluster.available():
    print("PostgreSQL server not installed (Debian package postgresql): the rest is skipped")
    finish()
pg = PgCluster().start()
try:
    # trust authentication ignores the password: it is there to be looked for in the output.
    ht.PG_URL = pg.url + f" password={SECRET}"
    b = Instance("owner@example.test", host=3)
    check(SECRET not in b.quickstart_output and "database:  PostgreSQL host=" in b.quickstart_output,
          "quickstart --database-url names the database without its password")
    check("password=" + SECRET in open(b.config).read(), "the url is in the config file as given")
    cp = b.cli(["user", "add", "second@example.test", "--password-stdin"], input="pw-second-123456\n")
    ics = os.path.join(b.dir, "one.ics")
    with open(ics, "w") as f:
        f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:pg-event-1\r\n"
                "DTSTAMP:20261201T120000Z\r\nDTSTART:20261224T180000Z\r\nSUMMARY:on postgres\r\n"
                "END:VEVENT\r\nEND:VCALENDAR\r\n")
    cp = b.cli(["import", "ics", ics, "--user", "owner@example.test"], check_rc=False)
    check(cp.returncode == 0 and "1 new" in cp.stdout, f"hearth import ics writes to PostgreSQL ({cp.stdout.strip()})")
    check(not glob.glob(os.path.join(b.dir, "data", "*.db")), "no SQLite file in the data directory")

    # A second node: its own data directory, the same [database].
    node2 = tempfile.mkdtemp(prefix="hearth-e2e-")
    cfg2 = os.path.join(node2, "hearth.toml")
    set_key_text = open(b.config).read()
    with open(cfg2, "w") as f:
        f.write(set_key_text)
    set_key(cfg2, "server", "data_dir", f'"{os.path.join(node2, "data")}"')
    cp = run(["--config", cfg2, "user", "list"])
    check("owner@example.test" in cp.stdout and "second@example.test" in cp.stdout,
          "a second data directory on the same url lists both accounts")
    cp = run(["--config", cfg2, "import", "ics", ics, "--user", "owner@example.test"], check_rc=False)
    check(cp.returncode == 0 and "1 unchanged" in cp.stdout, f"and finds the imported event there ({cp.stdout.strip()})")
    cp = run(["--config", cfg2, "backup", os.path.join(node2, "bk")], check_rc=False)
    check(cp.returncode == 1 and "SQLite engine only" in cp.stderr and "pg_dump" in cp.stderr and SECRET not in cp.stderr,
          "backup on PostgreSQL says to use PostgreSQL's own tools")
    shutil.rmtree(node2, True)

    # serve: every store on the url, or a loud refusal; never a silent local file.
    b.start()
    ctx = ssl.create_default_context(cafile=b.ca_file())
    body = "From: Alice <alice@remote.test>\r\nTo: owner@example.test\r\nSubject: on postgres\r\n\r\nrows\r\n"
    with smtplib.SMTP(b.addr, b.port("smtp"), local_hostname="client.remote.test", timeout=20) as s:
        s.starttls(context=ctx)
        s.sendmail("alice@remote.test", ["owner@example.test"], body)
    imap = imaplib.IMAP4_SSL(b.addr, b.port("imaps"), ssl_context=ctx)
    imap.login("owner@example.test", b.password)
    imap.select("INBOX")
    typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[])")
    raw = data[0][1] if typ == "OK" and data and isinstance(data[0], tuple) else b""
    check(raw.endswith(body.encode()), "serve on PostgreSQL: delivered over SMTP, read back over IMAP")
    imap.logout()
    rc, _ = b.stop()
    check(rc == 0, "server stops cleanly")
    log = b.log()
    check("serve.directory database=\"PostgreSQL host=" in log or "serve.directory database=PostgreSQL" in log,
          "its log names the database by host and dbname")
    check(SECRET not in log, "and never shows the password")
    check(not glob.glob(os.path.join(b.dir, "data", "*.db")), "no SQLite file appeared in the data directory")

finally:
    pg.stop()
finish()
