"""Sieve at delivery, end to end: scripts stored with `hearth sieve put` (and one through
ManageSieve) act on mail sent over SMTP, and the effect is read over IMAP: fileinto :create with
imap4flags, discard, reject (550 at SMTP time), vacation answered once per sender with
Auto-Submitted, redirect through the outbound queue (to a local account) with loop protection,
a script that fails at run time keeps the mail in INBOX, spam without a script still goes to
Junk, and an enotify xmpp: notification reaches a slixmpp client.
`hearth sieve test --user` without --script runs the stored script."""
import asyncio
import imaplib
import os
import smtplib
import ssl
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "xmpp"))
from hearth_test import check, finish  # noqa: E402
from xmpp_util import instance_with_users, login  # noqa: E402

inst, users = instance_with_users("bob", "carol")
demo, demo_pw = users["demo"]
bob, bob_pw = users["bob"]
carol, carol_pw = users["carol"]
ctx = ssl.create_default_context(cafile=inst.ca_file())
work = tempfile.mkdtemp(prefix="sieve-delivery-")


def put(user, name, text):
    path = os.path.join(work, name + ".sieve")
    with open(path, "w") as f:
        f.write(text)
    return inst.cli(["sieve", "put", user, name, path, "--activate"], check_rc=False)


def send(rcpt, subject, sender="alice@remote.test", extra=""):
    body = (f"From: {sender}\r\nTo: {rcpt}\r\nSubject: {subject}\r\nMessage-ID: <{time.time_ns()}@remote.test>\r\n"
            f"{extra}\r\nhello\r\n")
    s = smtplib.SMTP(inst.addr, inst.port("smtp"), local_hostname="client.remote.test", timeout=20)
    s.starttls(context=ctx)
    try:
        s.sendmail(sender, [rcpt], body)
        return None
    except smtplib.SMTPResponseException as e:
        return (e.smtp_code, e.smtp_error.decode(errors="replace"))
    except smtplib.SMTPRecipientsRefused as e:
        return list(e.recipients.values())[0]
    except smtplib.SMTPDataError as e:
        return (e.smtp_code, e.smtp_error.decode(errors="replace"))
    finally:
        try:
            s.quit()
        except Exception:
            pass


def imap(user, pw):
    m = imaplib.IMAP4_SSL(inst.addr, inst.port("imaps"), ssl_context=ctx)
    m.login(user, pw)
    return m


def count(m, mailbox):
    typ, data = m.select(f'"{mailbox}"', readonly=True)
    return int(data[0]) if typ == "OK" else -1


