"""The web console's pages in Debian's headless Chromium (playwright-core from npm), checked
with real clients: sign in; change the password, then IMAP (imaplib) and XMPP (slixmpp) log
in with the new one and not the old; create an app password and send over SMTP submission
with it; revoke it and see SMTP refuse it; turn on two-step sign-in from its QR page and sign
in with a code the test computes (RFC 6238); the keyboard reaches the sign-in button; no
script error on any page; each page loads one script. Screenshots of every page (desktop and phone widths, where each page must fit the width) are kept in
console-artifacts/ beside the test's working directory."""
import asyncio
import base64
import hashlib
import hmac
import imaplib
import os
import shutil
import smtplib
import ssl
import struct
import subprocess
import sys
import tempfile
import time

from hearth_test import Instance, check, finish, set_key

HERE = os.path.dirname(os.path.abspath(__file__))
NPM = os.environ.get("HEARTH_NPM_DIR", "/var/cache/hearth/npm")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if not os.path.isdir(os.path.join(NPM, "node_modules", "playwright-core")) or not os.path.exists(CHROMIUM) \
        or not shutil.which("certutil"):
    print(f"SKIP: needs playwright-core in {NPM} (scripts/setup.sh installs it), {CHROMIUM} and certutil")
    sys.exit(77)
sys.path.insert(0, os.path.join(HERE, "..", "xmpp"))
import slixmpp  # noqa: E402,F401
from xmpp_util import login as xmpp_login  # noqa: E402

inst = Instance("demo@example.test", host=1)
# The wrong passwords below are on purpose: no throttle delay (e2e.web_api tests the throttle).
set_key(inst.config, "auth", "delay_after", "1000")
inst.start(wait_for="https")
user, old_pw = inst.email, inst.password
new_pw = "a-new-web-password-42"
ctx = ssl.create_default_context(cafile=inst.ca_file())
base = f"https://{inst.hostname}:{inst.port('https')}"

# Chromium trusts the dev CA through a throw-away NSS database in its HOME.
home = tempfile.mkdtemp(prefix="console-home-")
nss = os.path.join(home, ".pki", "nssdb")
os.makedirs(nss)
subprocess.run(["certutil", "-d", f"sql:{nss}", "-N", "--empty-password"], check=True)
subprocess.run(["certutil", "-d", f"sql:{nss}", "-A", "-t", "C,,", "-n", "hearth-dev-ca", "-i", inst.ca_file()], check=True)
art = os.path.join(os.getcwd(), "console-artifacts")
shutil.rmtree(art, ignore_errors=True)
os.makedirs(art)


