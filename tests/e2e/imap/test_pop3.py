"""POP3 with Python poplib: STLS on 110 and implicit TLS on 995; USER/PASS refused in the
clear; CAPA, STAT, LIST, UIDL, TOP, RETR (dot-stuffed), DELE + RSET, DELE + QUIT removes the
message (seen from IMAP); AUTH PLAIN via SASL."""
import base64
import poplib
import socket
import ssl

from hearth_test import check, finish
from imap_common import corpus, login, start

inst = start()
ctx = ssl.create_default_context(cafile=inst.ca_file())

# Messages put in with IMAP APPEND; one has a line starting with a dot.
m = login(inst)
dotted = b"From: a@example.org\r\nSubject: dots\r\n\r\n.leading dot\r\n..two\r\nend\r\n"
for data in [corpus("nested.eml"), dotted, corpus("group.eml")]:
    m.append("INBOX", None, None, data)
m.logout()


class POP3_STLS(poplib.POP3):
    def stls(self, context=None):
        real = self.host
        self.host = inst.hostname  # verify by name, connect by address
        try:
            return super().stls(context=context)
        finally:
            self.host = real


p = POP3_STLS(inst.addr, inst.port("pop3"), timeout=20)
caps = p.capa()
check("STLS" in caps and "USER" not in caps, f"plain CAPA: STLS, no USER ({sorted(caps)})")
try:
    p.user(inst.email)
    check(False, "USER in the clear refused")
except poplib.error_proto as e:
    check(b"TLS" in e.args[0], f"USER in the clear refused: {e}")
p.stls(ctx)
caps = p.capa()
check("USER" in caps and "SASL" in caps and "STLS" not in caps, f"CAPA after STLS: {sorted(caps)}")
try:
    p.user(inst.email)
    p.pass_("wrong")
    check(False, "wrong password refused")
except poplib.error_proto as e:
    check(b"-ERR" in e.args[0], f"wrong password refused: {e}")
p.user(inst.email)
p.pass_(inst.password)
count, size = p.stat()
check(count == 3, f"STAT: 3 messages ({count} {size})")
resp, listing, _ = p.list()
check(len(listing) == 3 and listing[1] == b"2 %d" % len(dotted), f"LIST: {listing}")
resp, uidl, _ = p.uidl()
uids = [u.split()[1] for u in uidl]
check(len(set(uids)) == 3, f"UIDL unique: {uidl}")
resp, lines, _ = p.retr(2)
check(lines == [b"From: a@example.org", b"Subject: dots", b"", b".leading dot", b"..two", b"end"],
      f"RETR un-dot-stuffed by poplib: {lines}")
resp, lines, _ = p.top(1, 2)
body_start = lines.index(b"")
check(lines[0].startswith(b"From: Alice") and len(lines) - body_start - 1 == 2, f"TOP 1 2: {lines[body_start:]}")
p.dele(1)
count, _ = p.stat()
check(count == 2, "DELE hides the message")
p.rset()
count, _ = p.stat()
check(count == 3, "RSET restores it")
p.dele(3)
p.quit()

# Implicit TLS on 995 and AUTH PLAIN.
class POP3_TLS(poplib.POP3_SSL):
    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout)
        return self.context.wrap_socket(sock, server_hostname=inst.hostname)


p = POP3_TLS(inst.addr, inst.port("pop3s"), context=ctx, timeout=20)
check(p.welcome.startswith(b"+OK"), f"995 greeting: {p.welcome!r}")
cred = base64.b64encode(f"\0{inst.email}\0{inst.password}".encode()).decode()
resp = p._shortcmd(f"AUTH PLAIN {cred}")
check(resp.startswith(b"+OK"), f"AUTH PLAIN: {resp!r}")
count, _ = p.stat()
check(count == 2, f"DELE + QUIT removed the message ({count} left)")
p.quit()

m = login(inst)
typ, data = m.select("INBOX")
check(data[0] == b"2", f"IMAP sees 2 messages after the POP3 delete ({data})")
m.logout()
finish()
