"""Backup MX retention: the primary stays down longer than the backup's
backup_mx.retention (3 s here): the backup gives up and returns the mail to its sender with a
DSN (RFC 3464: failed, 4.4.7), which reaches the sender's INBOX through its own MX.
"""
from hearth_test import check, finish
from backup_lib import lines, setup, submit, wait_for
from mailbox import messages

dns, primary, backup, sender = setup(retention=3)
backup.start(wait_for="smtp")
sender.start(wait_for="submission")

check(submit(sender, "demo@example.test", "never arrives") == {}, "the sender accepted the message")
check(bool(wait_for(lambda: lines(backup, "smtp.in", "status=queued", "demo@example.test"))),
      "the backup accepted it for example.test (the primary is down)")
check(bool(wait_for(lambda: lines(backup, "smtp.out", "status=bounced", "demo@example.test"))),
      "after the retention the backup gives up")
dsn = wait_for(lambda: [m for m in messages(sender, "alice@s.test") if b"never arrives" in m and b"delivery-status" in m],
               timeout=40)
check(len(dsn) == 1, "a DSN reached the sender's INBOX")
if dsn:
    check(b"Action: failed" in dsn[0] and b"4.4.7" in dsn[0], "Action: failed, Status 4.4.7 (delivery time expired)")
    check(b"demo@example.test" in dsn[0], "naming the recipient")
    check(b"mx2.example.test" in dsn[0], "reported by the backup")
finish()
