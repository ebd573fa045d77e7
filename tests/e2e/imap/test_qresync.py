"""CONDSTORE/QRESYNC (RFC 7162): a client remembers UIDVALIDITY and HIGHESTMODSEQ, another
session changes flags and expunges, and SELECT (QRESYNC ...) reports exactly the changed
messages and VANISHED (EARLIER) for the expunged; UID FETCH CHANGEDSINCE ... VANISHED too."""
import re

from hearth_test import check, finish
from imap_common import corpus, login, raw, start

inst = start()
a = login(inst)
b = login(inst)
for name in ["nested.eml", "rfc2231.eml", "forwarded.eml", "latin1.eml", "group.eml"]:
    a.append("INBOX", None, None, corpus(name))
out = raw(a, "ENABLE QRESYNC")
check(out[0] == b"* ENABLED QRESYNC", f"ENABLE QRESYNC: {out[0]!r}")
out = raw(a, "SELECT INBOX")
uidvalidity = int(re.search(rb"UIDVALIDITY (\d+)", b" ".join(out)).group(1))
modseq = int(re.search(rb"HIGHESTMODSEQ (\d+)", b" ".join(out)).group(1))
check(b"* 5 EXISTS" in out, "5 messages")
raw(a, "UNSELECT")

b.select("INBOX")
b.store("2", "+FLAGS", "(\\Seen)")
b.store("4", "+FLAGS", "(\\Deleted)")
b.store("5", "+FLAGS", "(\\Deleted)")
b.expunge()

out = raw(a, f"SELECT INBOX (QRESYNC ({uidvalidity} {modseq}))")
text = b"\n".join(out)
check(b"* VANISHED (EARLIER) 4:5" in out, f"VANISHED (EARLIER) 4:5: {text!r}")
fetches = [l for l in out if b" FETCH " in l]
check(len(fetches) == 1 and fetches[0].startswith(b"* 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ ("),
      f"exactly the changed message: {fetches}")
check(b"* 3 EXISTS" in out, "3 messages remain")

# A live change while selected: VANISHED, not EXPUNGE, once QRESYNC is on.
b.store("1", "+FLAGS", "(\\Deleted)")
b.expunge()
out = raw(a, "NOOP")
check(b"* VANISHED 1" in out and not any(l.endswith(b"EXPUNGE") for l in out), f"NOOP: VANISHED 1 ({out})")

out = raw(a, f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {modseq} VANISHED)")
check(out[0] == b"* VANISHED (EARLIER) 1,4:5", f"UID FETCH VANISHED: {out[0]!r}")
check(any(l.startswith(b"* 1 FETCH (FLAGS (\\Seen) UID 2 MODSEQ") for l in out), f"CHANGEDSINCE: {out}")
out = raw(a, f"UID SEARCH MODSEQ {modseq + 1}")
check(out[0].startswith(b"* SEARCH 2 (MODSEQ "), f"SEARCH MODSEQ: {out[0]!r}")
a.logout()
b.logout()
finish()
