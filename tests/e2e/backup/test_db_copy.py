"""`hearth db copy`: an instance filled over SMTP, IMAP, CalDAV/CardDAV, XMPP and the Sieve CLI is
stopped and copied into a private PostgreSQL cluster (tests/e2e/lib/pg_cluster.py); the printed
row counts are checked against the source's SQLite files and against PostgreSQL read with psql,
and every table's checksum must match. The copy is then copied back from PostgreSQL into a new
data directory, and a server on THAT answers the same over IMAP, DAV, XMPP (roster, archive,
the offline message) and the Sieve CLI as the original did; so does the original instance
served directly on the PostgreSQL copy ([database] url), whose `db copy` then takes that
database as its default source. Also: a running instance and a
non-empty target are refused, and PostgreSQL's id sequences continue after the copied ids.
"""
import asyncio
import atexit
import os
import re
import shutil
import smtplib
import sqlite3
import subprocess
import sys
import tempfile

from hearth_test import Instance, check, finish, run, set_key
from backup_lib import dav_client, dav_objects, imap_login, instance_on, mailbox_names, read_mailbox
from pg_cluster import SKIP, PgCluster

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "xmpp"))
from xmpp_util import login, raw_iq, roster_of, run as run_xmpp  # noqa: E402

if not PgCluster.available():
    print("PostgreSQL server binaries not installed (Debian package postgresql)")
    sys.exit(SKIP)

MAM = "urn:xmpp:mam:2"
a = Instance("demo@example.test", host=1)
a.cli(["user", "add", "bob@example.test", "--password-stdin"], input="pw-bob-secret\n")
a.start()

# ---- fill: SMTP, IMAP, DAV, Sieve, XMPP ----
s = smtplib.SMTP(a.addr, a.port("smtp"), local_hostname="client.remote.test", timeout=20)
for i in range(3):
    s.sendmail("alice@remote.test", ["demo@example.test"],
               f"From: alice@remote.test\r\nTo: demo@example.test\r\nSubject: smtp {i}\r\n"
               f"Message-ID: <smtp{i}@remote.test>\r\n\r\nbody {i}\r\n")
s.quit()
imap = imap_login(a, a.password)
imap.create("Projects")
imap.append("Projects", "(\\Seen \\Flagged $Label1)", '"05-Mar-2021 10:11:12 +0000"',
            b"From: demo@example.test\r\nSubject: appended\r\nMessage-ID: <app1@example.test>\r\n\r\nhello\r\n")
imap.select("INBOX")
imap.uid("STORE", "1", "+FLAGS", "(\\Answered Later)")
imap.uid("STORE", "2", "+FLAGS", "(\\Deleted)")
names_a = sorted(mailbox_names(imap))
mail_a = {n: sorted(read_mailbox(imap, n)) for n in names_a}
imap.logout()
check(sum(len(v) for v in mail_a.values()) == 4, f"4 messages in the source ({ {k: len(v) for k, v in mail_a.items()} })")

dav = dav_client(a, a.password)
event = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:ev1\r\n"
         "DTSTAMP:20260101T000000Z\r\nDTSTART:20270110T090000Z\r\nDURATION:PT1H\r\nSUMMARY:Dentist\r\n"
         "END:VEVENT\r\nEND:VCALENDAR\r\n")
card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Alice Martin\r\nEMAIL:alice@remote.test\r\nEND:VCARD\r\n"
cols = ["/dav/calendars/demo@example.test/personal/", "/dav/addressbooks/demo@example.test/contacts/"]
for path, body, ct in ((cols[0] + "ev1.ics", event, "text/calendar"), (cols[1] + "c1.vcf", card, "text/vcard")):
    r = dav.request("PUT", path, body, {"Content-Type": ct})
    check(r.status in (201, 204), f"PUT {path} ({r.status})")
dav_a = {c: dav_objects(dav, c) for c in cols}

script = os.path.join(a.dir, "keep.sieve")
with open(script, "w") as f:
    f.write('require "fileinto";\nif header :contains "subject" "report" { fileinto "Projects"; }\n')
a.cli(["sieve", "put", "demo@example.test", "rules", script, "--activate"])
sieve_a = a.cli(["sieve", "get", "demo@example.test", "rules"]).stdout


async def mam_bodies(c, queryid):
    await raw_iq(c, "set", f"<query xmlns='{MAM}' queryid='{queryid}'/>")
    out = []
    for m in c.all_messages:
        r = m.xml.find(f"{{{MAM}}}result")
        if r is not None and r.get("queryid") == queryid:
            body = r.find(".//{jabber:client}body")
            out.append(body.text if body is not None else None)
    return out


