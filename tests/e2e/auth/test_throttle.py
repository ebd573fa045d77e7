"""A stranger guessing a user's password must not lock the user out.

A brute force from NET.2 (IMAP, SMTP submission, XMPP and DAV) blocks that address and the
account's count, while the user, who logged in from NET.3 before, keeps logging in over every
protocol without delay; a fresh address NET.5 is slowed, not refused; NET.2 is refused even with
the right password. The known address is kept in the database: after a restart a second brute
force (from NET.4) still does not lock NET.3 out. `hearth user logins` shows the history."""
import base64
import http.client
import imaplib
import smtplib
import socket
import ssl
import sys
import os
import time

from hearth_test import NET, Instance, check, finish, set_key

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "xmpp"))
from xmpp_util import Raw  # noqa: E402

ATTACKER, USER, ATTACKER2, FRESH = f"{NET}.2", f"{NET}.3", f"{NET}.4", f"{NET}.5"

inst = Instance("demo@example.test", host=1)
# No progressive delay in the test (it would only make it slow): block after 10 failures.
set_key(inst.config, "auth", "delay_after", "1000")
set_key(inst.config, "auth", "block_after", "10")
inst.start()
user, password = inst.email, inst.password
ctx = ssl.create_default_context(cafile=inst.ca_file())


def imap_login(src, pw):
    """'ok', 'failed' or 'blocked' (NO [UNAVAILABLE]) for IMAP LOGIN over 993 from src."""
    class C(imaplib.IMAP4_SSL):
        def _create_socket(self, timeout):
            s = socket.create_connection((self.host, self.port), timeout, source_address=(src, 0))
            return self.ssl_context.wrap_socket(s, server_hostname=inst.hostname)
    m = C(inst.addr, inst.port("imaps"), ssl_context=ctx, timeout=30)
    try:
        m.login(user, pw)
        m.logout()
        return "ok"
    except imaplib.IMAP4.error as e:
        return "blocked" if "UNAVAILABLE" in str(e) else "failed"


def smtp_login(src, pw):
    """'ok', 'failed' (535) or 'blocked' (454) for AUTH PLAIN on 587 after STARTTLS."""
    s = smtplib.SMTP(inst.addr, inst.port("submission"), source_address=(src, 0), timeout=30)
    try:
        s.starttls(context=ctx)
        s.ehlo()
        # One mechanism: smtplib's login() would try LOGIN after a failed PLAIN (two guesses).
        s.user, s.password = user, pw
        s.auth("PLAIN", s.auth_plain)
        return "ok"
    except smtplib.SMTPAuthenticationError as e:
        return "blocked" if e.smtp_code == 454 else "failed"
    finally:
        try:
            s.quit()
        except smtplib.SMTPException:
            pass


def xmpp_login(src, pw):
    """'ok', 'failed' (not-authorized) or 'blocked' (temporary-auth-failure) over 5222."""
    r = Raw(inst, source=src, timeout=30)
    try:
        r.starttls()
        cred = base64.b64encode(f"\0{user}\0{pw}".encode()).decode()
        r.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{cred}</auth>")
        out, deadline = "", time.monotonic() + 30
        while "success" not in out and "</failure>" not in out and time.monotonic() < deadline:
            chunk = r.sock.recv(4096)
            if not chunk:
                break
            out += chunk.decode(errors="replace")
        if "<success" in out:
            return "ok"
        return "blocked" if "temporary-auth-failure" in out else "failed"
    finally:
        r.close()


def dav_login(src, pw):
    """'ok' (207), 'failed' (401) or 'blocked' (429) for a PROPFIND with Basic credentials."""
    raw = socket.create_connection((inst.addr, inst.port("https")), 30, source_address=(src, 0))
    c = http.client.HTTPSConnection(inst.hostname, inst.port("https"), context=ctx, timeout=30)
    c.sock = ctx.wrap_socket(raw, server_hostname=inst.hostname)
    try:
        auth = base64.b64encode(f"{user}:{pw}".encode()).decode()
        c.request("PROPFIND", f"/dav/principals/{user}/", body="",
                  headers={"Depth": "0", "Authorization": f"Basic {auth}"})
        st = c.getresponse().status
        return {207: "ok", 401: "failed", 429: "blocked"}.get(st, f"status {st}")
    finally:
        c.close()


protocols = {"imap": imap_login, "smtp": smtp_login, "xmpp": xmpp_login, "dav": dav_login}

# The user has logged in from USER before (IMAP is enough: the history is per account).
check(imap_login(USER, password) == "ok", "user logs in from its usual address")

# The brute force: ten wrong passwords from ATTACKER, spread over the protocols.
order = ["imap", "smtp", "xmpp", "dav"] * 3
results = [protocols[p](ATTACKER, f"guess-{i}") for i, p in enumerate(order[:10])]
check(results == ["failed"] * 10, f"ten guesses fail ({results})")

for name, login in protocols.items():
    got = login(ATTACKER, password)
    check(got == "blocked", f"{name}: the guessing address is refused even with the right password ({got})")
for name, login in protocols.items():
    t0 = time.monotonic()
    got = login(USER, password)
    took = time.monotonic() - t0
    check(got == "ok" and took < 3, f"{name}: the user's known address still logs in, undelayed ({got}, {took:.1f} s)")

# An address that never logged in and never failed is slowed down, not refused.
t0 = time.monotonic()
got = imap_login(FRESH, password)
took = time.monotonic() - t0
check(got == "ok" and took >= 7, f"a fresh address logs in after the longest delay ({got}, {took:.1f} s)")

log = inst.log()
check("auth.block" in log and "scope=ip,account" in log, "the start of the block is logged with its scope")
check("auth.known_address" in log and f"ip={USER}" in log, "the known address let through is logged")

# Known addresses survive a restart (the in-memory counts do not).
rc, _ = inst.stop()
check(rc == 0, "server stopped")
inst.start()
results = [protocols[p](ATTACKER2, f"again-{i}") for i, p in enumerate(order[:10])]
check(results == ["failed"] * 10, "a second brute force after the restart")
check(imap_login(ATTACKER2, password) == "blocked", "the second guessing address is refused")
check(smtp_login(USER, password) == "ok", "after a restart the user's address is still known")

out = inst.cli(["user", "logins", user]).stdout
lines = out.splitlines()
check(any(l.startswith(f"known {USER}\t") for l in lines), "user logins lists the known address")
check(not any(l.startswith(f"known {ATTACKER}") for l in lines), "the guessing address is not known")
failed = [l for l in lines if "\tfailed\t" in l and l.endswith(ATTACKER)]
check(len(failed) == 10, f"user logins lists the ten failures from {ATTACKER} ({len(failed)})")
check({l.split("\t")[2] for l in failed} == {"imap", "smtp", "xmpp", "http"}, "each with its protocol")
check(any("\tblocked_account\t" in l for l in lines) and any("\tblocked_ip\t" in l for l in lines),
      "user logins lists the blocks")
rc, _ = inst.stop()
check(rc == 0, "server stopped cleanly")
finish()
