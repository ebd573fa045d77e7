"""DNSBL/DNSWL, RHSBL and URIBL against fake list zones served by knot, and
the rDNS/HELO checks (item 5), the spam verdict (item 7): a client listed in a reject list gets 554 5.7.1 naming the list; a
DNSWL listing lowers the score; a sender domain in an RHSBL and a link domain (in a base64
HTML part) in a URIBL add their weights; X-Spam-Status on every message; Junk at or above
filter.spam.threshold; 550 5.7.1 at or above filter.spam.reject_threshold.
"""
import base64
import smtplib

from hearth_test import NET, Instance, check, finish, set_key
from knot import Knot
from mailbox import messages

last = NET.rsplit(".", 1)[1]
LISTED, CLEAN, ALLOWED, LIAR, NOPTR = (f"{NET}.{i}" for i in (5, 6, 7, 8, 9))

zones = {
    "bl.test": f"5.{last}.0.127 A 127.0.0.2\n5.{last}.0.127 TXT \"listed for the test\"\n",
    "wl.test": f"7.{last}.0.127 A 127.0.10.1\n",
    "rhs.test": "spammer.test A 127.0.0.2\n",
    # spam.co.uk: found only by asking the registered domain (Public Suffix List), not "co.uk".
    "uri.test": "badlink.test A 127.0.0.2\nspam.co.uk A 127.0.0.2\n",
    # Reverse DNS of the clients (rDNS checks, item 5): .6 and .7 forward-confirmed, .8 a PTR
    # name without an address, .9 no PTR at all.
    f"{last}.0.127.in-addr.arpa": "6 PTR clean.test.\n7 PTR allowed.test.\n8 PTR liar.test.\n",
    "clean.test": f"@ A {NET}.6\n",
    "allowed.test": f"@ A {NET}.7\n",
    "liar.test": "@ TXT \"no address\"\n",
}
dns = Knot(addr=f"{NET}.1", port=5353, zones=zones).start()
inst = Instance("demo@example.test")
set_key(inst.config, "dns", "servers", f'["{NET}.1:5353"]')
set_key(inst.config, "filter.dnsbl", "client", '["bl.test:reject", "wl.test:-2"]')
set_key(inst.config, "filter.dnsbl", "sender", '["rhs.test:6"]')
set_key(inst.config, "filter.dnsbl", "uri", '["uri.test:10"]')
set_key(inst.config, "filter.spam", "threshold", '"5"')
set_key(inst.config, "filter.spam", "reject_threshold", '"15"')
inst.cli(["config", "check"])
inst.start(wait_for="smtp")


def send(source, sender, subject, body="Hello.\r\n", headers="", helo="client.example.net"):
    """Returns (RCPT code, RCPT text, DATA code, DATA text)."""
    with smtplib.SMTP(inst.addr, inst.port("smtp"), timeout=30, source_address=(source, 0)) as s:
        s.ehlo(helo)
        s.mail(sender)
        code, text = s.rcpt("demo@example.test")
        if code != 250:
            return code, text.decode(), None, None
        msg = f"From: <{sender}>\r\nTo: <demo@example.test>\r\nSubject: {subject}\r\n{headers}\r\n{body}"
        dcode, dtext = s.data(msg.encode())
        return code, text.decode(), dcode, dtext.decode()


def stored(subject, mailbox="INBOX"):
    got = [m for m in messages(inst, "demo@example.test", mailbox) if f"Subject: {subject}".encode() in m]
    return got[0] if len(got) == 1 else None


code, text, _, _ = send(LISTED, "a@sender.test", "listed")
check(code == 554 and text.startswith("5.7.1") and "bl.test" in text, f"listed client: 554 5.7.1 naming the list ({code} {text})")
check("listed for the test" in text, "with the list's TXT explanation")

code, _, dcode, _ = send(CLEAN, "a@sender.test", "clean")
check(code == 250 and dcode == 250, "clean client accepted")
m = stored("clean")
check(m is not None and b"X-Spam-Status: No, score=0 " in m, "delivered to the INBOX with X-Spam-Status: No, score=0")

code, _, dcode, _ = send(ALLOWED, "a@sender.test", "allowed")
m = stored("allowed")
check(dcode == 250 and m is not None and b"DNSBL_wl.test(-2)" in m and b"score=-2 " in m,
      "DNSWL listing: score -2 in X-Spam-Status")

# Reverse DNS and HELO (item 5), with the default scores.
send(LIAR, "a@sender.test", "liar")
m = stored("liar")
check(m is not None and b"RDNS_MISMATCH(1)" in m and b"score=1 " in m, "PTR not forward-confirmed: RDNS_MISMATCH(1)")
send(NOPTR, "a@sender.test", "no ptr")
m = stored("no ptr")
check(m is not None and b"RDNS_NONE(1.5)" in m, "no PTR: RDNS_NONE(1.5)")
send(CLEAN, "a@sender.test", "bad helo", helo="localhost")
m = stored("bad helo")
check(m is not None and b"HELO_NOT_FQDN(1)" in m and b"RDNS" not in m, "HELO localhost: HELO_NOT_FQDN(1)")

code, _, dcode, _ = send(CLEAN, "x@spammer.test", "rhsbl")
m = stored("rhsbl", "Junk")
check(dcode == 250 and m is not None, "sender domain in the RHSBL (weight 6 >= 5): delivered to Junk")
check(m is not None and b"X-Spam-Status: Yes, score=6 " in m and b"RHSBL_rhs.test(6)" in m, "X-Spam-Status: Yes with the RHSBL")
check(stored("rhsbl") is None, "not in the INBOX")

html = base64.b64encode(b'<p><a href="https://www.badlink.test/offer">click</a></p>').decode()
mime = ("MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n", 
        "--b1\r\nContent-Type: text/plain\r\n\r\nplain part, http://fine.test/\r\n"
        "--b1\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n" + html + "\r\n--b1--\r\n")
code, _, dcode, _ = send(CLEAN, "a@sender.test", "uribl", body=mime[1], headers=mime[0])
m = stored("uribl", "Junk")
check(dcode == 250 and m is not None and b"URIBL_uri.test(10)" in m, "link domain in the URIBL (base64 HTML part): Junk")

code, _, dcode, _ = send(CLEAN, "a@sender.test", "uribl-psl", body="see http://www.spam.co.uk/offer now\r\n")
m = stored("uribl-psl", "Junk")
check(dcode == 250 and m is not None and b"URIBL_uri.test(10)" in m,
      "a link under a two-label public suffix: its registered domain spam.co.uk is asked (Junk)")

code, _, dcode, dtext = send(CLEAN, "x@spammer.test", "reject", body=mime[1], headers=mime[0])
check(dcode == 550 and dtext.startswith("5.7.1"), f"RHSBL + URIBL = 16 >= 15: refused 550 5.7.1 ({dcode} {dtext})")
check(stored("reject") is None and stored("reject", "Junk") is None, "and not stored")
check(any("filter.verdict" in l and "action=reject" in l for l in inst.log().splitlines()), "the verdict is logged")
finish()