xmpp_a = {}


async def fill_xmpp():
    me = await login(a, "demo@example.test", a.password, resource="fill")
    bob = await login(a, "bob@example.test", "pw-bob-secret", resource="b")
    await me.update_roster("bob@example.test", name="Bob Durand", groups=["Friends"])
    me.send_message(mto="bob@example.test", mbody="archived before the copy", mtype="chat")
    check(await bob.wait_until(lambda: any(m["body"] == "archived before the copy" for m in bob.messages)),
          "XMPP message delivered")
    bob.disconnect()
    await asyncio.sleep(0.5)
    me.send_message(mto="bob@example.test", mbody="waiting offline", mtype="chat")
    await asyncio.sleep(0.5)
    xmpp_a["roster"] = await roster_of(me)
    xmpp_a["mam"] = await mam_bodies(me, "a1")
    me.disconnect()
    await asyncio.sleep(0.3)

run_xmpp(fill_xmpp())
check("archived before the copy" in xmpp_a.get("mam", []), f"the source's archive ({xmpp_a.get('mam')})")

# ---- refused while the server runs ----
pg = PgCluster()
pg.start()
try:
    cp = a.cli(["db", "copy", "--to", pg.url], check_rc=False)
    check(cp.returncode == 1 and "stop" in cp.stderr, f"a running instance is refused ({cp.stderr.strip()})")
    rc, _ = a.stop()
    check(rc == 0, "the source stops cleanly")

    # ---- SQLite -> PostgreSQL ----
    cp = a.cli(["db", "copy", "--to", pg.url], check_rc=False, timeout=240)
    print(cp.stdout, cp.stderr)
    check(cp.returncode == 0, "db copy to PostgreSQL succeeds")
    check("blobs/" in cp.stdout, "the output says blobs stay on the filesystem")
    check("no store made it" not in cp.stdout, "every table's schema came from its store's migrations")

    def table_of(out):
        rows = {}
        for line in out.splitlines():
            m = re.match(r"^(\w+)\s+(\d+)\s+(\d+)\s+([0-9a-f]{16})\s+(same|DIFFERENT)$", line)
            if m:
                rows[m.group(1)] = (int(m.group(2)), int(m.group(3)), m.group(5))
        return rows

    printed = table_of(cp.stdout)
    check(all(v[2] == "same" for v in printed.values()) and len(printed) > 20,
          f"{len(printed)} tables printed, every checksum the same")
    data = os.path.join(a.dir, "data")
    source_counts = {}
    for f in os.listdir(data):
        if f.endswith(".db"):
            con = sqlite3.connect(f"file:{os.path.join(data, f)}?mode=ro", uri=True)
            for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"):
                if t != "schema_migrations":
                    source_counts[t] = con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            con.close()
    check(set(printed) == set(source_counts), f"every source table copied (missing: {set(source_counts) - set(printed)})")
    check(all(printed[t][0] == n for t, n in source_counts.items() if t in printed),
          "printed source counts are the SQLite files' counts")

    def psql(sql):
        r = subprocess.run(["psql", pg.url, "-At", "-c", sql], capture_output=True, text=True, timeout=30)
        return r.stdout.strip()

    pg_counts = {t: int(psql(f'SELECT count(*) FROM "{t}"') or -1) for t in printed}
    check(all(printed[t][1] == pg_counts[t] for t in printed), "printed target counts are PostgreSQL's (psql)")
    for t in ("accounts", "mail_messages", "dav_objects", "roster", "archive", "offline", "sieve_scripts"):
        check(pg_counts.get(t, 0) > 0, f"{t}: {pg_counts.get(t)} rows in PostgreSQL")

    cp = a.cli(["db", "copy", "--to", pg.url], check_rc=False)
    check(cp.returncode == 1 and "not empty" in cp.stderr, "a non-empty target is refused")

    # ---- PostgreSQL -> SQLite, into a new data directory, served ----
    b_root = tempfile.mkdtemp(prefix="hearth-dbcopy-b-")
    if not os.environ.get("HEARTH_KEEP"):
        atexit.register(shutil.rmtree, b_root, True)
    # Everything but the database files: TLS, the server secret, and the blobs, which the
    # copy leaves where they are.
    shutil.copytree(data, os.path.join(b_root, "data"),
                    ignore=lambda d, names: [n for n in names if re.search(r"\.db(-wal|-shm)?$|^hearth\.lock$", n)])
    cp = run(["db", "copy", "--from", pg.url, "--to", os.path.join(b_root, "data")], check_rc=False, timeout=240)
    print(cp.stdout, cp.stderr)
    check(cp.returncode == 0, "db copy back to SQLite succeeds")
    back = table_of(cp.stdout)
    # PostgreSQL also has the tables of stores this instance never opened (made empty by the
    # first copy): they come back too.
    check(set(printed) <= set(back) and all(back[t][:2] == printed[t][:2] for t in printed)
          and all(v[2] == "same" for v in back.values()),
          f"the way back: the same counts and checksums ({len(back)} tables: {sorted(set(back) - set(printed))} new)")

    # New rows on PostgreSQL continue after the copied ids.
    top = int(psql("SELECT COALESCE(MAX(id), 0) FROM archive"))
    new_id = psql("INSERT INTO archive(owner, stanza_id, with_jid, stamp, stanza) "
                  "VALUES('x@example.test', 'n1', 'y@example.test', 1, '<message/>') RETURNING id")
    new_id = (new_id.splitlines() or [""])[0]
    check(new_id.isdigit() and int(new_id) > top,
          f"PostgreSQL's sequence continues after the copied ids ({new_id!r} > {top})")

    def same_answers(inst, where):
        """The same IMAP, DAV, Sieve and XMPP answers from inst as from the original."""
        inst.start()
        imap = imap_login(inst, a.password)
        names = sorted(mailbox_names(imap))
        check(names == names_a, f"{where}: same mailboxes ({names})")
        for n in names_a:
            got = sorted(read_mailbox(imap, n))
            check(got == mail_a[n], f"{where}: {n}: the same {len(mail_a[n])} messages, bodies, flags, dates")
        imap.logout()
        dav_c = dav_client(inst, a.password)
        for c in cols:
            got = dav_objects(dav_c, c)
            check(got == dav_a[c] and len(got) == 1, f"{where}: {c}: the same object over DAV")
        check(inst.cli(["sieve", "get", "demo@example.test", "rules"]).stdout == sieve_a,
              f"{where}: the same Sieve script")

        async def read_xmpp():
            me = await login(inst, "demo@example.test", a.password, resource="read")
            check(await roster_of(me) == xmpp_a["roster"], f"{where}: the same roster ({xmpp_a['roster']})")
            check(await mam_bodies(me, "b1") == xmpp_a["mam"], f"{where}: the same archive ({xmpp_a['mam']})")
            bob = await login(inst, "bob@example.test", "pw-bob-secret", resource="b2")
            check(await bob.wait_until(lambda: any(m["body"] == "waiting offline" for m in bob.messages)),
                  f"{where}: the offline message is delivered by the copy")
            me.disconnect()
            bob.disconnect()
            await asyncio.sleep(0.3)

        run_xmpp(read_xmpp())
        rc, _ = inst.stop(timeout=30)
        check(rc == 0, f"{where}: the copy's server stops cleanly")

    with open(a.config) as f:
        b = instance_on(f.read(), b_root, host=2)
    same_answers(b, "SQLite copied back")

    # ---- the original instance served on the PostgreSQL copy ----
    # As the README says: [database] url set to the copy, and the same data directory (blobs,
    # TLS, secret). The SQLite copy above consumed the offline message there, not here.
    set_key(a.config, "database", "url", f'"{pg.url}"')
    # `db copy` without --from now reads the configured PostgreSQL, not the SQLite files still
    # in the data directory: the archive row added on PostgreSQL above is in its source count.
    c_root = tempfile.mkdtemp(prefix="hearth-dbcopy-c-")
    if not os.environ.get("HEARTH_KEEP"):
        atexit.register(shutil.rmtree, c_root, True)
    cp = a.cli(["db", "copy", "--to", os.path.join(c_root, "data")], check_rc=False, timeout=240)
    print(cp.stdout, cp.stderr)
    again = table_of(cp.stdout)
    check(cp.returncode == 0 and all(v[2] == "same" for v in again.values()),
          f"db copy with the config's database.url as the default source ({cp.returncode})")
    check(again.get("archive", (0,))[0] == printed["archive"][0] + 1 and again.get("accounts") == back.get("accounts"),
          f"its source was PostgreSQL: archive {again.get('archive')} vs {printed['archive']} in SQLite")
    same_answers(a, "served on PostgreSQL")
finally:
    pg.stop()
finish()
