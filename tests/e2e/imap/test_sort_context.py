"""CONTEXT=SORT (RFC 5267) over the wire, with imaplib sending raw commands: PARTIAL pages
through a SORT result in sort order, and a UID SORT RETURN (UPDATE) result is kept current while
the client idles, with ADDTO and REMOVEFROM naming positions in the sort order."""
from hearth_test import check, finish
from imap_common import IMAP_TLS, deliver_subject as deliver, heard, raw_text, start, unbuffered


def raw(m, line):
    return raw_text(m, line, with_tag=True)


inst = start()
# Subjects d b a c arrive as UIDs 1-4; by SUBJECT they sort a b c d = UIDs 3 2 4 1.
for s in ("d", "b", "a", "c"):
    deliver(inst, s)
m = IMAP_TLS(inst)
m.login(inst.email, inst.password)
unbuffered(m)
other = IMAP_TLS(inst)
other.login(inst.email, inst.password)
unbuffered(other)

_, u, _ = raw(m, "CAPABILITY")
check(any(" CONTEXT=SORT" in l for l in u), f"CONTEXT=SORT is announced: {u}")
raw(m, "SELECT INBOX")
# RFC 5267 §4.4: PARTIAL gives "a subset of the results", which for SORT are in sort order.
tag, u, t = raw(m, "UID SORT RETURN (PARTIAL 2:3) (SUBJECT) UTF-8 ALL")
check(u == [f'* ESEARCH (TAG "{tag}") UID PARTIAL (2:3 2,4)'], f"PARTIAL 2:3 of the sorted result: {u}")
tag, u, t = raw(m, "SORT RETURN (PARTIAL 4:10) (REVERSE SUBJECT) UTF-8 ALL")
check(u == [f'* ESEARCH (TAG "{tag}") PARTIAL (4:10 3)'], f"a window past the end holds what is there: {u}")

ctx, u, t = raw(m, "UID SORT RETURN (UPDATE) (SUBJECT) UTF-8 UNSEEN")
check(u == [f'* ESEARCH (TAG "{ctx}") UID ALL 3,2,4,1'] and t.startswith("OK"), f"UPDATE sort: {u} {t}")

idle = m._new_tag().decode()
m.send(f"{idle} IDLE\r\n".encode())
check(m.readline().startswith(b"+"), "the client idles")
# §4.3.3: "If the context position is non-zero, the result update is inserted at the given
# context position": "bb" (UID 5) sorts third, between b and c.
deliver(inst, "bb")
want = f'* ESEARCH (TAG "{ctx}") UID ADDTO (3 5)'
seen = heard(m, lambda l: l == want)
check(seen and seen[-1] == want, f"ADDTO at sort position 3: {seen}")
check("* 5 EXISTS" in seen and seen.index("* 5 EXISTS") < len(seen) - 1, "sent after the EXISTS (§4.3.3)")
# §4.3.4: another session marks b (UID 2, at position 2) seen; it leaves the UNSEEN result.
raw(other, "SELECT INBOX")
raw(other, "UID STORE 2 +FLAGS (\\Seen)")
want = f'* ESEARCH (TAG "{ctx}") UID REMOVEFROM (2 2)'
seen = heard(m, lambda l: l == want)
check(seen and seen[-1] == want, f"REMOVEFROM at sort position 2: {seen}")
m.send(b"DONE\r\n")
end = heard(m, lambda l: l.startswith(idle))
check(end and end[-1].startswith(idle + " OK"), f"IDLE ends: {end}")

# The context now holds a bb c d = 3 5 4 1: the same SORT run afresh agrees.
tag, u, _ = raw(m, "UID SORT RETURN (ALL) (SUBJECT) UTF-8 UNSEEN")
check(u == [f'* ESEARCH (TAG "{tag}") UID ALL 3,5,4,1'], f"a fresh SORT matches the updated context: {u}")
_, u, t = raw(m, f'CANCELUPDATE "{ctx}"')
check(t.startswith("OK"), f"CANCELUPDATE: {t}")
check(inst.proc.poll() is None, "the server is still running")
m.logout()
other.logout()
finish()
