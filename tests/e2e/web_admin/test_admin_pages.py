#!/usr/bin/python3
"""The web console's admin pages in Debian's headless Chromium, driven by playwright-core
(admin_browser.mjs), as the administrator demo@example.test: add an account, a domain, an
account in it and an alias, then see them work over IMAP and SMTP; the DNS page shows a FAIL
for the IMAPS SRV record that the test's knot zone lacks; "Retry now" on the queue page makes
the queue try a deferred message again at once. Knot (NET.1:5353) serves example.test without
that record and remote.test, whose MX points at NET.9 where nothing listens. Screenshots of
every page are kept in web-admin-artifacts/ beside the test's working directory."""
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "mail"))
from hearth_test import NET, Instance, check, finish, set_key  # noqa: E402
from knot import Knot  # noqa: E402
from queue_lib import queue_ids, submit, wait_for  # noqa: E402
from admin_lib import imap_find, imap_login  # noqa: E402

NPM = os.environ.get("HEARTH_NPM_DIR", "/var/cache/hearth/npm")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if not os.path.isdir(os.path.join(NPM, "node_modules", "playwright-core")) or not os.path.exists(CHROMIUM) \
        or not shutil.which("certutil"):
    print(f"SKIP: needs playwright-core in {NPM} (scripts/setup.sh installs it), {CHROMIUM} and certutil")
    sys.exit(77)

DOMAIN = "example.test"
inst = Instance(f"demo@{DOMAIN}", host=2, extra=["--ip4", f"{NET}.2"])
set_key(inst.config, "dns", "servers", f'["{NET}.1:5353"]')
zone = inst.cli(["dns", "zone", DOMAIN]).stdout
# The zone text sets its own $ORIGIN; the SOA and NS knot needs come after it.
published = "\n".join(l for l in zone.splitlines() if not l.startswith("_imaps._tcp")) + (
    f"\n$ORIGIN {DOMAIN}.\n@ IN SOA ns.{DOMAIN}. hostmaster.{DOMAIN}. 1 3600 600 86400 300\n"
    f"@ IN NS ns.{DOMAIN}.\nns IN A 127.0.0.1\n")
Knot(f"{NET}.1", 5353, {DOMAIN: published, "remote.test": f"@ MX 10 nowhere\nnowhere A {NET}.9\n"}).start()
inst.cli(["user", "admin", inst.email, "on"])
inst.start(wait_for="https")

# A message that waits in the queue: its first attempt failed (nothing listens at the MX).
check(submit(inst, "bob@remote.test", "waits in the queue") == {}, "a message to remote.test is accepted")
check(bool(wait_for(lambda: "attempts=1" in inst.cli(["queue", "list"]).stdout, timeout=30)),
      "its first attempt failed: it waits in the queue")

home = tempfile.mkdtemp(prefix="web-admin-home-")
nss = os.path.join(home, ".pki", "nssdb")
os.makedirs(nss)
subprocess.run(["certutil", "-d", f"sql:{nss}", "-N", "--empty-password"], check=True)
subprocess.run(["certutil", "-d", f"sql:{nss}", "-A", "-t", "C,,", "-n", "hearth-dev-ca", "-i", inst.ca_file()], check=True)
out = os.path.join(os.getcwd(), "web-admin-artifacts")
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)
env = dict(os.environ, HOME=home, HEARTH_NPM_DIR=NPM, CHROMIUM=CHROMIUM, HOST_RULES=f"MAP {inst.hostname} {inst.addr}")
base = f"https://{inst.hostname}:{inst.port('https')}"
cp = subprocess.run(["node", os.path.join(HERE, "admin_browser.mjs"), base, inst.email, inst.password, out],
                    env=env, capture_output=True, text=True, timeout=240)
lines = cp.stdout.splitlines()
with open(os.path.join(out, "browser.log"), "w") as f:
    f.write(cp.stdout + cp.stderr)
if cp.returncode != 0:
    print("\n".join(lines[-30:]) + cp.stderr[-2000:])
for step in ("signed-in", "account-added", "domain-added", "account2-added", "alias-added", "dns-zone-shown",
             "retried", "server-shown"):
    check(f"step {step}" in lines, f"browser: {step}")
check(not any(l.startswith("pageerror") for l in lines), "no script error in the pages")

# What the pages did, seen through the protocols.
check(imap_login(inst, "carol@example.test", "carol's browser pw"), "the account added in the browser logs in over IMAP")
try:
    with smtplib.SMTP(inst.addr, inst.port("smtp"), timeout=30) as s:
        refused = s.sendmail("someone@elsewhere.test", ["info@other.test"],
                             b"From: someone@elsewhere.test\r\nTo: info@other.test\r\nSubject: alias\r\n\r\nvia-browser-alias\r\n")
except smtplib.SMTPException as e:
    refused = str(e)
check(refused == {}, "SMTP accepts mail for the alias added in the browser (in the domain added there)")
check(wait_for(lambda: imap_find(inst, "dan@other.test", "dan browser pw", "via-browser-alias"), timeout=20),
      "it reaches dan@other.test's INBOX (IMAP)")

fails = [l[len("dns-fail "):] for l in lines if l.startswith("dns-fail ")]
check("SRV _imaps._tcp.example.test" in fails, f"the DNS page shows the missing IMAPS SRV as a FAIL: {fails}")
attempts = [int(l.split()[1]) for l in lines if l.startswith("queue-attempts ")]
check(len(attempts) == 2 and attempts[1] > attempts[0], f"Retry now: the queue tried again at once {attempts}")
check(len(queue_ids(inst)) == 1, "the message is still queued (its MX is still down)")
for name in ("signin", "accounts", "domains", "aliases", "dns", "queue", "greylist", "logins", "server"):
    check(os.path.exists(os.path.join(out, name + ".png")), f"screenshot {name}.png kept")
shutil.rmtree(home, ignore_errors=True)
finish()
