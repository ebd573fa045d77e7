"""Backup MX recipient sync: the primary serves the recipients of its domain
(accounts, aliases) on GET /hearth/backup-mx/recipients to callers with backup_mx.sync_secret;
the backup (backup_mx.sync_url) fetches them over TLS verified against the primary's dev CA and
refuses unknown recipients with 550 5.1.1. A wrong secret gets 403 and the backup keeps its last
good list, also across a restart (it is persisted in DATA_DIR). curl is the real HTTPS client.
"""
import os
import smtplib
import subprocess

from hearth_test import NET, Instance, check, finish, set_key
from backup_lib import lines, wait_for

SECRET = "sync-secret-0123456789"

primary = Instance("demo@example.test", host=2)
backup = Instance("ops@backup.test", host=3, hostname="mx2.example.test")
primary.cli(["alias", "add", "sales@example.test", "demo@example.test"])
set_key(primary.config, "backup_mx", "sync_secret", f'"{SECRET}"')
base = f"https://{primary.addr}:{primary.port('https')}"
set_key(backup.config, "backup_mx", "domains", '["example.test"]')
set_key(backup.config, "backup_mx", "sync_url", f'"{base}"')
set_key(backup.config, "backup_mx", "sync_secret", f'"{SECRET}"')
set_key(backup.config, "backup_mx", "sync_ca_file", f'"{primary.ca_file()}"')
for inst in (primary, backup):
    inst.cli(["config", "check"])
primary.start(wait_for="https")


def curl(path, *headers):
    args = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--cacert", primary.ca_file(), "--max-time", "20"]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run(args + [base + path], capture_output=True, text=True, timeout=30).stdout
    body, _, code = out.rpartition("\n")
    return int(code or 0), body


url = "/hearth/backup-mx/recipients?domain=example.test"
code, body = curl(url)
check(code == 401 and "demo@" not in body, f"curl without the secret: 401 ({code})")
code, body = curl(url, "Authorization: Bearer wrong-secret")
check(code == 403 and "demo@" not in body, f"curl with a wrong secret: 403 ({code})")
code, body = curl("/hearth/backup-mx/recipients?domain=elsewhere.test", f"Authorization: Bearer {SECRET}")
check(code == 404 and "@" not in body, f"a domain that is not ours lists nothing ({code})")
code, body = curl(url, f"Authorization: Bearer {SECRET}")
listed = body.split()
check(code == 200 and "demo@example.test" in listed and "sales@example.test" in listed,
      f"curl with the secret gets the accounts and aliases ({code}: {listed})")


def rcpt(*addresses):
    with smtplib.SMTP(backup.addr, backup.port("smtp"), timeout=30, source_address=(f"{NET}.9", 0)) as s:
        s.ehlo("client.example.net")
        s.mail("x@s.test")
        return [s.rcpt(a) for a in addresses]


backup.start(wait_for="smtp")
check(bool(wait_for(lambda: lines(backup, "filter.backup_sync", "status=ok"))), "the backup synced at start")
(c1, _), (c2, _), (c3, t3) = rcpt("Demo@example.test", "sales@example.test", "nobody@example.test")
check(c1 == 250 and c2 == 250, f"synced account and alias accepted at the backup ({c1}, {c2})")
check(c3 == 550 and t3.startswith(b"5.1.1"), f"an unknown recipient refused 550 5.1.1 ({c3} {t3!r})")
check(os.path.exists(os.path.join(backup.dir, "data", "backup_mx_recipients.txt")), "the list is kept in DATA_DIR")

# A new account on the primary; the backup restarts with a wrong secret: 403, old list kept.
primary.cli(["user", "add", "new@example.test"], input="")
backup.stop()
set_key(backup.config, "backup_mx", "sync_secret", '"not-the-secret"')
backup.start(wait_for="smtp")
check(bool(wait_for(lambda: lines(backup, "filter.backup_sync", "status=failed", "403"))),
      "the backup's sync with a wrong secret failed with 403 and was logged")
check(bool(lines(primary, "filter.backup_sync_refused")), "the primary logged the refused sync")
(c1, _), (c2, _) = rcpt("demo@example.test", "new@example.test")
check(c1 == 250, f"the backup kept its last good list across the restart ({c1})")
check(c2 == 550, f"the account added since is not known to the stale list ({c2})")
finish()