def wait_count(user, pw, mailbox, n, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        m = imap(user, pw)
        c = count(m, mailbox)
        m.logout()
        if c >= n or time.monotonic() > deadline:
            return c
        time.sleep(0.3)


# --- demo: fileinto :create + imap4flags, discard, reject.
cp = put(demo, "rules", '''require ["fileinto", "mailbox", "imap4flags", "reject", "enotify"];
if header :contains "subject" "[dev]" {
  addflag "\\\\Flagged";
  fileinto :create "Lists/Dev";
  stop;
}
if header :contains "subject" "drop me" { discard; stop; }
if address :is "from" "annoy@remote.test" { reject "No thanks, go away."; stop; }
if header :contains "subject" "ping me" {
  notify :message "new mail: ping" "xmpp:''' + demo + '''";
  notify :message "for bob: ping" "xmpp:''' + bob + '''";
}
''')
check(cp.returncode == 0, f"hearth sieve put --activate: {cp.stdout.strip()} {cp.stderr.strip()}")
cp = inst.cli(["sieve", "list", demo])
check("rules" in cp.stdout and "active" in cp.stdout, f"hearth sieve list: {cp.stdout.strip()}")

check(send(demo, "[dev] build broke") is None, "mail for Lists/Dev accepted")
check(wait_count(demo, demo_pw, "Lists/Dev", 1) == 1, "fileinto :create made Lists/Dev and filed the mail there")
m = imap(demo, demo_pw)
m.select('"Lists/Dev"', readonly=True)
typ, data = m.fetch("1", "(FLAGS)")
check(b"\\Flagged" in data[0], f"imap4flags set \\Flagged: {data}")
inbox_before = count(m, "INBOX")
m.logout()

check(send(demo, "please drop me") is None, "discarded mail accepted by SMTP")
err = send(demo, "hello", sender="annoy@remote.test")
check(err is not None and err[0] == 550 and "No thanks" in err[1], f"reject answered 550 with the reason: {err}")
check(send(demo, "plain one") is None, "ordinary mail accepted")
check(wait_count(demo, demo_pw, "INBOX", inbox_before + 1) == inbox_before + 1,
      "only the ordinary mail reached INBOX (discard and reject left nothing)")

# --- the test command runs the stored script.
msg = os.path.join(work, "dev.eml")
with open(msg, "w") as f:
    f.write("From: x@remote.test\r\nTo: " + demo + "\r\nSubject: [dev] x\r\n\r\nbody\r\n")
cp = inst.cli(["sieve", "test", "--user", demo, msg], check_rc=False)
check(cp.returncode == 0 and "Lists/Dev" in cp.stdout, f"hearth sieve test without --script: {cp.stdout.strip()}")

# --- xmpp: notification to demo's own JID, seen by slixmpp.
async def xmpp_notify():
    c = await login(inst, demo, demo_pw, resource="sieve")
    b = await login(inst, bob, bob_pw, resource="sieve")
    check(send(demo, "please ping me") is None, "mail that notifies accepted")
    got = await c.wait_until(lambda: any("new mail: ping" in str(x["body"]) for x in c.messages), timeout=15)
    check(got, f"the xmpp: notification reached slixmpp ({[str(x['body']) for x in c.messages]})")
    # The same script names bob's JID too: only the owner's own JID gets a chat message.
    await asyncio.sleep(2)
    check(not any("for bob" in str(x["body"]) for x in b.messages), "no xmpp: notification to another user's JID")
    c.disconnect()
    b.disconnect()

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
try:
    loop.run_until_complete(asyncio.wait_for(xmpp_notify(), 60))
except Exception as e:
    check(False, f"xmpp scenario raised {type(e).__name__}: {e}")

# --- bob: vacation, once per sender; carol writes to him (a local sender, so the reply is
# readable over IMAP).
cp = put(bob, "away", '''require "vacation";
vacation :days 3 :subject "Out of office" "I am away until Monday.";
''')
check(cp.returncode == 0, "bob's vacation script stored")
check(send(bob, "first", sender=carol, extra="") is None, "first mail to bob")
check(send(bob, "second", sender=carol) is None, "second mail to bob")
check(send(bob, "list mail", sender="news@remote.test", extra="List-Id: <news.remote.test>\r\n") is None,
      "list mail to bob")
check(wait_count(bob, bob_pw, "INBOX", 3) == 3, "bob kept all three (vacation keeps)")
got = wait_count(carol, carol_pw, "INBOX", 1)
time.sleep(2)
m = imap(carol, carol_pw)
n = count(m, "INBOX")
check(n == 1, f"carol got exactly one vacation reply for two mails ({n})")
if n >= 1:
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER])")
    head = data[0][1].decode(errors="replace")
    check("Auto-Submitted: auto-replied" in head and "Out of office" in head and f"From: {bob}" in head,
          f"the reply: Auto-Submitted, subject, From bob ({head[:400]!r})")
    check("DKIM-Signature:" in head, "the reply is DKIM-signed like a submission")
m.logout()

