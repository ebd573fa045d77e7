"""Greylisting on the MX port, with smtplib clients bound to several loopback
addresses and short intervals (passtime 2 s):
  first try 451 4.7.1, early retry 451, retry after passtime from a neighbour in the same /24
  accepted and delivered, then accepted at once; another /24 is a new client; the provider
  pool case (a domain that passed from mail-a.out.big.test passes at once from
  mail-b.out.big.test, another network: PTR records served by knot); the allowlist (a network, a host
  name) and authenticated submission are never delayed; the state survives a restart.
"""
import smtplib
import ssl
import time

from hearth_test import NET, Instance, check, finish, set_key
from knot import Knot
from mailbox import messages, wait_messages

PASSTIME = 2
base = NET.rsplit(".", 1)[0]          # "127.0"
n = int(NET.rsplit(".", 1)[1])        # 190
SAME_A, SAME_B = f"{NET}.5", f"{NET}.6"            # one /24
OTHER = f"{base}.{n + 2}.5"                        # another /24, no PTR
POOL_A, POOL_B = f"{base}.{n + 1}.5", f"{base}.{n + 3}.5"  # two networks of one provider
ALLOWED_HOST = f"{base}.{n + 4}.5"                # allowlisted by its host name
ALLOWED_NET = f"{base}.{n + 8}.5"                 # allowlisted by CIDR (198: unused by other tests)

zones = {
    "big.test": f"mail-a.out A {POOL_A}\nmail-b.out A {POOL_B}\n",
    f"{n + 1}.0.127.in-addr.arpa": "5 PTR mail-a.out.big.test.\n",
    f"{n + 3}.0.127.in-addr.arpa": "5 PTR mail-b.out.big.test.\n",
    f"{n + 4}.0.127.in-addr.arpa": "5 PTR mx.friend.test.\n",
    "friend.test": f"mx A {ALLOWED_HOST}\n",
}
dns = Knot(addr=f"{NET}.1", port=5353, zones=zones).start()

inst = Instance("demo@example.test", greylist=True)
set_key(inst.config, "dns", "servers", f'["{NET}.1:5353"]')
set_key(inst.config, "filter.greylist", "passtime", str(PASSTIME))
set_key(inst.config, "filter.greylist", "greyexp", "120")
set_key(inst.config, "filter.greylist", "allowlist", f'["{base}.{n + 8}.0/24", "friend.test"]')
inst.cli(["config", "check"])
inst.start(wait_for="smtp")


def send(source, sender, subject, rcpt="demo@example.test"):
    """One transaction from `source`; returns (RCPT code, RCPT text, DATA code)."""
    with smtplib.SMTP(inst.addr, inst.port("smtp"), timeout=30, source_address=(source, 0)) as s:
        s.ehlo("client.example.net")
        s.mail(sender)
        code, text = s.rcpt(rcpt)
        if code != 250:
            s.rset()
            return code, text.decode(), None
        msg = f"From: <{sender}>\r\nTo: <{rcpt}>\r\nSubject: {subject}\r\n\r\nSee http://shop.example/.\r\n"
        dcode, _ = s.data(msg.encode())
        return code, text.decode(), dcode


def inbox_has(subject):
    return [m for m in messages(inst, "demo@example.test") if f"Subject: {subject}".encode() in m]


# The basic sequence.
code, text, _ = send(SAME_A, "a@sender.test", "grey 1")
check(code == 451 and text.startswith("4.7.1"), f"first try: 451 4.7.1 ({code} {text})")
check("Greylisted" in text, "the reply says greylisted")
code, text, _ = send(SAME_A, "a@sender.test", "grey 1")
check(code == 451, f"early retry: 451 again ({code})")
time.sleep(PASSTIME + 1)
code, _, dcode = send(SAME_B, "a@sender.test", "grey 1")
check(code == 250 and dcode == 250, f"retry after passtime from another address of the /24: accepted ({code}/{dcode})")
check(len(wait_messages(inst, "demo@example.test", 1)) == 1 and len(inbox_has("grey 1")) == 1,
      "delivered to the INBOX once")
got = inbox_has("grey 1")
check(bool(got) and b"X-Spam-Status: " in got[0], "with an X-Spam-Status field")
code, _, dcode = send(SAME_A, "a@sender.test", "grey 2")
check(code == 250 and dcode == 250, "the white triplet is accepted at once")
code, _, _ = send(OTHER, "a@sender.test", "grey 3")
check(code == 451, f"the same triplet from another /24 is a new client: 451 ({code})")
code, _, _ = send(SAME_A, "b@sender.test", "grey 4")
check(code == 451, "another sender from the white client: 451")

# The provider pool: the domain passes from mail-a.out.big.test the normal way...
code, _, _ = send(POOL_A, "x@big.test", "pool 1")
check(code == 451, f"pool host A, first try: 451 ({code})")
time.sleep(PASSTIME + 1)
code, _, dcode = send(POOL_A, "x@big.test", "pool 1")
check(code == 250 and dcode == 250, f"pool host A after passtime: accepted ({code})")
# ...then another sender of that domain from mail-b.out.big.test (another /24) passes at once.
code, text, dcode = send(POOL_B, "y@big.test", "pool 2")
check(code == 250 and dcode == 250, f"pool host B, another network: accepted at once ({code} {text})")
check(any("outcome=pool" in l for l in inst.log().splitlines()), "logged as a pool pass")
code, _, _ = send(POOL_B, "z@other.test", "pool 3")
check(code == 451, "another domain from pool host B: 451")

# The allowlist is never delayed: a network, and a host name (forward-confirmed PTR).
code, _, dcode = send(ALLOWED_NET, "new@sender.test", "allowed")
check(code == 250 and dcode == 250, f"allowlisted network: accepted at once ({code})")
code, _, dcode = send(ALLOWED_HOST, "new@sender.test", "allowed host")
check(code == 250 and dcode == 250, f"allowlisted host name (mx.friend.test): accepted at once ({code})")

# Authenticated submission is never delayed.
ctx = ssl.create_default_context(cafile=inst.ca_file())
ctx.check_hostname = False
with smtplib.SMTP(inst.addr, inst.port("submission"), timeout=30, source_address=(OTHER, 0)) as s:
    s.ehlo("client.example.net")
    s.starttls(context=ctx)
    s.ehlo("client.example.net")
    s.login(inst.email, inst.password)
    check(s.sendmail(inst.email, ["demo@example.test"], b"Subject: submitted\r\n\r\nx\r\n") == {},
          "authenticated submission: accepted at once")
check(len(inbox_has("submitted")) == 1, "and delivered")

# The state survives a restart.
rc, _ = inst.stop()
check(rc == 0, "stopped cleanly")
inst.start(wait_for="smtp")
code, _, dcode = send(SAME_A, "a@sender.test", "after restart")
check(code == 250 and dcode == 250, "after a restart the white triplet is still accepted")
code, _, _ = send(SAME_A, "c@sender.test", "after restart 2")
check(code == 451, "and an unknown one still greylisted")
finish()
