"""CONTEXT=SEARCH (RFC 5267) over the wire: a UID SEARCH RETURN (UPDATE) result is kept current
while the client idles (ADDTO for a delivery that matches, REMOVEFROM when another session
flags a message so it no longer matches), PARTIAL pages through a result, CANCELUPDATE ends the
updates."""
import time

from hearth_test import check, finish
from imap_common import IMAP_TLS, deliver_subject as deliver, heard, raw_text, start, unbuffered


def raw(m, line):
    return raw_text(m, line, with_tag=True)


inst = start()
for i in range(3):
    deliver(inst, f"before {i}")
m = IMAP_TLS(inst)
m.login(inst.email, inst.password)
unbuffered(m)
other = IMAP_TLS(inst)
other.login(inst.email, inst.password)
unbuffered(other)

_, u, _ = raw(m, "CAPABILITY")
check(any("CONTEXT=SEARCH" in l for l in u), "CONTEXT=SEARCH is announced")
raw(m, "SELECT INBOX")
tag, u, t = raw(m, "UID SEARCH RETURN (PARTIAL 2:3 COUNT) ALL")
check(u == [f'* ESEARCH (TAG "{tag}") UID COUNT 3 PARTIAL (2:3 2:3)'], f"PARTIAL pages through the result: {u}")

# An UPDATE search of unseen messages: all three now.
ctx, u, t = raw(m, "UID SEARCH RETURN (UPDATE) UNSEEN")
check(u == [f'* ESEARCH (TAG "{ctx}") UID ALL 1:3'] and t.startswith("OK"), f"UPDATE search: {u} {t}")
_, _, t = raw(m, f"UID SEARCH RETURN (UPDATE) ALL")
check(t.startswith("OK"), "a second context")

# While the client idles: a delivery that matches is an ADDTO after its EXISTS.
idle = m._new_tag().decode()
m.send(f"{idle} IDLE\r\n".encode())
check(m.readline().startswith(b"+"), "the client idles")
deliver(inst, "new one")
seen = heard(m, lambda l: l == f'* ESEARCH (TAG "{ctx}") UID ADDTO (0 4)')
check(seen and seen[-1] == f'* ESEARCH (TAG "{ctx}") UID ADDTO (0 4)', f"ADDTO for the delivery: {seen}")
check("* 4 EXISTS" in seen and seen.index("* 4 EXISTS") < len(seen) - 1, "sent after the EXISTS (RFC 5267 §4.3.3)")
# Another session marks message 2 seen: it leaves the UNSEEN result.
raw(other, "SELECT INBOX")
raw(other, "UID STORE 2 +FLAGS (\\Seen)")
seen = heard(m, lambda l: l == f'* ESEARCH (TAG "{ctx}") UID REMOVEFROM (0 2)')
check(seen and seen[-1] == f'* ESEARCH (TAG "{ctx}") UID REMOVEFROM (0 2)', f"REMOVEFROM for the flag change: {seen}")
m.send(b"DONE\r\n")
end = heard(m, lambda l: l.startswith(idle))
check(end and end[-1].startswith(idle + " OK"), f"IDLE ends: {end}")

# CANCELUPDATE: no more updates for that search.
_, u, t = raw(m, f'CANCELUPDATE "{ctx}"')
check(t.startswith("OK"), f"CANCELUPDATE: {t}")
deliver(inst, "after cancel")
time_limit = time.monotonic() + 10
u = []
while time.monotonic() < time_limit and not any(l.endswith("EXISTS") for l in u):
    _, u, _ = raw(m, "NOOP")
check(any(l == "* 5 EXISTS" for l in u), f"the delivery shows: {u}")
check(not any(f'TAG "{ctx}"' in l for l in u), f"but no update of the cancelled search: {u}")
check(inst.proc.poll() is None, "the server is still running")
m.logout()
other.logout()
finish()
