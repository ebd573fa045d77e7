"""NOTIFY (RFC 5465) over the wire: one session asks for events, another session of the same
account and an SMTP delivery make them happen, and the first hears of each without sending a
command: EXISTS and FETCH for the selected mailbox, STATUS for another mailbox, LIST for
created, renamed and deleted mailboxes and for a subscription change, METADATA for an
annotation, also while in IDLE.
NOTIFY NONE stops it; the combinations the RFC forbids are refused."""
import re

from hearth_test import check, finish
from imap_common import IMAP_TLS, deliver_subject as deliver, heard, raw_text as raw, start, unbuffered


inst = start()
watcher = IMAP_TLS(inst)
watcher.login(inst.email, inst.password)
unbuffered(watcher)
actor = IMAP_TLS(inst)
actor.login(inst.email, inst.password)
unbuffered(actor)

u, _ = raw(watcher, "CAPABILITY")
check(any(" NOTIFY" in l for l in u), f"NOTIFY is announced: {u}")
_, t = raw(watcher, "NOTIFY SET (personal (MessageNew))")
check(t.startswith("BAD"), f"MessageNew without MessageExpunge is BAD (RFC 5465 §5): {t}")
_, t = raw(watcher, "NOTIFY SET (personal (MessageNew MessageExpunge AnnotationChange))")
check(t.startswith("NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)]"),
      f"an unsupported event is NO [BADEVENT ...]: {t}")

raw(actor, "CREATE Lists")
raw(watcher, "SELECT INBOX")
u, t = raw(watcher, "NOTIFY SET STATUS (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) MessageExpunge "
                    "FlagChange)) (personal (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange "
                    "MailboxMetadataChange))")
check(t.startswith("OK"), f"NOTIFY SET: {t}")
check(any(l.startswith('* STATUS "Lists" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY ') for l in u),
      f"SET STATUS reports each watched mailbox first: {u}")
check(not any(l.startswith('* STATUS INBOX') for l in u), "but not the selected one")

# The selected mailbox: a delivery is EXISTS and a FETCH with the attributes asked for.
deliver(inst, "first")
seen = heard(watcher, lambda l: "Subject: first" in l)
check("* 1 EXISTS" in seen, f"a delivery reaches the selected mailbox unasked: {seen}")
check(any(re.match(r"\* 1 FETCH \(UID 1 BODY\[HEADER\.FIELDS \(Subject\)\] \{\d+\}", l) for l in seen),
      f"with the FETCH that NOTIFY asked for: {seen}")
heard(watcher, lambda l: l.startswith(")"), 5)  # the rest of that FETCH

# Another mailbox: STATUS.
tag = actor._new_tag()
msg = b"Subject: draft\r\n\r\nx\r\n"
actor.send(tag + f" APPEND Lists {{{len(msg)}+}}\r\n".encode() + msg + b"\r\n")
heard(actor, lambda l: l.startswith(tag.decode()))
seen = heard(watcher, lambda l: l.startswith('* STATUS "Lists"'))
check(seen and seen[-1].startswith('* STATUS "Lists" (MESSAGES 1 UIDNEXT 2 '), f"an APPEND elsewhere is a STATUS: {seen}")

# Mailbox names and subscriptions: LIST.
raw(actor, "CREATE Projects")
seen = heard(watcher, lambda l: "Projects" in l)
check(seen and seen[-1] == '* LIST (\\Subscribed) "/" "Projects"', f"CREATE: {seen}")
raw(actor, "RENAME Projects Done")
seen = heard(watcher, lambda l: "Done" in l)
check(seen and seen[-1] == '* LIST (\\Subscribed) "/" "Done" ("OLDNAME" ("Projects"))', f"RENAME: {seen}")
raw(actor, "DELETE Done")
seen = heard(watcher, lambda l: "Done" in l)
check(seen and seen[-1] == '* LIST (\\NonExistent) "/" "Done"', f"DELETE: {seen}")
raw(actor, "UNSUBSCRIBE Sent")
seen = heard(watcher, lambda l: '"Sent"' in l)
check(seen and seen[-1] == '* LIST () "/" "Sent"', f"UNSUBSCRIBE: {seen}")

# Annotations (RFC 5464): the entry that changed, without its value.
raw(actor, 'SETMETADATA Lists (/private/comment "work lists")')
seen = heard(watcher, lambda l: l.startswith("* METADATA"))
check(seen and seen[-1] == '* METADATA "Lists" ("/private/comment")', f"SETMETADATA: {seen}")

# Flags and expunges of the selected mailbox.
raw(actor, "SELECT INBOX")
raw(actor, "STORE 1 +FLAGS (\\Flagged)")
seen = heard(watcher, lambda l: "FETCH" in l)
check(seen and re.match(r"\* 1 FETCH \(UID 1 FLAGS \(.*\\Flagged.*\)\)", seen[-1]), f"a flag change: {seen}")
raw(actor, "STORE 1 +FLAGS (\\Deleted)")
heard(watcher, lambda l: "FETCH" in l)
raw(actor, "EXPUNGE")
seen = heard(watcher, lambda l: "EXPUNGE" in l)
check(seen and seen[-1] == "* 1 EXPUNGE", f"an expunge: {seen}")

# In IDLE: the same reports.
tag = watcher._new_tag()
watcher.send(tag + b" IDLE\r\n")
check(watcher.readline().startswith(b"+"), "the watcher idles")
actor.send(b"x APPEND Lists {" + str(len(msg)).encode() + b"+}\r\n" + msg + b"\r\n")
seen = heard(watcher, lambda l: l.startswith('* STATUS "Lists"'))
check(seen and seen[-1].startswith('* STATUS "Lists" (MESSAGES 2 UIDNEXT 3 '), f"a STATUS in IDLE: {seen}")
heard(actor, lambda l: l.startswith("x "))
watcher.send(b"DONE\r\n")
end = heard(watcher, lambda l: l.startswith(tag.decode()))
check(end and end[-1].startswith(tag.decode() + " OK"), f"IDLE ends: {end}")

# NOTIFY NONE: the watcher's next command shows nothing about Lists.
_, t = raw(watcher, "NOTIFY NONE")
check(t.startswith("OK"), f"NOTIFY NONE: {t}")
raw(actor, f"APPEND Lists {{{len(msg)}+}}\r\n{msg.decode()}")
u, t = raw(watcher, "NOOP")
check(t.startswith("OK") and not any("STATUS" in l for l in u), f"after NOTIFY NONE, no STATUS: {u}")
check(inst.proc.poll() is None, "the server is still running")
watcher.logout()
actor.logout()
finish()
