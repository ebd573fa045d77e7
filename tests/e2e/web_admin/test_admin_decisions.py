#!/usr/bin/python3
"""Decisions about incoming mail kept for the admin, and the web console's session lifetime.

1. Mail reaches the MX port from four clients: one listed in a blocklist with a weight (its
   message goes to Junk), one in a reject list (554 at RCPT), one greylisted (451), and a
   recipient that does not exist (550). GET /api/v1/admin/decisions (admin token) shows each
   with its findings (the list that named the client, the greylisting outcome, the spam score
   and verdict) and the answer sent; q= searches by address (sender or recipient) and by IP,
   limit= keeps the last N. The page #/admin-decisions shows and searches them in Chromium.
2. Restarted with web.session_lifetime = 8 and web.session_idle = 3: the cookie's Max-Age and
   the session answer say so; a session used every half second outlives the idle time, one
   left alone for longer does not; a session in constant use still ends with its lifetime.

Knot (NET.1:5353) serves the list zones. Screenshots go to web-decisions-artifacts/.
"""
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "mail"))
from hearth_test import NET, Instance, check, finish, set_key  # noqa: E402
from knot import Knot  # noqa: E402
from queue_lib import wait_for  # noqa: E402
from admin_lib import Api, TokenApi, error_code  # noqa: E402

NPM = os.environ.get("HEARTH_NPM_DIR", "/var/cache/hearth/npm")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BROWSER = os.path.isdir(os.path.join(NPM, "node_modules", "playwright-core")) and os.path.exists(CHROMIUM) \
    and shutil.which("certutil")

last = NET.rsplit(".", 1)[1]
WEIGHTED, BLOCKED, GREY, UNKNOWN = (f"{NET}.{i}" for i in (30, 31, 32, 33))
Knot(addr=f"{NET}.1", port=5353, zones={
    "weight.test": f"30.{last}.0.127 A 127.0.0.2\n",
    "block.test": f"31.{last}.0.127 A 127.0.0.2\n31.{last}.0.127 TXT \"blocked for the test\"\n",
}).start()
inst = Instance("demo@example.test", host=2, greylist=True)
set_key(inst.config, "dns", "servers", f'["{NET}.1:5353"]')
set_key(inst.config, "filter.dnsbl", "client", '["weight.test:6", "block.test:reject"]')
set_key(inst.config, "filter.greylist", "allowlist", f'["{WEIGHTED}", "{UNKNOWN}"]')
inst.cli(["config", "check"])
inst.cli(["user", "admin", inst.email, "on"])
inst.start(wait_for="https")
token = inst.cli(["token", "create", inst.email, "decisions test"]).stdout.strip().splitlines()[-1]
api = TokenApi(inst, token)


def send(source, sender, rcpt, subject):
    """(code, text) of the first refusal, or of the DATA reply."""
    with smtplib.SMTP(inst.addr, inst.port("smtp"), timeout=30, source_address=(source, 0)) as s:
        s.ehlo("client.example.net")
        s.mail(sender)
        code, text = s.rcpt(rcpt)
        if code != 250:
            return code, text.decode()
        code, text = s.data(f"From: <{sender}>\r\nTo: <{rcpt}>\r\nSubject: {subject}\r\n\r\nHello.\r\n".encode())
        return code, text.decode()


sent = {
    "weighted": send(WEIGHTED, "news@weighted.test", inst.email, "weighted"),
    "blocked": send(BLOCKED, "bad@blocked.test", inst.email, "blocked"),
    "grey": send(GREY, "first@grey.test", inst.email, "grey"),
    "unknown": send(UNKNOWN, "someone@else.test", "nobody@example.test", "unknown"),
}
check(sent["weighted"][0] == 250 and sent["blocked"][0] == 554 and sent["grey"][0] == 451 and sent["unknown"][0] == 550,
      f"the SMTP answers: 250, 554, 451, 550 ({sent})")


def decisions(query=""):
    st, body = api.call("GET", "/api/v1/admin/decisions", query=query)
    return body.get("decisions", []) if st == 200 and isinstance(body, dict) else []


# Written in batches about once a second: wait until all four are there.
got = wait_for(lambda: len(decisions()) >= 4 and decisions(), timeout=15) or []
check(len(got) == 4, f"four decisions kept ({len(got)})")
by_ip = {d["ip"]: d for d in got}
w = by_ip.get(WEIGHTED, {})
check(w.get("outcome") == "accepted" and w.get("stage") == "data" and w.get("dnsbl") == "weight.test"
      and w.get("spam") == "junk" and w.get("score", 0) >= 6 and "DNSBL_weight.test(6)" in w.get("symbols", "")
      and w.get("rcpts") == [inst.email] and w.get("from") == "news@weighted.test" and w.get("reply", "").startswith("250"),
      f"the weighted client: accepted, listed by weight.test, spam score 6+ and junk ({w})")
b = by_ip.get(BLOCKED, {})
check(b.get("outcome") == "refused" and b.get("stage") == "rcpt" and b.get("filter") == "client"
      and b.get("dnsbl") == "block.test" and "blocked using block.test" in b.get("reply", ""),
      f"the blocked client: refused at RCPT by the client checks, naming the list ({b})")