class Browser:
    def __init__(self, width=1000, height=800):
        env = dict(os.environ, HOME=home, HEARTH_NPM_DIR=NPM, CHROMIUM=CHROMIUM, VIEW_W=str(width), VIEW_H=str(height),
                   HOST_RULES=f"MAP {inst.hostname} {inst.addr}")
        self.p = subprocess.Popen(["node", os.path.join(HERE, "console_client.mjs"), base, art], env=env, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def do(self, *words):
        self.p.stdin.write(" ".join(words) + "\n")
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline()
            if not line:
                return "error: the browser driver ended"
            line = line.rstrip("\n")
            if line.startswith(("ok", "value ", "error:")):
                return line
            print("node:", line)

    def value(self, *words):
        out = self.do(*words)
        return out[len("value "):] if out.startswith("value ") else None

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            self.p.wait(timeout=20)
        except Exception:
            self.p.kill()


def imap_ok(pw):
    try:
        m = imaplib.IMAP4_SSL(inst.addr, inst.port("imaps"), ssl_context=ctx, timeout=20)
    except OSError as e:
        return f"connect: {e}"
    try:
        m.login(user, pw)
        m.logout()
        return True
    except imaplib.IMAP4.error:
        return False


loop = asyncio.new_event_loop()


def xmpp_ok(pw):
    async def go():
        try:
            c = await xmpp_login(inst, user, pw, presence=False, roster=False, timeout=10)
        except RuntimeError:
            return False
        c.disconnect()
        await asyncio.sleep(0.2)
        return True
    return loop.run_until_complete(go())


def smtp_send(pw, token):
    """'sent', 'refused' (535) or an error text: submission on 587 with STARTTLS."""
    try:
        with smtplib.SMTP(inst.addr, inst.port("submission"), local_hostname="client.test", timeout=20) as s:
            s.starttls(context=ctx)
            s.login(user, pw)
            s.sendmail(user, [user], f"From: {user}\r\nTo: {user}\r\nSubject: {token}\r\n\r\nsent with an app password\r\n")
        return "sent"
    except smtplib.SMTPAuthenticationError:
        return "refused"
    except (smtplib.SMTPException, OSError) as e:
        return f"error {e}"


def totp_now(secret_b32, at=None):
    """RFC 6238 with HMAC-SHA-1, 30 s, 6 digits, written here from the RFC (not the server's)."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((at or time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[19] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 1000000)


b = Browser()
try:
    check(b.do("tab_to_submit").startswith("ok"), "the keyboard alone reaches the sign-in button")
    b.do("shot", "signin")
    shown = b.value("signin_refused", user, "not-the-password")
    check(shown == "Wrong address or password.", f"a wrong password is refused on the page ({shown})")
    b.do("shot", "signin-refused")
    out = b.do("signin", user, old_pw)
    check(out == f"ok {user}", f"sign in with the account password ({out})")
    for page in ("account", "app-passwords", "security", "rules", "devices"):
        out = b.do("visit", page)
        check(out.startswith("ok"), f"page {page} shows ({out})")
        # One script for any page (the build's bundle): each further module costs the browser
        # a request and a link step, which made pages slow.
        scripts = b.value("scripts")
        check(scripts == '["/web/app.js"]', f"page {page} loads one script ({scripts})")
        b.do("shot", page)

    # --- the vacation form writes the Sieve script ManageSieve serves -------------------------
    shown = b.value("vacation", "Away-until-Monday")
    check(shown is not None and shown.startswith("Saved"), f"the rules page saves ({shown})")
    b.do("shot", "rules-saved")
    script = inst.cli(["sieve", "get", user, "web-console"], check_rc=False).stdout
    check('vacation :days 1 "Away-until-Monday";' in script and 'fileinto :create "Bills"' in script,
          f"the script in the store has the reply and the filter ({script[-200:]!r})")

    # --- the password, for every protocol at once --------------------------------------------
    msg = b.value("password", old_pw, new_pw)
    check(msg is not None and msg.startswith("Password changed"), f"the page changes the password ({msg})")
    check(imap_ok(new_pw) is True and imap_ok(old_pw) is False, "IMAP: the new password logs in, the old one not")
    check(xmpp_ok(new_pw) is True and xmpp_ok(old_pw) is False, "XMPP: the new password logs in, the old one not")

    # --- an app password for submission, then revoked ----------------------------------------
    # The page asks for the account password again before it makes one.
    shown = b.value("app_password", "laptop", old_pw)
    check(shown == "refused: The current password is wrong.", f"the page refuses a wrong account password ({shown})")
    app_pw = b.value("app_password", "laptop", new_pw)
    check(app_pw is not None and len(app_pw) >= 16, "the page shows a new app password once")
    b.do("shot", "app-password-created")
    got = smtp_send(app_pw, "web-app-password") if app_pw else "none"
    check(got == "sent", f"SMTP submission with the app password ({got})")
    check(b.do("revoke", "laptop") == "ok", "the page revokes it")
    got = smtp_send(app_pw, "after-revoke") if app_pw else "none"
    check(got == "refused", f"SMTP refuses the revoked app password ({got})")
    b.do("shot", "app-password-revoked")

    # --- two-step sign-in ----------------------------------------------------------------------
    secret = b.value("totp_start")
    check(secret is not None and len(secret) == 32, f"the page shows the secret beside the QR code ({secret})")
    b.do("shot", "totp-qr")
    if secret:
        check(b.do("totp_confirm", totp_now(secret)) == "ok", "a code computed by the test turns two-step sign-in on")
        b.do("shot", "totp-on")
        check(b.do("signout") == "ok", "sign out")
        # A code is accepted once, and the server allows one step of clock drift: the next
        # step's code is fresh without waiting for it.
        out = b.do("signin", user, new_pw, totp_now(secret, time.time() + 30))
        check(out == f"ok {user}", f"sign in with the password and a fresh code ({out})")
        # Turning it off asks for the password again: a wrong one leaves it on.
        out = b.do("totp_disable", "not-the-password")
        check(out.startswith("error:"), f"a wrong password does not turn two-step sign-in off ({out})")
        b.do("shot", "totp-off-refused")
        check(b.do("totp_disable", new_pw) == "ok", "the right password turns it off")
        check(b.do("signout") == "ok", "sign out")
        out = b.do("signin", user, new_pw)
        check(out == f"ok {user}", f"then the password alone signs in ({out})")
    # --- the same pages on a phone-sized screen ----------------------------------------------
    b.do("viewport", "390", "844")
    for page in ("account", "app-passwords", "security", "rules", "devices"):
        b.do("visit", page)
        fits = b.do("fits")
        check(fits == "ok", f"phone: {page} fits the screen's width ({fits})")
        b.do("shot", "phone-" + page)
    # --- a browser that prefers French gets the French strings ------------------------------
    b.do("signout")
    shown = b.value("french")
    check(shown == "Connexion | fr | preloaded", f"French from the browser's language, its strings preloaded by the shell ({shown})")
    b.do("shot", "phone-signin-fr")
    problems = b.value("problems")
    check(problems == "[]", f"no script error or CSP violation on any page ({problems})")
finally:
    b.close()

shots = sorted(os.listdir(art))
check(all(f"{p}.png" in shots for p in ("signin", "account", "app-passwords", "security", "rules", "devices", "totp-qr")),
      f"screenshots kept in {art}: {shots}")
log = inst.log()
check("web.password" in log and "web.totp" in log and "event=enabled" in log, "the changes are logged")
shutil.rmtree(home, ignore_errors=True)
finish()
