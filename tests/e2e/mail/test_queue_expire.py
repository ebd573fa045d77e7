"""The schedule's ends with real instances: B stays down, so after delay_warning A tells alice
once that delivery is delayed (a DSN with Action: delayed), and after give_up it returns the
message (Action: failed, Status 4.4.7) and drops it from the queue.
"""
from hearth_test import check, finish
from queue_lib import find, inbox, log_lines, queue_ids, setup, submit, wait_for

dns, a, b = setup(schedule=(1, 1, 6, 2))
a.start(wait_for="submission")
check(submit(a, "bob@b.test", "never arrives") == {}, "A accepted the message while B is down")
warn = wait_for(lambda: find(a, "alice@a.test", "Action: delayed"), timeout=40)
check(warn is not None, "alice got a delay warning")
if warn:
    check(b"Subject: Delayed Mail" in warn, "saying it is only delayed")
    check(b"Will-Retry-Until:" in warn, "with Will-Retry-Until")
    check(b"Final-Recipient: rfc822; bob@b.test" in warn, "naming the recipient")
failed = wait_for(lambda: find(a, "alice@a.test", "Action: failed"), timeout=40)
check(failed is not None, "then the message came back as failed")
if failed:
    check(b"Status: 4.4.7" in failed, "with Status 4.4.7 (delivery time expired)")
    check(b"Subject: never arrives" in failed, "and the original message")
check(len([m for m in inbox(a, "alice@a.test") if b"Action: delayed" in m]) == 1, "the warning went out once")
check(wait_for(lambda: queue_ids(a) == []), "the queue is empty")
check(bool([l for l in log_lines(a, "smtp.out") if "status=bounced" in l and "dsn=4.4.7" in l]),
      "A logged status=bounced dsn=4.4.7")
finish()