g = by_ip.get(GREY, {})
check(g.get("outcome") == "greylisted" and g.get("filter") == "greylist" and g.get("reply", "").startswith("451"),
      f"the new triplet: greylisted with 451 ({g})")
u = by_ip.get(UNKNOWN, {})
check(u.get("outcome") == "refused" and u.get("rcpts") == ["nobody@example.test"] and "User unknown" in u.get("reply", ""),
      f"the unknown recipient: refused ({u})")
check([d["seq"] for d in got] == sorted((d["seq"] for d in got), reverse=True), "newest first")

check({d["ip"] for d in decisions("?q=bad@blocked.test")} == {BLOCKED}, "q=ADDRESS finds the sender's attempts")
check({d["ip"] for d in decisions(f"?q={inst.email}")} == {WEIGHTED, BLOCKED, GREY}, "and a recipient's")
check({d["ip"] for d in decisions(f"?q={GREY}")} == {GREY}, "q=IP finds the client's")
check(len(decisions("?limit=2")) == 2, "limit= keeps the last N")
st, body = api.call("GET", "/api/v1/admin/decisions", query="?q=not-an-address")
check(st == 400 and error_code(body) == "invalid", f"a query that is neither an address nor an IP: 400 ({st})")
st, body = Api(inst).request("GET", "/api/v1/admin/decisions")[0::2]
check(st == 401, f"not without credentials ({st})")

if BROWSER:
    home = tempfile.mkdtemp(prefix="web-decisions-home-")
    nss = os.path.join(home, ".pki", "nssdb")
    os.makedirs(nss)
    subprocess.run(["certutil", "-d", f"sql:{nss}", "-N", "--empty-password"], check=True)
    subprocess.run(["certutil", "-d", f"sql:{nss}", "-A", "-t", "C,,", "-n", "hearth-dev-ca", "-i", inst.ca_file()],
                   check=True)
    out = os.path.join(os.getcwd(), "web-decisions-artifacts")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    env = dict(os.environ, HOME=home, HEARTH_NPM_DIR=NPM, CHROMIUM=CHROMIUM, HOST_RULES=f"MAP {inst.hostname} {inst.addr}")
    cp = subprocess.run(["node", os.path.join(HERE, "decisions_browser.mjs"), f"https://{inst.hostname}:{inst.port('https')}",
                         inst.email, inst.password, out, BLOCKED], env=env, capture_output=True, text=True, timeout=120)
    lines = cp.stdout.splitlines()
    with open(os.path.join(out, "browser.log"), "w") as f:
        f.write(cp.stdout + cp.stderr)
    if cp.returncode != 0:
        print("\n".join(lines[-20:]) + cp.stderr[-2000:])
    check("step all 4" in lines, f"the page lists the four decisions ({[l for l in lines if l.startswith('step')]})")
    rows = [l for l in lines if l.startswith("row ")]
    check(rows == [f"row refused {BLOCKED} listed by block.test"], f"searching the IP shows its refusal and the list ({rows})")
    check(not any(l.startswith("pageerror") for l in lines), "no script error on the page")
    shutil.rmtree(home, ignore_errors=True)
else:
    print("note: the page check needs playwright-core, chromium and certutil (scripts/setup.sh)")

# --- 2. session lifetime and idle timeout ------------------------------------------------------
inst.stop()
set_key(inst.config, "web", "session_lifetime", "8")
set_key(inst.config, "web", "session_idle", "3")
inst.cli(["config", "check"])
inst.start(wait_for="https")
web = Api(inst)


def sign_in():
    st, h, body = web.request("POST", "/api/v1/session", {"address": inst.email, "password": inst.password})
    cookie = next((c for c in h.get("set-cookie", [])), "")
    return st, cookie, body


def alive(cookie):
    return web.request("GET", "/api/v1/session", cookie=cookie.split(";", 1)[0])[0] == 200


st, cookie, body = sign_in()
check(st == 200 and "Max-Age=8" in cookie, f"the cookie lasts web.session_lifetime ({cookie})")
check(body.get("idle") == 3, f"the answer gives the idle time ({body})")
used = sign_in()[1]
left = sign_in()[1]
t0 = time.monotonic()
ok = True
while time.monotonic() - t0 < 4.5:  # longer than the idle time, shorter than the lifetime
    ok = ok and alive(used)
    time.sleep(0.5)
check(ok and alive(used), "a session in use outlives the idle time")
check(not alive(left), "a session left alone longer than the idle time has ended")
# In constant use, the session still ends with its lifetime (bounded: 20 s).
states = []
while time.monotonic() - t0 < 20 and (not states or states[-1]):
    states.append(alive(used))
    time.sleep(0.5)
check(states and not states[-1] and all(states[:-1]), f"in constant use, it ends with its lifetime ({len(states)} checks)")
st, cookie, _ = sign_in()
check(st == 200 and alive(cookie), "signing in again works")
finish()
