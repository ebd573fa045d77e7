"""The web console's API (/api/v1) with curl: the refusals every endpoint shares (no session:
401, a missing or wrong CSRF token: 403, bad JSON: 400, a body that is not JSON: 415, too
large: 413, unknown path: 404, wrong method: 405, all in the {"error":{"code","message"}}
shape), sign-in (only the account password: an app password is refused), the cookie's
attributes, the security headers on every answer, sign-out and "log out everywhere", one
user's cookie never reading another's account, nothing over plain HTTP, the admin flag set
by `hearth user admin`, and the login throttle shared with IMAP in both directions."""
import imaplib
import os
import socket
import ssl
import sys

from hearth_test import NET, Instance, check, finish, set_key

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weblib import Api, error_code  # noqa: E402

inst = Instance("demo@example.test", host=1)
set_key(inst.config, "auth", "delay_after", "1000")  # no progressive delay: only the block
set_key(inst.config, "auth", "block_after", "10")
bob_pw, carol_pw = "bob-web-password-1", "carol-web-password-1"
inst.cli(["user", "add", "bob@example.test", "--password-stdin"], input=bob_pw + "\n")
inst.cli(["user", "add", "carol@example.test", "--password-stdin"], input=carol_pw + "\n")
app_pw = [l.split(":", 1)[1].strip() for l in inst.cli(["user", "app-password", "add", "bob@example.test", "phone"]).stdout.splitlines()
          if l.startswith("password:")][0]
inst.start(wait_for="https")
api = Api(inst)
demo, demo_pw = inst.email, inst.password

# --- refusals before any session ------------------------------------------------------------
st, h, body = api.request("GET", "/api/v1/account")
check(st == 401 and error_code(body) == "unauthenticated", f"no session: 401 unauthenticated ({st} {body})")
check(isinstance(body["error"].get("message"), str) and body["error"]["message"], "the error has a message")
st, h, body = api.request("POST", "/api/v1/session", raw='{"address": "demo@example.test", "password": ')
check(st == 400 and error_code(body) == "bad_json", f"bad JSON: 400 bad_json ({st} {body})")
st, h, body = api.request("POST", "/api/v1/session", raw="address=a&password=b", ctype="application/x-www-form-urlencoded")
check(st == 415 and error_code(body) == "unsupported_media_type", f"a form post: 415 ({st} {body})")
st, h, body = api.request("POST", "/api/v1/session", raw='{"a":"' + "x" * 70000 + '"}')
check(st == 413 and error_code(body) == "too_large", f"a body over the limit: 413 too_large ({st} {body})")
st, h, body = api.request("POST", "/api/v1/session", {"address": demo})
check(st == 400 and error_code(body) == "invalid", f"no password: 400 invalid ({st} {body})")
st, h, body = api.request("GET", "/api/v1/no-such-thing")
check(st == 404 and error_code(body) == "not_found", f"unknown endpoint: 404 not_found ({st} {body})")
st, h, body = api.request("PUT", "/api/v1/account", {})
check(st == 405 and error_code(body) == "method_not_allowed" and "GET" in h.get("allow", [""])[0],
      f"wrong method: 405 with Allow ({st} {h.get('allow')})")

# --- security headers, on an error too ------------------------------------------------------
csp = h.get("content-security-policy", [""])[0]
check("script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp,
      f"CSP without inline script, no framing ({csp})")
check(h.get("x-frame-options") == ["DENY"], "X-Frame-Options: DENY")
check(h.get("referrer-policy") == ["no-referrer"], "Referrer-Policy: no-referrer")
check(h.get("strict-transport-security", [""])[0].startswith("max-age="), "HSTS")
check(h.get("x-content-type-options") == ["nosniff"], "nosniff")

