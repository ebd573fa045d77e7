"""The account endpoints of the web console's API with curl, their answers and refusals:
password change (wrong current password, too short, then IMAP takes the new one and the other
browser sessions end), app passwords (created once with the account's SCRAM salt so IMAP
AUTHENTICATE SCRAM works with it, duplicate label 409, last use shown after a login, another
user's id 404), the second factor (wrong code, replayed code, missing code at sign-in, the
lockout after repeated wrong codes), the devices page's data (QR codes read back by zbarimg),
the Apple profile, the login history, and the pages' own headers."""
import base64
import hashlib
import hmac
import html
import json
import imaplib
import os
import re
import shutil
import ssl
import struct
import subprocess
import sys
import tempfile
import time

from hearth_test import Instance, check, finish, set_key

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weblib import Api, error_code  # noqa: E402

inst = Instance("demo@example.test", host=1)
# The wrong passwords and codes below are on purpose: no throttle delay (e.web_api tests it).
set_key(inst.config, "auth", "delay_after", "1000")
set_key(inst.config, "auth", "block_after", "1000")
bob_pw = "bob-account-password-1"
inst.cli(["user", "add", "bob@example.test", "--password-stdin"], input=bob_pw + "\n")
inst.start(wait_for="https")
api = Api(inst)
user, pw = inst.email, inst.password
ctx = ssl.create_default_context(cafile=inst.ca_file())


def imap_login(u, p, scram=False):
    m = imaplib.IMAP4_SSL(inst.addr, inst.port("imaps"), ssl_context=ctx, timeout=20)
    try:
        if scram:
            return scram_login(m, u, p)
        m.login(u, p)
        return True
    except imaplib.IMAP4.error:
        return False
    finally:
        try:
            m.logout()
        except Exception:
            pass


def scram_login(m, u, p):
    """AUTHENTICATE SCRAM-SHA-256 (RFC 7677), written out here: the server's proof is checked."""
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={u},r={nonce}"
    state = {}

    def step(challenge):
        if "server_first" not in state:
            sf = challenge.decode()
            state["server_first"] = sf
            f = dict(kv.split("=", 1) for kv in sf.split(","))
            salted = hashlib.pbkdf2_hmac("sha256", p.encode(), base64.b64decode(f["s"]), int(f["i"]))
            client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
            stored = hashlib.sha256(client_key).digest()
            without_proof = f"c=biws,r={f['r']}"
            auth_msg = f"{first_bare},{sf},{without_proof}".encode()
            sig = hmac.new(stored, auth_msg, hashlib.sha256).digest()
            proof = bytes(a ^ b for a, b in zip(client_key, sig))
            server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
            state["verifier"] = base64.b64encode(hmac.new(server_key, auth_msg, hashlib.sha256).digest()).decode()
            return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()
        state["server_final"] = challenge.decode()
        return b""

    first = [True]

    def auth(challenge):
        if first[0]:
            first[0] = False
            return ("n,," + first_bare).encode()
        return step(challenge)
    typ, _ = m.authenticate("SCRAM-SHA-256", auth)
    return typ == "OK" and state.get("server_final") == "v=" + state.get("verifier", "?")


def totp(secret_b32, at):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    o = mac[19] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 1000000)


