"""Roundcube 1.6 from Debian (scripts/packages/webmail.txt), driven in Debian's headless
Chromium by playwright-core the way a person uses it, against a real hearth:
- Settings > Filters: a "Subject contains project-x -> Move to Projects" filter, saved through
  Roundcube's managesieve plugin (ManageSieve over STARTTLS); mail sent over SMTP then lands in
  Projects, read over IMAP.
- Settings > Out of Office: a vacation reply; a local sender writing twice gets one reply.
- Mail > Spam (the markasjunk plugin): the message moves to Junk and the learning spam filter
  counts it as spam for that user.
Screenshots of every page are kept in roundcube-artifacts/ beside the test's working directory."""
import imaplib
import os
import shutil
import smtplib
import ssl
import subprocess
import sys
import time

from hearth_test import NET, Instance, check, finish

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from roundcube_lib import Roundcube, available  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NPM = os.environ.get("HEARTH_NPM_DIR", "/var/cache/hearth/npm")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if not available() or not os.path.exists(CHROMIUM) or not os.path.isdir(os.path.join(NPM, "node_modules", "playwright-core")):
    print("SKIP: needs Roundcube and php (scripts/packages/webmail.txt), chromium and playwright-core")
    sys.exit(77)

inst = Instance()
carol, carol_pw = f"carol@{inst.domain}", "pw-carol-secret"
inst.cli(["user", "add", carol, "--password-stdin"], input=carol_pw + "\n")
inst.start(wait_for="managesieve")
demo, demo_pw = inst.email, inst.password
ctx = ssl.create_default_context(cafile=inst.ca_file())
rc = Roundcube(inst, f"{NET}.2", 8080)
art = os.path.join(os.getcwd(), "roundcube-artifacts")
shutil.rmtree(art, ignore_errors=True)
os.makedirs(art)


def browser(*steps):
    env = dict(os.environ, HEARTH_NPM_DIR=NPM, CHROMIUM=CHROMIUM)
    p = subprocess.run(["node", os.path.join(HERE, "roundcube_client.mjs"), rc.url, demo, demo_pw, art, *steps],
                       capture_output=True, text=True, timeout=240, env=env)
    print(p.stdout + p.stderr)
    if p.returncode != 0:
        print(rc.logs())
    return p.stdout


def imap(user=demo, pw=demo_pw):
    m = imaplib.IMAP4_SSL(inst.addr, inst.port("imaps"), ssl_context=ctx)
    m.login(user, pw)
    return m


def subjects(mailbox, user=demo, pw=demo_pw):
    m = imap(user, pw)
    typ, data = m.select(f'"{mailbox}"', readonly=True)
    out = []
    if typ == "OK" and int(data[0]) > 0:
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        out = [d[1].decode(errors="replace").split(":", 1)[1].strip() for d in data if isinstance(d, tuple)]
    m.logout()
    return out


def wait_for(fn, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.3)


def send(rcpt, subject, sender, port="smtp", login=None):
    body = (f"From: {sender}\r\nTo: {rcpt}\r\nSubject: {subject}\r\nMessage-ID: <{time.time_ns()}@test>\r\n"
            f"\r\nHello, this is {subject}.\r\n")
    s = smtplib.SMTP(inst.addr, inst.port(port), local_hostname="client.remote.test", timeout=20)
    s.starttls(context=ctx)
    if login:
        s.login(*login)
    s.sendmail(sender, [rcpt], body)
    s.quit()


m = imap()
check(m.create("Projects")[0] == "OK", "a Projects folder to file into")
m.logout()

# --- Filters and Out of Office, made in the pages.
out = browser("filter:Projects:project-x:Projects", "vacation:Away:I am away until Monday.")
check("done login" in out, "signed in to Roundcube over IMAPS")
check("done filter" in out and "confirmed Filter saved" in out, "the filter saved through ManageSieve")
check("done vacation" in out and "confirmed Out-of-office" in out, "the out-of-office reply saved")
listed = inst.cli(["sieve", "list", demo], check_rc=False).stdout
check("active" in listed, f"Roundcube's script is stored and active ({listed.strip()})")

send(demo, "project-x kickoff", "alice@remote.test")
check(wait_for(lambda: "project-x kickoff" in subjects("Projects")), "mail matching the filter lands in Projects")
check("project-x kickoff" not in subjects("INBOX"), "and not in the INBOX")

send(demo, "lunch?", carol, port="submission", login=(carol, carol_pw))
send(demo, "lunch, again?", carol, port="submission", login=(carol, carol_pw))
check(wait_for(lambda: len(subjects("INBOX")) >= 2), "both of carol's mails reach the INBOX")
replies = wait_for(lambda: [s for s in subjects("INBOX", carol, carol_pw) if "Away" in s])
time.sleep(1)
replies = [s for s in subjects("INBOX", carol, carol_pw) if "Away" in s]
check(len(replies) == 1, f"carol gets the out-of-office reply once ({replies})")

# --- markasjunk: the Spam button moves the message and the filter learns from it.
send(demo, "cheap pills today", "promo@remote.test")
check(wait_for(lambda: "cheap pills today" in subjects("INBOX")), "the unwanted mail is in the INBOX")
out = browser("junk:cheap pills today")
check("done junk" in out, "pressed Spam on it in Roundcube")
check(wait_for(lambda: "cheap pills today" in subjects("Junk")) and "cheap pills today" not in subjects("INBOX"),
      "the message moved to Junk")


def learnt():
    o = inst.cli(["spam", "stats", "--user", demo], check_rc=False).stdout
    line = next((l for l in o.splitlines() if l.startswith(demo)), "")
    return line if line.split(":", 1)[-1].strip().startswith("1 spam") else None


got = wait_for(learnt)
check(bool(got), f"the learning filter counted it as spam for the user ({got})")

rc.stop()
finish()
