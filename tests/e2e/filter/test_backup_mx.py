"""Backup MX: the primary is down; the sender's queue goes to the backup (MX
20), which greylists it first like any MX, then accepts it for example.test and keeps it; the
primary comes back; the backup relays it (never to itself: it is in the MX list) and the mail
arrives in the primary's INBOX exactly once. The primary greylists with a long passtime but
has the backup in its allowlist, so the relayed copy is not delayed. The backup only accepts
the recipients of its list file when one is configured.
"""
import os
import re
import smtplib
import time

from hearth_test import NET, check, finish, set_key
from backup_lib import lines, setup, submit, wait_for
from mailbox import messages

dns, primary, backup, sender = setup(retention=600, backup_greylist=True, primary_greylist=True)
set_key(backup.config, "filter.greylist", "passtime", "1")
set_key(primary.config, "filter.greylist", "passtime", "600")
# The allowlist names the backup's source address: hearth's outbound connections do not bind
# to the listen address, so on loopback they come from 127.0.0.1.
set_key(primary.config, "filter.greylist", "allowlist", '["127.0.0.1"]')
backup.start(wait_for="smtp")
sender.start(wait_for="submission")

check(submit(sender, "demo@example.test", "via backup") == {}, "the sender accepted the message")
check(bool(wait_for(lambda: lines(backup, "filter.greylist", "outcome=first"))),
      "the backup greylisted the first attempt")
check(bool(wait_for(lambda: lines(backup, "smtp.in", "status=queued", "demo@example.test"))),
      "the sender's retry reached the backup, which queued the message for example.test")
check(bool(wait_for(lambda: lines(sender, "smtp.out", "status=delivered", f"{NET}.3"))),
      "the sender's queue delivered to the backup (MX 20) while the primary is down")
check(bool(wait_for(lambda: lines(backup, "smtp.out", "status=deferred"))), "the backup defers: the primary is down")
check(not lines(backup, "smtp.out", "mx2.example.test"), "the backup never tries itself")

primary.start(wait_for="smtp")
backup.cli(["queue", "flush"])
got = wait_for(lambda: [m for m in messages(primary, "demo@example.test") if b"Subject: via backup" in m], timeout=40)
check(len(got) == 1, "the mail arrived in the primary's INBOX")
check(bool(wait_for(lambda: lines(backup, "smtp.out", "status=delivered"))), "the backup logged the relay")
check(wait_for(lambda: not re.findall(r"^([0-9A-F]{10,})\s", backup.cli(["queue", "list"]).stdout, re.M)),
      "the backup's queue is empty afterwards")
time.sleep(3)  # time for any (wrong) second copy
got = [m for m in messages(primary, "demo@example.test") if b"Subject: via backup" in m]
check(len(got) == 1, "exactly once")
check(not lines(primary, "filter.greylist", "outcome=first"), "the primary did not greylist its backup's copy")
check(bool(got) and b"by mx2.example.test" in got[0], "the copy went through the backup (its Received line)")
check(bool(got) and got[0].count(b"X-Spam-Status:") == 1, "one X-Spam-Status: the primary's (the backup leaves the verdict to it)")

# A recipient list synced from the primary: unknown addresses are refused by the backup.
rc, _ = backup.stop()
with open(os.path.join(backup.dir, "recipients.txt"), "w") as f:
    # What the primary's `hearth user list example.test` and `hearth alias list example.test`
    # print, copied over.
    f.write("# synced from the primary\n" + primary.cli(["user", "list", "example.test"]).stdout +
            primary.cli(["alias", "list", "example.test"]).stdout)
set_key(backup.config, "backup_mx", "recipients", '"recipients.txt"')
set_key(backup.config, "filter.greylist", "enabled", "false")
backup.start(wait_for="smtp")
with smtplib.SMTP(backup.addr, backup.port("smtp"), timeout=30, source_address=(f"{NET}.9", 0)) as s:
    s.ehlo("client.example.net")
    s.mail("x@s.test")
    code, text = s.rcpt("nobody@example.test")
    check(code == 550 and text.startswith(b"5.1.1"), f"backup with a recipient list: unknown address refused ({code})")
    code, _ = s.rcpt("Demo@Example.test")
    check(code == 250, "a listed account accepted")
    code, _ = s.rcpt("postmaster@example.test")
    check(code == 250, "a listed alias accepted")
    code, _ = s.rcpt("someone@elsewhere.test")
    check(code == 554, "another domain is still refused (no open relay)")
finish()