# --- sign-in ----------------------------------------------------------------------------------
st, cookie, body = api.sign_in(demo, "wrong password")
check(st == 401 and cookie is None and error_code(body) == "login_failed", f"wrong password: 401 login_failed ({st})")
st, cookie, body = api.sign_in("bob@example.test", app_pw)
check(st == 401 and cookie is None and error_code(body) == "login_failed", f"an app password cannot sign in ({st} {body})")
st, h, body = api.request("POST", "/api/v1/session", {"address": demo, "password": demo_pw})
set_cookie = h.get("set-cookie", [""])[0]
check(st == 200 and isinstance(body, dict) and len(body.get("csrf", "")) >= 32, f"sign-in: 200 with a CSRF token ({st} {body})")
check(set_cookie.startswith("__Host-hearth=") and all(a in set_cookie for a in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=")),
      f"cookie is __Host-, Secure, HttpOnly, SameSite=Strict, expiring ({set_cookie})")
cookie, csrf = set_cookie.split(";", 1)[0], body["csrf"]
check(body.get("address") == demo and body.get("admin") is False, "the answer names the account, not an admin")

st, h, body = api.request("GET", "/api/v1/account", cookie=cookie)
check(st == 200 and body.get("address") == demo and body.get("domain") == "example.test", f"GET /api/v1/account ({st} {body})")
st, h, body = api.request("GET", "/api/v1/session", cookie=cookie)
check(st == 200 and body.get("csrf") == csrf, "GET /api/v1/session gives the page its CSRF token back")
st, h, body = api.request("GET", "/api/v1/account", cookie="__Host-hearth=" + "A" * 43)
check(st == 401, f"a made-up cookie: 401 ({st})")

# --- CSRF on state changes --------------------------------------------------------------------
st, h, body = api.request("DELETE", "/api/v1/session", cookie=cookie)
check(st == 403 and error_code(body) == "csrf", f"sign-out without X-CSRF-Token: 403 csrf ({st} {body})")
st, h, body = api.request("DELETE", "/api/v1/session", cookie=cookie, csrf="x" * len(csrf))
check(st == 403 and error_code(body) == "csrf", f"with a wrong token: 403 csrf ({st})")
st, h, body = api.request("GET", "/api/v1/account", cookie=cookie)
check(st == 200, "the refused sign-out left the session alive")

# --- one user's cookie reads only its own account --------------------------------------------
st, bob_cookie, body = api.sign_in("bob@example.test", bob_pw)
bob_csrf = body.get("csrf") if isinstance(body, dict) else None
st, h, body = api.request("GET", "/api/v1/account", cookie=bob_cookie)
check(st == 200 and body.get("address") == "bob@example.test", "bob's cookie reads bob's account")
st, h, body = api.request("GET", "/api/v1/account", cookie=bob_cookie + "; " + cookie)
check(st == 200 and body.get("address") == "bob@example.test", "two cookies: the first one decides, never a mix")
st, h, body = api.request("DELETE", "/api/v1/session", cookie=bob_cookie, csrf=csrf)
check(st == 403 and error_code(body) == "csrf", "demo's CSRF token does not work with bob's cookie")

# --- the admin flag ----------------------------------------------------------------------------
out = inst.cli(["user", "admin", demo, "on"]).stdout
st, h, body = api.request("GET", "/api/v1/session", cookie=cookie)
check(body.get("admin") is True, f"`hearth user admin ... on` shows at once ({out.strip()}, {body})")
inst.cli(["user", "admin", demo, "off"])
st, h, body = api.request("GET", "/api/v1/account", cookie=cookie)
check(body.get("admin") is False, "and off again")
cp = inst.cli(["user", "admin", demo, "maybe"], check_rc=False)
check(cp.returncode != 0, "`user admin` takes only on|off")

# --- sign-out, and log out everywhere ----------------------------------------------------------
st, h, body = api.request("DELETE", "/api/v1/session", cookie=cookie, csrf=csrf)
check(st == 204 and "Max-Age=0" in h.get("set-cookie", [""])[0], f"sign-out: 204, cookie cleared ({st})")
st, h, body = api.request("GET", "/api/v1/account", cookie=cookie)
check(st == 401, "the old cookie no longer works")
st, bob2, body = api.sign_in("bob@example.test", bob_pw)
st, h, body = api.request("DELETE", "/api/v1/sessions", cookie=bob_cookie, csrf=bob_csrf)
check(st == 204, f"log out everywhere: 204 ({st} {body})")
check(api.request("GET", "/api/v1/account", cookie=bob_cookie)[0] == 401 and
      api.request("GET", "/api/v1/account", cookie=bob2)[0] == 401, "both of bob's browsers are signed out")

# --- nothing over plain HTTP --------------------------------------------------------------------
with socket.create_connection((inst.addr, inst.port("https")), timeout=10) as s:
    s.sendall(f"GET /api/v1/account HTTP/1.1\r\nHost: {inst.hostname}\r\n\r\n".encode())
    try:
        got = s.recv(100)
    except (ConnectionResetError, socket.timeout):
        got = b""
check(not got.startswith(b"HTTP/"), f"plain HTTP gets no answer ({got[:40]!r})")

# --- the login throttle is shared with IMAP, both ways ------------------------------------------
ctx = ssl.create_default_context(cafile=inst.ca_file())


def imap_login(src, user, pw):
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


A, B = f"{NET}.2", f"{NET}.3"
fails = [imap_login(A, "carol@example.test", f"guess-{i}") for i in range(10)]
check(fails == ["failed"] * 10, f"ten IMAP guesses fail ({fails})")
st, h, body = api.request("POST", "/api/v1/session", {"address": "carol@example.test", "password": carol_pw}, source=A)
check(st == 429 and error_code(body) == "blocked", f"then the web refuses the right password from that address ({st} {body})")
webfails = [api.request("POST", "/api/v1/session", {"address": demo, "password": f"g{i}"}, source=B)[0] for i in range(10)]
# demo's earlier wrong password counts too: the tenth failure for the account may already block.
check(webfails[:9] == [401] * 9 and webfails[9] in (401, 429), f"ten web guesses fail ({webfails})")
got = imap_login(B, demo, demo_pw)
check(got == "blocked", f"then IMAP refuses the right password from that address ({got})")

log = inst.log()
check("web.session" in log and "event=sign_in" in log, "sign-ins are logged")
check(demo_pw not in log and bob_pw not in log, "no password in the log")
finish()