def zbar(data_uri):
    """zbarimg's reading of a data:image/svg+xml QR code. The SVG's squares ("M x y h1v1h-1z")
    are drawn into a PGM here, so the decoder sees exactly the modules the server sent."""
    if not data_uri or not shutil.which("zbarimg"):
        return None
    svg = base64.b64decode(data_uri.split(",", 1)[1]).decode()
    n = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    dark = {(int(x), int(y)) for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", svg)}
    scale = 4
    rows = bytearray()
    for py in range(n * scale):
        for px in range(n * scale):
            rows.append(0 if (px // scale, py // scale) in dark else 255)
    with tempfile.TemporaryDirectory() as tmp:
        pgm = os.path.join(tmp, "q.pgm")
        with open(pgm, "wb") as f:
            f.write(b"P5\n%d %d\n255\n" % (n * scale, n * scale) + bytes(rows))
        cp = subprocess.run(["zbarimg", "--quiet", "--raw", pgm], capture_output=True, text=True, timeout=30)
        return cp.stdout.strip()


st, cookie, s = api.sign_in(user, pw)
csrf = s["csrf"]
st, cookie2, s2 = api.sign_in(user, pw)  # a second browser
st, bob, b = api.sign_in("bob@example.test", bob_pw)
bob_csrf = b["csrf"]

# --- password -----------------------------------------------------------------------------
st, h, body = api.request("POST", "/api/v1/account/password", {"current": "wrong", "new": "long-enough-password"}, cookie=cookie, csrf=csrf)
check(st == 403 and error_code(body) == "wrong_password", f"a wrong current password: 403 wrong_password ({st} {body})")
st, h, body = api.request("POST", "/api/v1/account/password", {"current": pw, "new": "short"}, cookie=cookie, csrf=csrf)
check(st == 400 and error_code(body) == "invalid", f"a short new password: 400 invalid ({st} {body})")
st, h, body = api.request("POST", "/api/v1/account/password", {"current": pw}, cookie=cookie, csrf=csrf)
check(st == 400 and error_code(body) == "invalid", f"no new password: 400 invalid ({st})")
new_pw = "the-new-password-from-api"
st, h, body = api.request("POST", "/api/v1/account/password", {"current": pw, "new": new_pw}, cookie=cookie, csrf=csrf)
check(st == 204, f"password changed: 204 ({st} {body})")
check(imap_login(user, new_pw) and not imap_login(user, pw), "IMAP takes the new password, not the old")
check(imap_login(user, new_pw, scram=True), "IMAP SCRAM-SHA-256 works with the new password (keys recomputed)")
check(api.request("GET", "/api/v1/account", cookie=cookie)[0] == 200, "this browser stays signed in")
check(api.request("GET", "/api/v1/account", cookie=cookie2)[0] == 401, "the other browser is signed out")
st, h, body = api.sign_in(user, pw)
check(st == 401, "the old password no longer signs in")

# --- app passwords --------------------------------------------------------------------------
st, h, body = api.request("POST", "/api/v1/account/app-passwords", {"label": "phone"}, cookie=cookie, csrf=csrf)
check(st == 201 and isinstance(body.get("id"), int) and len(body.get("password", "")) >= 16, f"created: 201 id+password ({st})")
app_id, app_pw = body.get("id"), body.get("password")
st, h, body = api.request("POST", "/api/v1/account/app-passwords", {"label": "phone"}, cookie=cookie, csrf=csrf)
check(st == 409 and error_code(body) == "exists", f"the same label again: 409 exists ({st})")
# "current", the account password asked again, is optional; when sent it must be right.
st, h, body = api.request("POST", "/api/v1/account/app-passwords", {"label": "tablet", "current": pw}, cookie=cookie, csrf=csrf)
check(st == 403 and error_code(body) == "wrong_password", f"a wrong current password: 403 wrong_password ({st} {body})")
st, h, body = api.request("POST", "/api/v1/account/app-passwords", {"label": "tablet", "current": ""}, cookie=cookie, csrf=csrf)
check(st == 403 and error_code(body) == "password_required", f"an empty current password: 403 password_required ({st} {body})")
st, h, body = api.request("POST", "/api/v1/account/app-passwords", {"label": "tablet", "current": new_pw}, cookie=cookie, csrf=csrf)
check(st == 201 and len(body.get("password", "")) >= 16, f"the right current password: 201 ({st})")
tablet_id = body.get("id")
st, h, body = api.request("DELETE", f"/api/v1/account/app-passwords/{tablet_id}", cookie=cookie, csrf=csrf)
check(st == 204, f"the tablet's app password revoked again ({st})")
st, h, body = api.request("POST", "/api/v1/account/app-passwords", {"label": ""}, cookie=cookie, csrf=csrf)
check(st == 400 and error_code(body) == "invalid", f"an empty label: 400 ({st})")
st, h, body = api.request("POST", "/api/v1/account/app-passwords", {"label": "x" * 65}, cookie=cookie, csrf=csrf)
check(st == 400 and error_code(body) == "invalid", f"a label over 64 octets: 400 ({st})")
st, h, body = api.request("GET", "/api/v1/account/app-passwords", cookie=cookie)
listed = body.get("app_passwords", []) if isinstance(body, dict) else []
check(len(listed) == 1 and listed[0]["label"] == "phone" and listed[0]["last_used"] is None and "password" not in listed[0],
      f"listed without the password, never used ({listed})")
check(imap_login(user, app_pw, scram=True), "IMAP SCRAM with the app password (the account's salt)")
st, h, body = api.request("GET", "/api/v1/account/app-passwords", cookie=cookie)
check(isinstance(body["app_passwords"][0]["last_used"], int), "its last use is shown after the login")
st, h, body = api.request("DELETE", f"/api/v1/account/app-passwords/{app_id}", cookie=bob, csrf=bob_csrf)
check(st == 404 and error_code(body) == "not_found", f"bob cannot revoke demo's app password: 404 ({st})")
check(imap_login(user, app_pw), "it still works after bob's try")
st, h, body = api.request("DELETE", f"/api/v1/account/app-passwords/{app_id}", cookie=cookie)
check(st == 403 and error_code(body) == "csrf", "revoke without CSRF: 403")
st, h, body = api.request("DELETE", f"/api/v1/account/app-passwords/{app_id}", cookie=cookie, csrf=csrf)
check(st == 204, f"revoked: 204 ({st})")
check(not imap_login(user, app_pw), "IMAP refuses the revoked app password")
st, h, body = api.request("DELETE", "/api/v1/account/app-passwords/999999", cookie=cookie, csrf=csrf)
check(st == 404, "an unknown id: 404")

# --- the second factor ------------------------------------------------------------------------
st, h, body = api.request("GET", "/api/v1/account/totp", cookie=bob)
check(st == 200 and body.get("enabled") is False, "bob has no second factor")
st, h, body = api.request("POST", "/api/v1/account/totp", cookie=bob, csrf=bob_csrf)
secret = body.get("secret", "") if isinstance(body, dict) else ""
check(st == 201 and len(secret) == 32 and body.get("uri", "").startswith("otpauth://totp/"), f"a pending secret ({st})")
read = zbar(body.get("qr"))
check(read == body.get("uri"), f"the QR code says the otpauth URI ({read})")
st, h, body = api.request("POST", "/api/v1/account/totp/confirm", {"code": "000000" if totp(secret, time.time()) != "000000" else "111111"},
                          cookie=bob, csrf=bob_csrf)
check(st == 400 and error_code(body) == "wrong_code", f"a wrong code does not turn it on ({st} {body})")
check(api.sign_in("bob@example.test", bob_pw)[0] == 200, "still off: the password alone signs in")
code_now = totp(secret, time.time())
st, h, body = api.request("POST", "/api/v1/account/totp/confirm", {"code": code_now}, cookie=bob, csrf=bob_csrf)
check(st == 204, f"the right code turns it on ({st} {body})")
st, c, body = api.sign_in("bob@example.test", bob_pw)
check(st == 401 and error_code(body) == "totp_required" and c is None, f"then the password alone: 401 totp_required ({st})")
st, c, body = api.sign_in("bob@example.test", bob_pw, totp=code_now)
check(st == 401 and error_code(body) == "totp_required", "a code already used is refused")
st, c, body = api.sign_in("bob@example.test", "wrong", totp=totp(secret, time.time() + 30))
check(st == 401 and error_code(body) == "login_failed", "a right code with a wrong password: login_failed")
fresh = totp(secret, time.time() + 30)
st, c, body = api.sign_in("bob@example.test", bob_pw, totp=fresh)
check(st == 200 and c, f"password and a fresh code sign in ({st})")
wrong = [api.sign_in("bob@example.test", bob_pw, totp="999999" if fresh != "999999" else "888888")[0] for _ in range(6)]
check(wrong[:5] == [401] * 5 and wrong[5] == 429, f"five wrong codes, then a lockout ({wrong})")
st, c, body = api.sign_in("bob@example.test", bob_pw, totp=totp(secret, time.time() + 30))
check(st == 429 and error_code(body) == "blocked", "during the lockout even a right code waits")
st, h, body = api.request("DELETE", "/api/v1/account/totp", cookie=bob, csrf=bob_csrf)
check(st == 403 and error_code(body) == "password_required", f"turning it off asks for the password ({st} {body})")
st, h, body = api.request("POST", "/api/v1/account/totp", cookie=bob, csrf=bob_csrf)
check(st == 403 and error_code(body) == "password_required", f"so does replacing its secret while it is on ({st})")
st, h, body = api.request("DELETE", "/api/v1/account/totp", {"password": "not bob's"}, cookie=bob, csrf=bob_csrf)
check(st == 403 and error_code(body) == "wrong_password", f"a wrong password does not turn it off ({st} {body})")
st, h, body = api.request("GET", "/api/v1/account/totp", cookie=bob)
check(st == 200 and body.get("enabled") is True, "it is still on")
st, h, body = api.request("DELETE", "/api/v1/account/totp", {"password": bob_pw}, cookie=bob, csrf=bob_csrf)
check(st == 204 and api.sign_in("bob@example.test", bob_pw)[0] == 200, "turned off with the password: the password alone again")

# --- devices, the Apple profile, the login history --------------------------------------------
st, h, body = api.request("GET", "/api/v1/account/devices", cookie=cookie)
check(st == 200 and body.get("address") == user and body.get("imaps_port") == inst.port("imaps")
      and body.get("submission_port") == inst.port("submission"), f"device settings with this server's ports ({st})")
check(zbar(body.get("xmpp_qr")) == f"xmpp:{user}", "the Conversations QR code says xmpp:ADDRESS")
check(zbar(body.get("davx5_qr")) == body.get("davx5_uri") ==
      f"caldavs://demo%40example.test@{inst.hostname}:{inst.port('https')}/dav/", f"the DAVx5 QR code says its caldavs:// URI ({body.get('davx5_uri')})")
st, h, body = api.request("GET", "/api/v1/account/apple.mobileconfig", cookie=cookie)
check(st == 200 and h.get("content-type") == ["application/x-apple-aspen-config"] and isinstance(body, str)
      and f"<string>{user}</string>" in body and new_pw not in body, f"the Apple profile for the account, no password ({st})")
check(api.request("GET", "/api/v1/account/apple.mobileconfig")[0] == 401, "not without a session")
st, h, body = api.request("GET", "/api/v1/account/logins", cookie=cookie)
check(st == 200 and any(e["event"] == "failed" and e["proto"] == "web" for e in body.get("events", []))
      and body.get("addresses"), f"the login history shows the failed web sign-in ({st})")
st, h, body = api.request("GET", "/api/v1/account/logins", cookie=bob)
check(st == 200 and not any(e["proto"] == "imap" for e in body.get("events", [])), "bob's history is bob's only")

# --- vacation reply and filters, through the Sieve store ManageSieve uses --------------------
st, h, body = api.request("GET", "/api/v1/account/sieve", cookie=cookie)
check(st == 200 and body.get("available") is True and body["form"]["vacation"] is False and body.get("other_script") is None,
      f"no rules yet ({st} {body})")
foreign = os.path.join(inst.dir, "mine.sieve")
with open(foreign, "w") as f:
    f.write('require "fileinto";\r\nif header :contains "subject" "zzz" { fileinto "Z"; }\r\n')
inst.cli(["sieve", "put", user, "mine", foreign, "--activate"])
st, h, body = api.request("GET", "/api/v1/account/sieve", cookie=cookie)
check(body.get("other_script") == "mine", f"another program's active script is reported ({body})")
form = {"vacation": True, "subject": "Away", "message": "I am away until Monday.", "days": 1,
        "filters": [{"field": "subject", "contains": "[news]", "folder": "News"}]}
st, h, body = api.request("PUT", "/api/v1/account/sieve", form, cookie=cookie, csrf=csrf)
check(st == 409 and error_code(body) == "sieve_in_use", f"it is not replaced unasked: 409 sieve_in_use ({st})")
st, h, body = api.request("PUT", "/api/v1/account/sieve", {**form, "vacation": True, "message": ""}, cookie=cookie, csrf=csrf)
check(st == 400 and error_code(body) == "invalid", f"a vacation without a message: 400 ({st})")
st, h, body = api.request("PUT", "/api/v1/account/sieve", {**form, "replace": True}, cookie=cookie, csrf=csrf)
check(st == 200 and body["form"]["filters"][0]["folder"] == "News", f"saved with replace: true ({st} {body})")
listed = inst.cli(["sieve", "list", user]).stdout
check("web-console" in listed and "mine" in listed, f"the script is in the store ManageSieve serves ({listed.strip()})")
st, h, body = api.request("GET", "/api/v1/account/sieve", cookie=cookie)
check(body.get("form") == {**form, "days": 1} and body.get("other_script") is None, "the form reads back as saved")


def bob_sends(subject):
    import smtplib
    with smtplib.SMTP(inst.addr, inst.port("submission"), local_hostname="client.test", timeout=20) as smtp:
        smtp.starttls(context=ctx)
        smtp.login("bob@example.test", bob_pw)
        smtp.sendmail("bob@example.test", [user], f"From: bob@example.test\r\nTo: {user}\r\nSubject: {subject}\r\n"
                      f"Message-ID: <{subject.replace(' ', '.')}@client.test>\r\n\r\nhello\r\n")


def count(u, p, folder, text):
    m = imaplib.IMAP4_SSL(inst.addr, inst.port("imaps"), ssl_context=ctx, timeout=20)
    try:
        m.login(u, p)
        typ, _ = m.select(f'"{folder}"', readonly=True)
        if typ != "OK":
            return 0
        typ, data = m.search(None, "SUBJECT", f'"{text}"')
        return len(data[0].split()) if typ == "OK" else 0
    finally:
        m.logout()


bob_sends("[news] weekly letter")
deadline = time.monotonic() + 15
while time.monotonic() < deadline and count("bob@example.test", bob_pw, "INBOX", "Away") == 0:
    time.sleep(0.3)
check(count(user, new_pw, "News", "[news] weekly letter") == 1, "the filter filed bob's message into News")
check(count("bob@example.test", bob_pw, "INBOX", "Away") == 1, "bob got the vacation reply")

# --- storage and spam training counts ----------------------------------------------------------
st, h, body = api.request("GET", "/api/v1/account", cookie=cookie)
check(body.get("used_bytes", 0) > 0, f"storage use counts the delivered mail ({body.get('used_bytes')})")
before = body.get("spam_trained")
inst.cli(["spam", "train", "--user", user, "--spam", "News"])
st, h, body = api.request("GET", "/api/v1/account", cookie=cookie)
check(before == {"spam": 0, "ham": 0} and body.get("spam_trained") == {"spam": 1, "ham": 0},
      f"spam training counts: {before} then {body.get('spam_trained')}")

# --- the pages' own answers --------------------------------------------------------------------
st, h, body = api.request("GET", "/")
app_url = re.search(r'<script type="module" src="(/web/app\.js\?v=[0-9a-f]+)">', body or "")
check(st == 200 and "text/html" in h.get("content-type", [""])[0] and app_url
      and "<script>" not in body, "the shell page: no inline script; app.js by its versioned URL")
check(h.get("cache-control") == ["no-store"] and '<meta name="hearth-session" content="">' in body,
      "signed out: the shell says so, and is never stored")
check(body.count("<script") == 1 and "modulepreload" not in body, "the shell loads one script (the build's bundle), nothing else")
st, h, fr_shell = api.request("GET", "/", headers=["Accept-Language: fr-CH, fr;q=0.9, en;q=0.8"])
check(re.search(r'<link rel="modulepreload" href="/web/i18n/fr\.js\?v=[0-9a-f]+">', fr_shell or ""),
      "a browser asking for French first: the shell names the French strings (modulepreload)")
st, h, en_shell = api.request("GET", "/", headers=["Accept-Language: en-US, fr;q=0.5"])
check("modulepreload" not in (en_shell or "x modulepreload"), "asking for English first: no other language preloaded")
st2, h2, signed = api.request("GET", "/", cookie=cookie)
m = re.search(r'<meta name="hearth-session" content="([^"]*)">', signed or "")
shown = json.loads(html.unescape(m.group(1))) if m and m.group(1) else {}
check(shown.get("address") == user and shown.get("csrf") and "expires" in shown,
      f"signed in: the shell carries the session answer, so the page needs no round trip ({shown})")
if app_url:
    st, h, js = api.request("GET", app_url.group(1), headers=["Accept-Encoding: gzip"])
    check(st == 200 and "immutable" in h.get("cache-control", [""])[0] and h.get("content-encoding") == ["gzip"],
          f"a versioned file: cached for good, gzip-compressed ({h.get('cache-control')}, {h.get('content-encoding')})")
    st, h, js = api.request("GET", "/web/app.js?v=0000")
    check(st == 200 and h.get("cache-control") == ["no-cache"], "an outdated version: revalidated, not cached for good")
check("frame-ancestors 'none'" in h.get("content-security-policy", [""])[0] and h.get("x-frame-options") == ["DENY"]
      and h.get("strict-transport-security"), "the shell page carries CSP, X-Frame-Options and HSTS")
st, h, body = api.request("GET", "/web/pages.json")
check(st == 200 and {"signin", "account", "app-passwords", "security", "devices"} <= set(body), f"pages.json lists the pages ({body})")
st, h, body = api.request("GET", "/web/app.js")
etag = h.get("etag", [""])[0]
check(st == 200 and "javascript" in h.get("content-type", [""])[0] and etag, "app.js with an ETag")
check(api.request("GET", "/web/app.js", headers=[f"If-None-Match: {etag}"])[0] == 304, "revalidation: 304")
check(api.request("GET", "/web/../hearth.toml")[0] in (400, 404), "no path out of the assets")
check(api.request("GET", "/web/nope.js")[0] == 404, "an unknown asset: 404")
keys = {}
for lang in ("en", "fr"):
    st, h, body = api.request("GET", f"/web/i18n/{lang}.js")
    keys[lang] = set(re.findall(r"^\s*'([\w.]+)':", body, re.M)) if st == 200 else set()
check(len(keys["en"]) > 50 and keys["en"] == keys["fr"], f"the French strings have every English key ({keys['en'] ^ keys['fr']})")
finish()