# --- carol: redirect to bob through the queue; a message already redirected by us is kept.
cp = put(carol, "fwd", f'''redirect "{bob}";\n''')
check(cp.returncode == 0, "carol's redirect script stored")
bob_before = wait_count(bob, bob_pw, "INBOX", 0)
carol_before = wait_count(carol, carol_pw, "INBOX", 0)
check(send(carol, "for bob via carol") is None, "mail to carol accepted")
check(wait_count(bob, bob_pw, "INBOX", bob_before + 1) == bob_before + 1, "the redirect reached bob through the queue")
m = imap(bob, bob_pw)
m.select("INBOX", readonly=True)
typ, data = m.fetch(str(bob_before + 1), "(BODY.PEEK[HEADER])")
head = data[0][1].decode(errors="replace")
check("X-Hearth-Redirected-By:" in head and "for bob via carol" in head, "the redirected copy carries our marker")
m.logout()
check(wait_count(carol, carol_pw, "INBOX", carol_before) == carol_before, "carol kept no copy (redirect without :copy)")
check(send(carol, "looped", extra=f"X-Hearth-Redirected-By: {inst.hostname}\r\n") is None, "a looping mail accepted")
check(wait_count(carol, carol_pw, "INBOX", carol_before + 1) == carol_before + 1,
      "a mail we already redirected is kept instead of redirected again")

# --- a script that fails at run time keeps the mail in INBOX.
cp = put(carol, "broken", '''require "include";\ninclude "missing-script";\ndiscard;\n''')
check(cp.returncode == 0, "a script including a missing one is stored (it compiles)")
check(send(carol, "still delivered") is None, "mail to carol accepted")
check(wait_count(carol, carol_pw, "INBOX", carol_before + 3) == carol_before + 3,
      "a failing script keeps the mail in INBOX, with a notice of the error")
m = imap(carol, carol_pw)
m.select("INBOX", readonly=True)
typ, hits = m.search(None, "SUBJECT", '"Sieve script"')
check(typ == "OK" and len(hits[0].split()) == 1, "the notice tells the user (once)")
m.logout()
check(send(carol, "still delivered again") is None, "a second mail to carol accepted")
check(wait_count(carol, carol_pw, "INBOX", carol_before + 4) == carol_before + 4, "kept again")
time.sleep(1)
m = imap(carol, carol_pw)
m.select("INBOX", readonly=True)
typ, hits = m.search(None, "SUBJECT", '"Sieve script"')
check(count(m, "INBOX") == carol_before + 4 and len(hits[0].split()) == 1, "no second notice for the same error")
m.logout()
check("sieve.error" in inst.log(), "the failure is logged")

# --- ManageSieve changes apply to the very next delivery: the server remembers each account's
# active script between deliveries, and a PUTSCRIPT/SETACTIVE/RENAMESCRIPT/DELETESCRIPT forgets
# it. Each step sends right after the change, with carol's script just used by a delivery.
from sievelib.managesieve import Client  # noqa: E402

ms = Client(inst.addr, inst.port("managesieve"))
check(ms.connect(carol, carol_pw, starttls=True, authmech="PLAIN"), "carol logs in to ManageSieve")
check(ms.putscript("tolists", 'require ["fileinto", "mailbox"]; fileinto :create "Lists";\n') and ms.setactive("tolists"),
      "PUTSCRIPT + SETACTIVE over ManageSieve")
check(send(carol, "ms one") is None, "mail to carol after SETACTIVE")
check(wait_count(carol, carol_pw, "Lists", 1) == 1, "the script made active over ManageSieve filed the next mail")
check(ms.putscript("tolists", 'require ["fileinto", "mailbox"]; fileinto :create "Other";\n'), "PUTSCRIPT replacing the active script")
check(send(carol, "ms two") is None, "mail to carol after PUTSCRIPT")
check(wait_count(carol, carol_pw, "Other", 1) == 1, "the replaced script filed the next mail")
check(ms.renamescript("tolists", "renamed"), "RENAMESCRIPT of the active script")
check(ms.setactive(""), "SETACTIVE \"\" (no active script)")
inbox = wait_count(carol, carol_pw, "INBOX", 0)
check(send(carol, "ms three") is None, "mail to carol after deactivation")
check(wait_count(carol, carol_pw, "INBOX", inbox + 1) == inbox + 1, "without an active script the next mail is in INBOX")
check(ms.deletescript("renamed"), "DELETESCRIPT")
m = imap(carol, carol_pw)
check(count(m, "Lists") == 1 and count(m, "Other") == 1, "nothing else went to Lists or Other")
m.logout()
ms.logout()

finish()
